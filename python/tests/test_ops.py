"""Every op tfe.run's session API exposes, against numpy, under one protocol (argv[1]; ctest runs plain and aby3).

One run per protocol computes every op on the same private inputs (random, with negatives) and reveals
each result to "alice"; each comparison is then its own subTest with the op's documented tolerance
(docs/approximations.md; 16 fractional bits: exact ops within a few 2^-16, products within 2e-4).
"""

import math
import sys
import types
import unittest

import numpy as np

import tfe

PROTOCOL = sys.argv.pop(1) if len(sys.argv) > 1 else "aby3"
ULP = 2.0 ** -16
PROD = 2e-4  # a product and its truncation, on values up to about 40 (measured: 4e-5)
rng = np.random.default_rng(2026)  # test data only (not the library's randomness)

X = rng.normal(0, 2, (4, 6))  # negatives and positives
Y = rng.normal(0, 2, (4, 6))
Y[0, :3] = X[0, :3]           # some equal entries for ==, <=, >=
W = rng.normal(0, 1, (6, 3))
POS = rng.uniform(0.1, 10, (3, 5))
SMALL = rng.uniform(-1.5, 1.5, (3, 4))
IMG = rng.normal(0, 1, (2, 6, 6, 3))   # NHWC
KER = rng.normal(0, 0.5, (3, 3, 3, 2))  # HWIO
PUB = rng.normal(0, 1, (4, 6))
erf = np.vectorize(math.erf)


def conv_valid(x, w):
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[:2], axis=(1, 2))  # (n, i, j, c, a, b)
    return np.einsum("nijcab,abco->nijo", win, w)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name -> (function of the private inputs, numpy reference, absolute tolerance or ("rel", rho, alpha))
CASES = {
    "add": (lambda t: t["x"] + t["y"], X + Y, 2 * ULP),
    "sub": (lambda t: t["x"] - t["y"], X - Y, 2 * ULP),
    "mul": (lambda t: t["x"] * t["y"], X * Y, PROD),
    "neg": (lambda t: -t["x"], -X, ULP),
    "add_scalar": (lambda t: t["x"] + 1.25, X + 1.25, 2 * ULP),
    "rsub_scalar": (lambda t: 1.5 - t["x"], 1.5 - X, 2 * ULP),
    "mul_scalar": (lambda t: t["x"] * -2.5, X * -2.5, PROD),
    "rmul_scalar": (lambda t: 3 * t["x"], 3 * X, PROD),
    "div_scalar": (lambda t: t["x"] / 4.0, X / 4.0, 2 * ULP),
    "add_numpy": (lambda t: t["x"] + PUB, X + PUB, 2 * ULP),
    "radd_numpy": (lambda t: PUB + t["x"], PUB + X, 2 * ULP),
    "rsub_numpy": (lambda t: PUB - t["x"], PUB - X, 2 * ULP),
    "mul_numpy": (lambda t: t["x"] * PUB, X * PUB, PROD),
    "add_broadcast": (lambda t: t["x"] + t["x"][0], X + X[0], 2 * ULP),
    "mul_public": (lambda t: t["x"] * t["s"].constant(PUB), X * PUB, PROD),
    "div_public": (lambda t: t["x"] / t["s"].constant(np.full((4, 6), 2.0)), X / 2.0, PROD),
    "matmul": (lambda t: t["x"] @ t["w"], X @ W, PROD),
    "matmul_numpy": (lambda t: t["x"] @ W, X @ W, PROD),
    "rmatmul_numpy": (lambda t: W.T @ t["x"].T, W.T @ X.T, PROD),
    "tfe.matmul": (lambda t: tfe.matmul(t["x"], t["w"]), X @ W, PROD),
    "square": (lambda t: tfe.square(t["x"]), X * X, PROD),
    "pow3": (lambda t: t["small"] ** 3, SMALL ** 3, PROD),
    "relu": (lambda t: tfe.relu(t["x"]), np.maximum(X, 0), ULP),
    "sigmoid": (lambda t: tfe.sigmoid(t["x"]), 1 / (1 + np.exp(-X)), 0.002984 + 2 * ULP),
    "tanh": (lambda t: tfe.tanh(t["x"]), np.tanh(X), 0.0060 + 2 * ULP),
    "exp": (lambda t: tfe.exp(t["x"]), np.exp(X), ("rel", 2.4e-4, 2)),
    "log": (lambda t: tfe.log(t["pos"]), np.log(POS), 6.1e-5 + ULP),
    "sqrt": (lambda t: tfe.sqrt(t["pos"]), np.sqrt(POS), ("rel", 4 * ULP, 3)),
    "reciprocal": (lambda t: tfe.reciprocal(t["pos"]), 1 / POS, ("rel", 4 * ULP, 2)),
    "abs": (lambda t: tfe.abs(t["x"]), np.abs(X), ULP),
    "erf": (lambda t: tfe.erf(t["x"]), erf(X), 1.10e-4),
    "gelu": (lambda t: tfe.gelu(t["x"]), X * 0.5 * (1 + erf(X / math.sqrt(2))), 9.8e-5),
    "clip": (lambda t: tfe.clip(t["x"], -1, 1.5), np.clip(X, -1, 1.5), ULP),
    "softmax": (lambda t: tfe.softmax(t["x"]), softmax(X), 1.2e-4),
    "softmax_axis0": (lambda t: tfe.softmax(t["x"], axis=0), softmax(X, axis=0), 1.2e-4),
    "less": (lambda t: t["x"] < t["y"], (X < Y).astype(float), 0),
    "greater_scalar": (lambda t: t["x"] > 0.5, (X > 0.5).astype(float), 0),
    "less_equal": (lambda t: t["x"] <= t["y"], (X <= Y).astype(float), 0),
    "greater_equal": (lambda t: t["x"] >= t["y"], (X >= Y).astype(float), 0),
    "equal": (lambda t: t["x"].equal(t["y"]), (X == Y).astype(float), 0),
    "maximum": (lambda t: tfe.maximum(t["x"], t["y"]), np.maximum(X, Y), ULP),
    "minimum_scalar": (lambda t: tfe.minimum(0.25, t["x"]), np.minimum(X, 0.25), ULP),
    "sum": (lambda t: tfe.sum(t["x"]), X.sum(), 6 * 4 * ULP),
    "sum_axis0": (lambda t: tfe.sum(t["x"], axis=0), X.sum(axis=0), 4 * ULP),
    "sum_keepdims": (lambda t: t["x"].sum(axis=(1,), keepdims=True), X.sum(axis=1, keepdims=True), 6 * ULP),
    "mean": (lambda t: tfe.mean(t["x"], axis=1), X.mean(axis=1), PROD),
    "max": (lambda t: tfe.max(t["x"], axis=1), X.max(axis=1), ULP),
    "min": (lambda t: tfe.min(t["x"], axis=0), X.min(axis=0), ULP),
    "argmax": (lambda t: tfe.argmax(t["x"], axis=1), X.argmax(axis=1).astype(float), 0),
    "reshape": (lambda t: tfe.reshape(t["x"], [3, -1]), X.reshape(3, -1), ULP),
    "transpose": (lambda t: tfe.transpose(t["img"], [0, 3, 1, 2]), IMG.transpose(0, 3, 1, 2), ULP),
    "T": (lambda t: t["x"].T, X.T, ULP),
    "index": (lambda t: t["x"][1], X[1], ULP),
    "index_negative": (lambda t: t["x"][-1, 2], X[-1, 2], ULP),
    "slice": (lambda t: t["x"][1:3, ::2], X[1:3, ::2], ULP),
    "concat": (lambda t: tfe.concat([t["x"], t["y"]], axis=1), np.concatenate([X, Y], axis=1), ULP),
    "stack": (lambda t: tfe.stack([t["x"], t["y"]]), np.stack([X, Y]), ULP),
    "to_private": (lambda t: tfe.to_private(t["s"].constant(PUB)) * 2, PUB * 2, ULP),
    "add_n": (lambda t: tfe.add_n([t["x"], t["y"], t["x"]]), X + Y + X, 3 * ULP),
    "conv2d": (lambda t: tfe.conv2d(t["img"], t["ker"]), conv_valid(IMG, KER), 5e-4),
    "max_pool2d": (lambda t: tfe.max_pool2d(t["img"], [2, 2]),
                   IMG.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4)), ULP),
    "avg_pool2d": (lambda t: tfe.avg_pool2d(t["img"], [3, 3]),
                   IMG.reshape(2, 2, 3, 2, 3, 3).mean(axis=(2, 4)), PROD),
}


def program(s):
    t = {"s": s}
    for name, value in (("x", X), ("y", Y), ("w", W), ("pos", POS), ("small", SMALL), ("img", IMG), ("ker", KER)):
        t[name] = s.define_private_input("alice", lambda v=value: v)
    out = {}
    for name, (f, _, _) in CASES.items():
        out[name] = s.reveal_to("alice", f(t))
    return out


class OpsAgainstNumpy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        players = tfe.players(PROTOCOL, ["alice"])
        cls.results = tfe.run(players, program, protocol=PROTOCOL)[players.index("alice")]

    def test_every_op(self):
        for name, (_, expected, tol) in CASES.items():
            with self.subTest(op=name):
                got = self.results[name]
                self.assertIsInstance(got, np.ndarray)
                self.assertEqual(got.shape, np.shape(expected))
                err = np.abs(got - expected)
                if isinstance(tol, tuple):  # |got - y| <= rho |y| + alpha 2^-16
                    bound = tol[1] * np.abs(expected) + tol[2] * ULP
                    self.assertTrue(np.all(err <= bound), f"{name}: max excess {np.max(err - bound)}")
                else:
                    self.assertLessEqual(float(np.max(err)), tol + 1e-12, name)

    def test_every_exposed_function_is_tested(self):
        tested = " ".join(CASES) + " matmul"
        for name in tfe.__all__:
            f = getattr(tfe, name)
            if callable(f) and not isinstance(f, type) and not isinstance(f, types.ModuleType) and name not in ("run", "predict", "plan", "players", "load_fashion_mnist"):
                self.assertIn(name, tested, f"tfe.{name} has no case in test_ops.py")


class TypeStubs(unittest.TestCase):
    def test_the_stubs_list_exactly_the_bound_methods(self):
        import ast
        import os
        with open(os.path.join(os.path.dirname(tfe.__file__), "_core.pyi")) as f:
            stub = ast.parse(f.read())
        for cls, bound in (("PrivateTensor", "PrivateTensor_"), ("PublicTensor", "PublicTensor_"),
                           ("Session", "Session_")):
            node = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == cls)
            stubbed = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
            real = getattr(tfe._core, bound + PROTOCOL)
            public = {n for n in dir(real) if not n.startswith("_") or n in stubbed}
            public -= {n for n in dir(object) if n not in stubbed} | {"__array_ufunc__"}
            with self.subTest(cls=cls):
                self.assertEqual(stubbed - public, set(), "in the stub but not bound")
                self.assertEqual({n for n in public if not n.startswith("_")} - stubbed, set(), "bound, not stubbed")


if __name__ == "__main__":
    unittest.main()
