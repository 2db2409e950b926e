"""The cost of the Python layer: tfe.predict against the same inference from C++ (run_graph).

    cmake --build build --target tfe_python tfe_predict tfe_python_overhead
    PYTHONPATH=build/python /usr/bin/python3 python/benchmarks/overhead.py --build build

Both sides run the same compiled graph runner (programs/graph_runner.hpp, tfe_graph_runner) on the
same model and images (the ONNX Fashion-MNIST MLP, the first --batch test images, ABY3 by default),
every player in one process. Two comparisons, each the median of --repeats runs:

  warm: repeated calls in one process: tfe_python_overhead (C++: run_graph, reading the model and the
        .npy input) against tfe.predict (numpy to C++ and back, statistics as dicts, the same run_graph);
  cold: the first inference of a fresh process: tfe_predict's own time against a fresh python3
        process's first tfe.predict call (the import of tfe, timed apart, excluded).

For the record, a third figure: the same MLP written with tfe.run's session API (eager ops called from
Python, weights from models/fashion_mnist_mlp.npz), warm, against the warm C++ graph runner.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import tfe

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MODEL = os.path.join(ROOT, "models", "onnx", "fashion_mnist_mlp.onnx")


def cpp_warm(build: str, x_path: str, protocol: str, repeats: int) -> list:
    out = subprocess.run([os.path.join(build, "python", "tfe_python_overhead"), MODEL, x_path, protocol,
                          str(repeats + 1)], check=True, capture_output=True, text=True).stdout
    return [float(t) for t in re.findall(r"seconds: ([0-9.e-]+)", out)][1:]  # the first one warms up


def cpp_cold(build: str, x_path: str, protocol: str) -> float:
    out = subprocess.run([os.path.join(build, "programs", "tfe_predict"), "--model", MODEL, "--input", x_path,
                          "--protocol", protocol, "--quiet"], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"under \S+, ([0-9.]+) s", out).group(1))


def python_cold(x_path: str, protocol: str) -> tuple:
    """(import seconds, first tfe.predict seconds) in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import tfe, numpy as np; i = time.perf_counter() - t; "
            "x = np.load(%r); t = time.perf_counter(); tfe.predict(%r, x, protocol=%r); "
            "print(i, time.perf_counter() - t)" % (x_path, MODEL, protocol))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return tuple(float(v) for v in out.split())


def python_seconds(x: np.ndarray, protocol: str) -> float:
    start = time.perf_counter()
    logits, _ = tfe.predict(MODEL, x, protocol=protocol)
    seconds = time.perf_counter() - start
    assert logits.shape == (len(x), 10)
    return seconds


def session_api_seconds(x: np.ndarray, protocol: str) -> float:
    """The MLP (Flatten, Dense 128 ReLU, Dense ReLU, Dense) with the session API, eagerly from Python."""
    npz = np.load(os.path.join(ROOT, "models", "fashion_mnist_mlp.npz"))
    weights = [npz[f"{layer}/{part}.npy"] for layer in ("dense", "dense_1", "dense_2") for part in ("kernel", "bias")]
    flat = x.transpose(0, 2, 3, 1).reshape(len(x), -1)  # Keras flattens NHWC

    def program(s):
        ws = [s.define_private_input("model-owner", lambda w=w: w) for w in weights]
        h = s.define_private_input("client", lambda: flat)
        for i in range(0, len(ws), 2):
            h = h @ ws[i] + ws[i + 1]
            if i + 2 < len(ws):
                h = tfe.relu(h)
        return s.reveal_to("client", h)

    start = time.perf_counter()
    logits = tfe.run(tfe.players(protocol, ["model-owner", "client"]), program, protocol)[-1]
    seconds = time.perf_counter() - start
    assert logits.shape == (len(x), 10)
    return seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", required=True, help="the build directory (tfe_predict, tfe_python_overhead)")
    p.add_argument("--protocol", default="aby3")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args()
    med = statistics.median

    x = tfe.load_fashion_mnist("test", args.batch)[0].transpose(0, 3, 1, 2).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        x_path = os.path.join(tmp, "x.npy")
        np.save(x_path, x)
        python_seconds(x, args.protocol)  # warm-up
        cpp, py, eager = [], [], []
        for _ in range(0, args.repeats, 5):  # rounds of 5, alternating, so that the load hits both alike
            cpp += cpp_warm(args.build, x_path, args.protocol, 5)
            py += [python_seconds(x, args.protocol) for _ in range(5)]
            eager += [session_api_seconds(x, args.protocol) for _ in range(5)]
        cold_cpp, cold_py = [], []
        for _ in range(args.repeats):
            cold_cpp.append(cpp_cold(args.build, x_path, args.protocol))
            cold_py.append(python_cold(x_path, args.protocol))
    c, q, e = med(cpp), med(py), med(eager)
    cc, cq, imp = med(cold_cpp), med(t for _, t in cold_py), med(i for i, _ in cold_py)
    print(f"ONNX MLP, batch {args.batch}, {args.protocol}, every player in one process, median of {args.repeats}:")
    print(f"  warm  C++ run_graph               {c * 1e3:8.1f} ms")
    print(f"  warm  Python tfe.predict          {q * 1e3:8.1f} ms   overhead {100 * (q - c) / c:+.1f}%")
    print(f"  cold  C++ tfe_predict             {cc * 1e3:8.1f} ms")
    print(f"  cold  Python tfe.predict          {cq * 1e3:8.1f} ms   overhead {100 * (cq - cc) / cc:+.1f}%"
          f"   (import tfe: {imp * 1e3:.0f} ms)")
    print(f"  warm  Python tfe.run, eager ops   {e * 1e3:8.1f} ms   ({e / c:.2f}x the C++ graph runner)")


if __name__ == "__main__":
    main()
