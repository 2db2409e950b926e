"""tfe.stats: statistics on a private table (rows x columns), computed on the shares.

Every function takes a PrivateTensor and returns PrivateTensors (reveal them with the session's policy,
e.g. s.reveal_to("analyst", m)), except describe(), which reveals its summary to one player. The C++
functions are include/tfe/stats/ (their math, costs and error bounds are stated there and in
docs/privacy.md for the noise); nothing is computed in Python.

    def program(s):
        x = tfe.concat([s.define_private_input("alice", load_a), s.define_private_input("bob", load_b)])
        m = tfe.stats.mean(x)                      # per column, shared
        summary = tfe.stats.describe(x, "analyst", edges=[[0, 1, 2, 3]] * 3)   # a dict at the analyst
"""

from __future__ import annotations

from typing import Sequence

from . import _core
from ._core import PrivateTensor

__all__ = ["mean", "variance", "std", "min_max", "correlation", "covariance", "sort", "quantiles", "median",
           "linear_regression", "add_laplace", "add_gaussian", "group_by_key", "read_groups", "describe"]


def _table(x, op: str) -> PrivateTensor:
    if not isinstance(x, PrivateTensor):
        raise TypeError(f"tfe.stats.{op}: expected a private tensor, got {type(x).__name__}")
    return x


def mean(x: PrivateTensor) -> PrivateTensor:
    """Per-column mean of x (n, k): shape (k,)."""
    return _core._stats_mean(_table(x, "mean"))


def variance(x: PrivateTensor, ddof: int = 1) -> PrivateTensor:
    """Per-column variance (the mean is never revealed on the way), divisor n - ddof."""
    return _core._stats_variance(_table(x, "variance"), ddof)


def std(x: PrivateTensor, ddof: int = 1) -> PrivateTensor:
    """Per-column standard deviation."""
    return _core._stats_std(_table(x, "std"), ddof)


def min_max(x: PrivateTensor) -> tuple[PrivateTensor, PrivateTensor]:
    """Per-column (min, max), from one shared tournament."""
    return _core._stats_min_max(_table(x, "min_max"))


def correlation(x: PrivateTensor) -> PrivateTensor:
    """The k x k correlation matrix of the columns."""
    return _core._stats_correlation(_table(x, "correlation"))


def covariance(x: PrivateTensor) -> PrivateTensor:
    """The k x k covariance matrix of the columns (divisor n - 1)."""
    return _core._stats_covariance(_table(x, "covariance"))


def sort(x: PrivateTensor) -> PrivateTensor:
    """The rows of x sorted by column 0 (the other columns are carried along); a 1-D x is sorted.
    An oblivious shuffle, then a quicksort whose comparisons of shuffled rows are opened to
    the servers (stable; no rank of an input row is revealed)."""
    return _core._stats_sort(_table(x, "sort"))


def quantiles(x: PrivateTensor, q: Sequence[float]) -> PrivateTensor:
    """Quantiles of a column (n,) at public levels q in [0, 1], numpy's default ("linear") method."""
    return _core._stats_quantiles(_table(x, "quantiles"), [float(v) for v in q])


def median(x: PrivateTensor) -> PrivateTensor:
    """The median of a column (n,): quantiles(x, [0.5])."""
    return quantiles(x, [0.5])


def linear_regression(x: PrivateTensor, y: PrivateTensor, fit_intercept: bool = True) -> PrivateTensor:
    """Least-squares coefficients of y ~ x (intercept last), normal equations with a Newton-Schulz
    inverse; for standardized features (see include/tfe/stats/regression.hpp for the bounds)."""
    return _core._stats_linear_regression(_table(x, "linear_regression"), _table(y, "linear_regression"),
                                          fit_intercept)


def add_laplace(x: PrivateTensor, epsilon: float, delta: float, sensitivity: float) -> PrivateTensor:
    """x plus discrete Laplace noise sampled inside the computation (no player knows it): an
    (epsilon, delta)-DP release of x when its sensitivity is at most `sensitivity` (docs/privacy.md)."""
    return _core._stats_add_laplace(_table(x, "add_laplace"), float(epsilon), float(delta), float(sensitivity))


def add_gaussian(x: PrivateTensor, epsilon: float, delta: float, sensitivity: float) -> PrivateTensor:
    """x plus discrete Gaussian noise sampled inside the computation (no player knows it): an
    (epsilon, delta)-DP release of x when its L2 sensitivity is at most `sensitivity` (docs/privacy.md)."""
    return _core._stats_add_gaussian(_table(x, "add_gaussian"), float(epsilon), float(delta), float(sensitivity))


def group_by_key(x: PrivateTensor, keys: PrivateTensor, min_count: int) -> PrivateTensor:
    """Per private key (a column of n integer keys, any number of distinct ones): count, sum, min and
    max of the value columns x (n, k), groups below `min_count` rows suppressed. Returns a private
    table of n rows [key, count, k sums, k mins, k maxes] in random order, one row per kept group and
    zeros elsewhere; reveal it and pass it to read_groups. It sorts by shuffling
    (include/tfe/stats/group_by_key.hpp)."""
    return _core._stats_group_by_key(_table(x, "group_by_key"), _table(keys, "group_by_key"), int(min_count))


def read_groups(table, k: int) -> dict:
    """The groups of a revealed group_by_key table (k value columns): a dict of numpy arrays
    key, count, sum, mean (sum / count), min, max, one row per kept group in ascending key order."""
    import numpy as np
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[1] != 2 + 3 * k:
        raise ValueError(f"read_groups: a table of 2 + 3*{k} columns is needed, got shape {t.shape}")
    t = t[t[:, 1] > 0]
    t = t[np.argsort(t[:, 0], kind="stable")]
    return {"key": t[:, 0], "count": t[:, 1], "sum": t[:, 2:2 + k], "mean": t[:, 2:2 + k] / t[:, 1:2],
            "min": t[:, 2 + k:2 + 2 * k], "max": t[:, 2 + 2 * k:2 + 3 * k]}


def describe(x: PrivateTensor, receiver: str, names: Sequence[str] = (), edges: Sequence[Sequence[float]] = ()):
    """count, sum, mean, variance, std, min, max (and a histogram per column over public `edges`)
    of x (n, k), revealed to `receiver` only: a dict of numpy arrays there, None at every other player."""
    return _core._stats_describe(_table(x, "describe"), receiver, list(names), [list(map(float, e)) for e in edges])
