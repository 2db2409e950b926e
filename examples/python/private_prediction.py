"""Private prediction (the seed's first program, examples/private_prediction.cpp in Python).

A model owner's network classifies a prediction client's inputs; only the client sees the inputs and
the logits, the servers see shares only. The model owner trains a small MLP (8-16-16-3, ReLU) on its
own synthetic data in plaintext (numpy), then the encrypted prediction runs under --protocol and under
the plain reference protocol on the same inputs; the client prints both accuracies and the largest
logit difference (bounded by the fixed-point error of three layers: 0.01).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/private_prediction.py --protocol aby3
"""

import time

import numpy as np

import common
import tfe

DIM, HIDDEN, CLASSES = 8, 16, 3


def make_blobs(n: int, seed: int):
    """Three Gaussian blobs around fixed centres (example data, not protocol randomness)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    x = 1.5 * np.cos(2.1 * y[:, None] + 0.7 * np.arange(DIM)) + 1.6 * rng.normal(size=(n, DIM))
    return x, y


class ModelOwner:
    """Trains its network in plaintext (its private business), then provides the weights."""

    def __init__(self, x, y, seed: int = 2):
        rng = np.random.default_rng(seed)
        sizes = [(DIM, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN, CLASSES)]
        self.params = []
        for a, b in sizes:
            self.params += [rng.normal(size=(a, b)) * np.sqrt(2 / a), np.zeros(b)]
        self._train(x, y)

    def _train(self, x, y, lr=0.05, batch=32, epochs=20):
        p = self.params
        for _ in range(epochs):
            for s in range(0, len(x) - batch + 1, batch):
                xb, yb = x[s:s + batch], y[s:s + batch]
                z0 = xb @ p[0] + p[1]
                h0 = np.maximum(z0, 0)
                z1 = h0 @ p[2] + p[3]
                h1 = np.maximum(z1, 0)
                logits = h1 @ p[4] + p[5]
                e = np.exp(logits - logits.max(1, keepdims=True))
                g = e / e.sum(1, keepdims=True)
                g[np.arange(batch), yb] -= 1
                g /= batch
                g1 = g @ p[4].T * (z1 > 0)
                g0 = g1 @ p[2].T * (z0 > 0)
                grads = [xb.T @ g0, g0.sum(0), h0.T @ g1, g1.sum(0), h1.T @ g, g.sum(0)]
                for w, gw in zip(p, grads):
                    w -= lr * gw


class PredictionClient:
    """Provides its inputs and receives the logits (nobody else sees either)."""

    def __init__(self, inputs):
        self.inputs, self.logits = inputs, None

    def receive_output(self, logits):
        self.logits = logits


def private_prediction(s: tfe.Session, owner: ModelOwner, client: PredictionClient):
    """The program every player runs (the seed's first snippet)."""
    w0, b0, w1, b1, w2, b2 = (s.define_private_input("model-owner", lambda w=w: w) for w in owner.params)
    x = s.define_private_input("prediction-client", lambda: client.inputs)
    layer0 = tfe.relu(x @ w0 + b0)
    layer1 = tfe.relu(layer0 @ w1 + b1)
    logits = layer1 @ w2 + b2
    s.define_output("prediction-client", client.receive_output, logits)
    return s.stats()


def main() -> int:
    args = common.parse("private prediction of a model owner's MLP on a client's inputs")
    n_test = 64 if args.small else 1000
    owner = ModelOwner(*make_blobs(3000, 1))
    x_test, y_test = make_blobs(n_test, 3)
    players = tfe.players(args.protocol, ["model-owner", "prediction-client"])

    client = PredictionClient(x_test)
    start = time.perf_counter()
    stats = common.run(args, players, lambda s: private_prediction(s, owner, client))
    seconds = time.perf_counter() - start
    if common.done_elsewhere(args, "prediction-client"):
        return 0
    reference = PredictionClient(x_test)  # the client compares with plain, computed here
    common.run(args, tfe.players("plain", ["model-owner", "prediction-client"]),
               lambda s: private_prediction(s, owner, reference), protocol="plain", local=True)

    enc, ref = client.logits.argmax(1), reference.logits.argmax(1)
    print(f"private prediction of {n_test} inputs with {args.protocol} in {seconds:.2f} s")
    print(f"  accuracy encrypted {np.mean(enc == y_test):.3f}, plain {np.mean(ref == y_test):.3f}; "
          f"{np.sum(enc == ref)}/{n_test} predictions agree")
    if stats[0] is not None:
        print(f"  server0 sent {stats[0]['bytes_sent']} bytes in {stats[0]['rounds']} rounds")
    # Three layers of fixed-point products with f = 16 fractional bits stay well inside 0.01.
    return common.report(args, "logits", common.max_abs_diff(client.logits, reference.logits), 0.01)


if __name__ == "__main__":
    raise SystemExit(main())
