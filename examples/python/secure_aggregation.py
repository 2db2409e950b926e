"""Secure aggregation for federated learning (the seed's second program, examples/federated_learning.cpp).

In each iteration the data owners compute gradients in plaintext (numpy) on their own data and give
them as private inputs; the servers compute their mean add_n(grads) / n on shares; only the model
owner receives the mean, with which it updates its linear regression. The model owner's validation
loss goes down; the weights stay within 1e-3 of the same training on the plain protocol.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/secure_aggregation.py --protocol pond
"""

import numpy as np

import common
import tfe

DIM = 10


class DataOwner:
    def __init__(self, name, x, y):
        self.player_name, self.x, self.y = name, x, y

    def compute_gradient(self, w):
        """Mean-squared-error gradient of the current model on this owner's data (plaintext, local)."""
        return 2.0 / len(self.y) * (self.x @ w - self.y) @ self.x


class ModelOwner:
    player_name = "model-owner"

    def __init__(self, x_val, y_val, learning_rate=0.1):
        self.w = np.zeros(DIM)
        self.x_val, self.y_val, self.learning_rate = x_val, y_val, learning_rate
        self.losses = []

    def update_model(self, mean_grad):
        self.w = self.w - self.learning_rate * mean_grad
        self.losses.append(float(np.mean((self.x_val @ self.w - self.y_val) ** 2)))


def make_setup(n_owners, per_owner, seed=11):
    """Linear data around a hidden w_true (example data, not protocol randomness)."""
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=DIM)

    def sample(n):
        x = rng.normal(size=(n, DIM))
        return x, x @ w_true + 0.1 * rng.normal(size=n)

    owners = [DataOwner(f"data-owner-{k}", *sample(per_owner)) for k in range(n_owners)]
    return owners, sample(200)


def federated_training(s: tfe.Session, data_owners, model: ModelOwner, iterations: int):
    """The program every player runs."""
    for _ in range(iterations):
        # the model owner publishes the current model to everybody (it is not secret in this setting)
        w = s.define_public_input(model.player_name, lambda: model.w).numpy()
        # compute and collect all model gradients as private inputs
        grads = [s.define_private_input(o.player_name, lambda o=o: o.compute_gradient(w)) for o in data_owners]
        # compute the mean gradient securely, and reveal it only to the model owner
        aggregated = tfe.add_n(grads) / len(grads)
        s.define_output(model.player_name, model.update_model, aggregated)


def train(args, protocol, owners, validation, iterations, local=False) -> ModelOwner:
    model = ModelOwner(*validation)
    players = tfe.players(protocol, [model.player_name] + [o.player_name for o in owners])
    common.run(args, players, lambda s: federated_training(s, owners, model, iterations), protocol, local)
    return model


def main() -> int:
    args = common.parse("secure aggregation of data owners' gradients", default_protocol="pond")
    iterations = 10 if args.small else 40
    owners, validation = make_setup(3 if args.small else 5, 50 if args.small else 500)
    enc = train(args, args.protocol, owners, validation, iterations)
    if common.done_elsewhere(args, ModelOwner.player_name):
        return 0
    ref = train(args, "plain", owners, validation, iterations, local=True)
    print(f"secure aggregation with {args.protocol}, {len(owners)} data owners")
    for i in range(0, iterations, max(1, iterations // 8)):
        print(f"  iteration {i + 1}: validation loss {enc.losses[i]:.5f} (plain {ref.losses[i]:.5f})")
    print(f"  final loss {enc.losses[-1]:.5f} (plain {ref.losses[-1]:.5f}, first {enc.losses[0]:.5f})")
    rc = 0
    if not enc.losses[-1] < 0.5 * enc.losses[0]:
        print("FAILED: the loss did not go down")
        rc = 1
    # Each mean gradient differs from plain by at most one division's error per iteration.
    return rc | common.report(args, "model weights", common.max_abs_diff(enc.w, ref.w), 1e-3)


if __name__ == "__main__":
    raise SystemExit(main())
