"""tfe: encrypted deep learning with secret-sharing MPC, from Python (numpy in, numpy out).

A thin layer over tfe's C++ core (the extension tfe._core); docs/python.md has the whole story.

    import numpy as np, tfe

    # Private inference of an ONNX model: every player in this process, numpy in and out.
    logits, stats = tfe.predict("model.onnx", x, protocol="aby3")

    # Your own program, run by every player (each in its own thread), computing on shares.
    def program(s):
        x = s.define_private_input("alice", lambda: np.array([[1.0, -2.0]]))
        w = s.define_private_input("bob", lambda: np.array([[0.5], [0.25]]))
        return s.reveal_to("alice", tfe.relu(x @ w))   # an array at alice, None elsewhere
    results = tfe.run(tfe.players("aby3", ["alice", "bob"]), program, protocol="aby3")
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from . import _core, stats
from .errors import (ChannelError, ConfigError, EncodingError, Error, FileError, PlayerError, ProtocolError,
                     ShapeError)

__version__ = _core.__version__
Session = _core.Session
PrivateTensor = _core.PrivateTensor
PublicTensor = _core.PublicTensor
load_fashion_mnist = _core.load_fashion_mnist

#: Protocols of tfe.run's session API (ring64); tfe.predict runs every protocol of PROTOCOLS.
SESSION_PROTOCOLS: tuple[str, ...] = tuple(_core.session_protocols)
#: The C++ registry's names (tfe/protocol/registry.hpp): plain, plain128, pond, ..., aby3_128.
PROTOCOLS: tuple[str, ...] = tuple(_core._protocol_names())

__all__ = [
    "predict", "plan", "run", "players", "stats", "load_fashion_mnist", "Session", "PrivateTensor", "PublicTensor", "Error", "ShapeError",
    "EncodingError", "ConfigError", "ProtocolError", "ChannelError", "FileError", "PlayerError", "relu", "sigmoid",
    "tanh", "exp", "log", "sqrt", "reciprocal", "abs", "square", "erf", "gelu", "softmax", "matmul", "concat",
    "stack", "add_n", "sum", "mean", "max", "min", "argmax", "maximum", "minimum", "reshape", "transpose", "clip",
    "conv2d", "max_pool2d", "avg_pool2d", "to_private", "SESSION_PROTOCOLS", "PROTOCOLS",
]


def _settings(hosts: str | os.PathLike | None, player: str | None, threads: int, timeout: float,
              insecure_plaintext: bool) -> _core._LaunchSettings:
    if (hosts is None) != (player is None):
        raise ConfigError("hosts and player go together (one process per player): give both or neither")
    s = _core._LaunchSettings()
    s.hosts = "" if hosts is None else os.fspath(hosts)
    s.player = player or ""
    s.threads = threads
    s.timeout = timeout
    s.insecure_plaintext = insecure_plaintext
    return s


def _protocol_name(protocol: str, ring: int) -> str:
    """The registry's name of `protocol` on `ring` (64 or 128): ("aby3", 128) is "aby3_128"."""
    if ring not in (64, 128):
        raise ConfigError(f"ring must be 64 or 128, not {ring!r}")
    if ring == 64 or protocol.endswith("128"):
        return protocol
    return protocol + ("_128" if protocol == "aby3" else "128")


def players(protocol: str, others: Sequence[str] = ()) -> list[str]:
    """The protocol's own players (its servers, e.g. ABY3's server0..2), then `others` (input/output players)."""
    name = _protocol_name(protocol, 64)
    if name not in PROTOCOLS:
        raise ConfigError(f"unknown protocol '{protocol}' (known: {', '.join(PROTOCOLS)})")
    # The graph runner's players are the protocol's own, then "model-owner" and "client".
    return list(_core._graph_players(name))[:-2] + list(others)


def predict(model: str | os.PathLike | bytes | None, x: Any, protocol: str = "aby3", ring: int = 64,
            batch: int | None = None, hosts: str | os.PathLike | None = None, player: str | None = None, *,
            threads: int = 0, timeout: float = 60, insecure_plaintext: bool = False):
    """Private inference of an ONNX model: returns (logits, stats).

    model: an .onnx file or a tfe model file (.npz, a Keras-like Sequential: its input is in Keras's
       layout, NHWC); a path, or the file's bytes. Only the player "model-owner" reads it.
    x: the input (array-like, batch on axis 0), or a list/tuple of arrays for a graph with several
       inputs; only the player "client" provides it, and only the client receives the outputs.
    protocol, ring: any of PROTOCOLS (ring=128 picks the 128-bit variant, e.g. aby3_128).
    batch: examples per batch along axis 0 (None: all at once).
    hosts, player: run only `player` in this process, over TCP/TLS, with the hosts file `hosts`
       (docs/networking.md); without them every player runs in this process, each in its own thread.
    threads: threads per player for the large kernels (0: the cores divided among the players).

    logits: a float64 array (a list of arrays for a graph with several outputs); None in a process
    that does not run the client. stats: {player: {"seconds", "bytes_sent", "bytes_received",
    "messages_sent", "messages_received", "rounds", "by_tag"}} for every player run here.
    """
    name = _protocol_name(protocol, ring)
    if x is None:
        inputs = None
    elif isinstance(x, (list, tuple)) and x and all(isinstance(i, np.ndarray) for i in x):
        inputs = list(x)
    else:
        inputs = [x]
    settings = _settings(hosts, player, threads, timeout, insecure_plaintext)
    outputs, stats = _core._predict(model, inputs, name, batch or 0, settings)
    if outputs is not None and len(outputs) == 1:
        outputs = outputs[0]
    return outputs, stats


def plan(model: str | os.PathLike | bytes, examples: int = 1, batch: int | None = None,
         protocols: Sequence[str] = ("aby3", "pond", "securenn"), networks: Sequence[str] = ("lan", "wan")):
    """Which protocol for my model? tfe.predict's cost under each protocol, predicted without running it
    (the planner of docs/planner.md, as the program tfe_plan).

    Returns one dict per protocol: {"protocol", "players": {player: {"bytes_sent", "bytes_received",
    "messages_sent", "messages_received", "rounds"}}, "seconds": {network: estimated seconds},
    "ops": [{"op", "calls", "bytes_sent", "rounds"}, ...] most bytes first}. The bytes, messages and
    rounds are exactly those of tfe.predict(model, x, protocol, batch=batch) with `examples` rows in x.
    networks: "lan", "wan" or "RTT_MS:MBITS".
    """
    return _core._plan(model, examples, batch or 0, list(protocols), list(networks))


def run(players: Sequence[str], program: Callable[[Session], Any], protocol: str = "aby3", *,
        hosts: str | os.PathLike | None = None, player: str | None = None, threads: int = 0,
        timeout: float = 60, insecure_plaintext: bool = False) -> list:
    """Runs program(session) for every player and returns their results, in player order.

    players: every player of the computation, the protocol's servers first (tfe.players(protocol,
       others) builds the list). protocol: one of SESSION_PROTOCOLS.
    program: a function of the player's Session, run by every player in its own thread (the GIL is
       released while C++ computes); it calls the session's privacy policy (define_private_input,
       define_output, reveal_to, ...) and the ops on private tensors, in the same order at every player.
    hosts, player: run only `player` here, over TCP/TLS (the other results are None).
    A player that fails raises PlayerError (and the original's tfe class); an exception the program
    raises itself propagates unchanged (see tfe.errors).
    """
    if protocol not in SESSION_PROTOCOLS:
        raise ConfigError(f"protocol '{protocol}' is not available to tfe.run (available: "
                          f"{', '.join(SESSION_PROTOCOLS)}; tfe.predict runs every protocol)")
    if isinstance(players, str):
        raise ConfigError("players must be a list of player names, not a string")
    runner = getattr(_core, "_run_" + protocol)
    return runner(list(players), program, _settings(hosts, player, threads, timeout, insecure_plaintext))


# ---- ops on private tensors (each the method of the same name, i.e. the C++ op) -------------------

def _private(x: Any, op: str) -> PrivateTensor:
    if not isinstance(x, PrivateTensor):
        raise TypeError(f"tfe.{op}: expected a private tensor, got {type(x).__name__}")
    return x


def _unary(op: str):
    def f(x: PrivateTensor, *args, **kwargs):
        return getattr(_private(x, op), op)(*args, **kwargs)
    f.__name__ = op
    f.__doc__ = f"tfe.{op}(x, ...) is x.{op}(...), the C++ tfe::{op} on the shares."
    return f


relu, sigmoid, tanh, exp, log, sqrt = (_unary(n) for n in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt"))
reciprocal, abs, square, erf, gelu = (_unary(n) for n in ("reciprocal", "abs", "square", "erf", "gelu"))
softmax, sum, mean, max, min, argmax = (_unary(n) for n in ("softmax", "sum", "mean", "max", "min", "argmax"))
reshape, transpose, clip = (_unary(n) for n in ("reshape", "transpose", "clip"))
conv2d, max_pool2d, avg_pool2d = (_unary(n) for n in ("conv2d", "max_pool2d", "avg_pool2d"))


def matmul(a: Any, b: Any) -> PrivateTensor:
    """a @ b for 2-D tensors; either may be public (an array or a PublicTensor)."""
    if not isinstance(a, PrivateTensor) and not isinstance(b, PrivateTensor):
        raise TypeError("tfe.matmul: expected at least one private tensor")
    return a @ b


def maximum(a: Any, b: Any) -> PrivateTensor:
    """Elementwise maximum; either operand may be public or a number."""
    return a.maximum(b) if isinstance(a, PrivateTensor) else _private(b, "maximum").maximum(a)


def minimum(a: Any, b: Any) -> PrivateTensor:
    """Elementwise minimum; either operand may be public or a number."""
    return a.minimum(b) if isinstance(a, PrivateTensor) else _private(b, "minimum").minimum(a)


def to_private(x: PublicTensor) -> PrivateTensor:
    """A public tensor as a (trivial) sharing, without communication (e.g. weights that start at zero)."""
    if not isinstance(x, PublicTensor):
        raise TypeError(f"tfe.to_private: expected a public tensor (Session.constant), got {type(x).__name__}")
    return x.to_private()


def _many(xs: Sequence[PrivateTensor], op: str):
    xs = list(xs)
    if not xs:
        raise ShapeError(f"tfe.{op}: an empty list of tensors")
    return type(_private(xs[0], op)), xs


def concat(xs: Sequence[PrivateTensor], axis: int = 0) -> PrivateTensor:
    """Joins private tensors along an existing axis (local: no communication)."""
    cls, xs = _many(xs, "concat")
    return cls._concat(xs, axis)


def stack(xs: Sequence[PrivateTensor], axis: int = 0) -> PrivateTensor:
    """Joins private tensors along a new axis."""
    cls, xs = _many(xs, "stack")
    return cls._stack(xs, axis)


def add_n(xs: Sequence[PrivateTensor]) -> PrivateTensor:
    """The sum of equally shaped private tensors (secure aggregation; local)."""
    cls, xs = _many(xs, "add_n")
    return cls._add_n(xs)
