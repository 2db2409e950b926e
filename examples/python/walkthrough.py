"""A walk through tfe from Python, notebook style: each `# %%` cell runs on its own in Jupyter or VS Code.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/walkthrough.py

It runs as the ctest test python_example_walkthrough, so every claim it prints is also asserted.
"""

# %% [markdown]
# # tfe from Python
# tfe computes on secret-shared data: each value is split into shares held by servers, none of which
# learns anything about it, and only the players a program names receive results. Python is a thin
# layer: every op below runs in tfe's C++ core.

# %%
import os

import numpy as np

import tfe

print("tfe", tfe.__version__, "- protocols:", ", ".join(tfe.PROTOCOLS))
print("tfe.run's session API:", ", ".join(tfe.SESSION_PROTOCOLS))

# %% [markdown]
# ## 1. Private inference of an ONNX model
# The model owner's weights and the client's images stay secret; only the client gets the logits.
# `tfe.predict` runs every player in this process (each in its own thread), over ABY3 by default.

# %%
models = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "onnx")
images, labels = tfe.load_fashion_mnist("test", 100)  # (100, 28, 28, 1) in [0, 1]
x = images.transpose(0, 3, 1, 2)                      # the PyTorch export wants NCHW
logits, stats = tfe.predict(os.path.join(models, "fashion_mnist_mlp.onnx"), x, protocol="aby3")
accuracy = np.mean(logits.argmax(1) == labels)
print(f"accuracy on 100 test images: {accuracy:.2f}")
assert logits.shape == (100, 10) and accuracy > 0.8

# %%
print(f"{'player':<14}{'seconds':>9}{'MB sent':>10}{'rounds':>8}")
for player, st in stats.items():
    print(f"{player:<14}{st['seconds']:>9.3f}{st['bytes_sent'] / 1e6:>10.2f}{st['rounds']:>8}")
torch = np.load(os.path.join(models, "fashion_mnist_mlp_torch_logits.npy"))[:100]
print(f"largest difference from PyTorch's logits: {np.max(np.abs(logits - torch)):.4f}")
assert np.max(np.abs(logits - torch)) < 0.05

# %% [markdown]
# ## 2. Your own program
# `tfe.run(players, program)` calls `program(session)` once per player; every player runs the same
# code in the same order. Inputs enter with `define_private_input(owner, provider)` (the provider runs
# at the owner only) and leave with `define_output(receiver, consumer, tensor)` or `reveal_to`.
# Here three hospitals learn the mean and the maximum of their patients' ages, and nothing else.

# %%
ages = {"hospital-a": np.array([34.0, 51, 29]), "hospital-b": np.array([62.0, 45]),
        "hospital-c": np.array([38.0, 71, 55, 40])}


def joint_statistics(s):
    parts = [s.define_private_input(name, lambda name=name: ages[name]) for name in ages]
    everyone = tfe.concat(parts)        # shares only: no server sees an age
    mean, oldest = tfe.mean(everyone), tfe.max(everyone, axis=0)
    return s.reveal_to("hospital-a", mean), s.reveal_to("hospital-a", oldest)


players = tfe.players("aby3", list(ages))
results = dict(zip(players, tfe.run(players, joint_statistics)))
mean, oldest = results["hospital-a"]
print(f"mean age {float(mean):.2f}, oldest {float(oldest):.0f}; hospital-b learns {results['hospital-b']}")
all_ages = np.concatenate(list(ages.values()))
# The mean multiplies by 1/9, a fixed-point constant (16 fractional bits): off by up to 425 * 2^-17.
assert abs(mean - all_ages.mean()) < 0.005 and oldest == all_ages.max()
assert results["hospital-b"] == (None, None)

# %% [markdown]
# ## 3. Private tensors behave like numpy arrays
# Operators (`+ - * / @`, comparisons), numpy operands (public constants), slicing, and the ops of
# `tfe` (relu, sigmoid, softmax, sum, mean, concat, conv2d, ...). Results are revealed as numpy.

# %%
X, W, B = np.array([[2.0, -1.0, 0.5]]), np.array([[1.0, 0.0], [0.5, 1.0], [-1.0, 0.25]]), np.array([0.1, 0.2])


def layer(s):
    x = s.define_private_input("hospital-a", lambda: X)
    w = s.define_private_input("hospital-b", lambda: W)
    h = tfe.softmax(tfe.relu(x @ w + B))  # B: a numpy array, i.e. a public constant
    if s.player == "hospital-a":
        print(f"  {s.player} holds {h!r}")
    return s.reveal_to("hospital-a", h)


y = tfe.run(players, layer)[players.index("hospital-a")]
z = np.exp(np.maximum(X @ W + B, 0))
print("softmax(relu(x @ w + b)) =", np.round(y, 4), "numpy:", np.round(z / z.sum(), 4))
assert np.allclose(y, z / z.sum(), atol=1e-3)

# %% [markdown]
# ## 4. Errors are Python exceptions
# A player that fails raises `tfe.PlayerError`, which is also the class of the C++ error: a bad shape
# is a `tfe.ShapeError` (a `ValueError`), an unknown player a `tfe.ProtocolError`.

# %%
try:
    tfe.run(players, lambda s: s.define_private_input("hospital-a", lambda: np.ones((2, 3))) @ np.ones((2, 3)))
except tfe.ShapeError as e:
    print(f"{type(e).__name__} raised by {e.player}: {e}")
    assert isinstance(e, tfe.PlayerError) and isinstance(e, ValueError)
else:
    raise AssertionError("a bad shape must raise")

# %% [markdown]
# ## 5. One process per player
# With a hosts file (docs/networking.md), each player runs in its own process, over TLS:
#
#     tfe.predict(model, x, hosts="hosts.json", player="client")       # at the client
#     tfe.predict(model, None, hosts="hosts.json", player="server0")   # at server0, and so on
#
# `bash scripts/launch_local.sh --players server0,server1,server2,model-owner,client -- \
#  /usr/bin/python3 SCRIPT.py` starts them all on this machine (tests: python_predict_processes_tls).
print("walkthrough done")
