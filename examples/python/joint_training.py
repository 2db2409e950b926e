"""Encrypted training on joint data (the seed's third program, examples/joint_training.cpp).

Two data owners provide private training data, which the servers join with concat (axis 0) and use
to train a logistic regression with mini-batch SGD, entirely on shares. Only the model owner
receives the trained weights; it reports their test accuracy beside the same training on plain
(both use the same piecewise-linear sigmoid, so the weights agree within 0.01).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/joint_training.py --protocol aby3
"""

import time

import numpy as np

import common
import tfe

DIM = 10


def make_data(n, seed):
    """Two overlapping Gaussian classes; y is (n, 1) with 0/1 labels (example data)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, (n, 1)).astype(float)
    x = np.where(y > 0.5, 0.6, -0.6) * np.cos(0.9 * np.arange(DIM)) + rng.normal(size=(n, DIM))
    return x, y


class ModelOwner:
    player_name = "model-owner"
    w = b = None

    def receive_weights(self, wb):
        self.w, self.b = wb

    def accuracy(self, x, y):
        return float(np.mean(((x @ self.w + self.b) > 0) == (y > 0.5)))


def joint_training(s: tfe.Session, owners, model: ModelOwner, epochs: int, batch: int):
    """The program every player runs."""
    parts = [(s.define_private_input(name, lambda d=d: d[0]), s.define_private_input(name, lambda d=d: d[1]))
             for name, d in owners]
    x_train = tfe.concat([x for x, _ in parts], axis=0)
    y_train = tfe.concat([y for _, y in parts], axis=0)

    # logistic regression, weights start at zero (public constants, shared trivially)
    w = tfe.to_private(s.constant(np.zeros((DIM, 1))))
    b = tfe.to_private(s.constant(np.zeros(1)))
    lr, n = 0.5, x_train.shape[0]
    for _ in range(epochs):
        for start in range(0, n - batch + 1, batch):
            xb, yb = x_train[start:start + batch], y_train[start:start + batch]
            err = tfe.sigmoid(xb @ w + b) - yb
            w = w - (xb.T @ err) / batch * lr
            b = b - tfe.mean(err, axis=0) * lr
    s.define_output(model.player_name, model.receive_weights, [w, b])


def train(args, protocol, owners, epochs, batch, local=False) -> ModelOwner:
    model = ModelOwner()
    players = tfe.players(protocol, [name for name, _ in owners] + [model.player_name])
    common.run(args, players, lambda s: joint_training(s, owners, model, epochs, batch), protocol, local)
    return model


def main() -> int:
    args = common.parse("logistic regression on two data owners' joint data")
    per_owner, batch, epochs = (128, 32, 2) if args.small else (1024, 32, 5)
    owners = [("data-owner-0", make_data(per_owner, 21)), ("data-owner-1", make_data(per_owner, 22))]
    x_test, y_test = make_data(2000, 23)
    start = time.perf_counter()
    enc = train(args, args.protocol, owners, epochs, batch)
    seconds = time.perf_counter() - start
    if common.done_elsewhere(args, ModelOwner.player_name):
        return 0
    ref = train(args, "plain", owners, epochs, batch, local=True)
    print(f"logistic regression on {2 * per_owner} joint rows, {epochs} epochs, batch {batch}, "
          f"{args.protocol} in {seconds:.2f} s")
    print(f"  test accuracy encrypted {enc.accuracy(x_test, y_test):.3f}, plain {ref.accuracy(x_test, y_test):.3f}")
    return common.report(args, "trained weights", common.max_abs_diff([enc.w, enc.b], [ref.w, ref.b]), 0.01)


if __name__ == "__main__":
    raise SystemExit(main())
