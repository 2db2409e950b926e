"""One player of tfe.predict in its own process (test python_predict_processes_tls):

    bash scripts/launch_local.sh --players server0,server1,server2,model-owner,client -- \\
        /usr/bin/python3 python/tests/predict_player.py

Each process gives tfe.predict only what its player owns: the model owner the model file, the client
the images (and it alone receives the logits, which it checks against PyTorch's); the servers neither.
"""

import argparse
import os
import sys

import numpy as np

import tfe

MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "onnx")

args = argparse.ArgumentParser()
args.add_argument("--hosts", required=True)
args.add_argument("--player", required=True)
args = args.parse_args()

model = os.path.join(MODELS, "fashion_mnist_mlp.onnx") if args.player == "model-owner" else None
x = tfe.load_fashion_mnist("test", 16)[0].transpose(0, 3, 1, 2) if args.player == "client" else None
logits, stats = tfe.predict(model, x, protocol="aby3", hosts=args.hosts, player=args.player)
assert list(stats) == [args.player], stats  # only this process's player
if args.player != "client":
    assert logits is None
    print(f"{args.player}: sent {stats[args.player]['bytes_sent']} bytes, no output")
    sys.exit(0)
torch = np.load(os.path.join(MODELS, "fashion_mnist_mlp_torch_logits.npy"))[:16]
diff = float(np.max(np.abs(logits - torch)))
print(f"client: logits {logits.shape}, largest difference from PyTorch {diff:.4f}")
sys.exit(0 if diff < 0.05 else 1)
