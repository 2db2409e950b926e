#!/usr/bin/python3
"""Writes the ONNX test fixtures in models/onnx/: small models exported from PyTorch, with reference
inputs and PyTorch's outputs, for tfe's ONNX import to run and compare against.

usage: /usr/bin/python3 tools/make_onnx_models.py [OUT_DIR]      (default: models/onnx)

Needs Debian's python3-torch (1.13), python3-onnx and python3-numpy. Writes:

  fashion_mnist_{mlp,cnn}.onnx           models/fashion_mnist_{mlp,cnn}.npz (tfe's Keras-style models)
                                         rebuilt as PyTorch modules with NCHW input (N, 1, 28, 28);
                                         asserted to match a numpy forward pass of the Keras model
  fashion_mnist_{mlp,cnn}_torch_logits.npy   PyTorch's logits (1000, 10) float32 on the first 1000
                                         test images (the images are not written: read the IDX set)
  fashion_mnist_test_labels_1000.npy     their labels, int64
  <name>.onnx, <name>.input.npy, <name>.output.npy
                                         tiny models with random weights that exercise graph features
                                         (BatchNormalization, attention, grouped and dilated
                                         convolutions, pooling with padding, ConvTranspose, ...),
                                         a batch-2 input and PyTorch's output (float32)
  README.md                              what each file is, its opset, op types and size

Everything is drawn from fixed seeds (one per model), so a rerun writes the same numbers; the .onnx
bytes may differ between torch/onnx versions. Every model is exported with a dynamic batch axis
(dim_param "N"), checked with onnx.checker and ONNX shape inference, and its op types are counted.
"""
import collections
import gzip
import io
import json
import os
import sys
import zipfile

import numpy as np
import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_numpy_eval  # noqa: E402  (tools/onnx_numpy_eval.py)

torch.set_num_threads(1)  # small models; the machine is shared

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_DIR = os.environ.get("TFE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
N_TEST = 1000  # test images whose logits are written
N_CHECK = 16  # test images on which the PyTorch rebuild is compared with the Keras computation
KERAS_TOL = 1e-4
ONNX_TOL = 1e-5  # relative to the largest output (PyTorch float32 vs the float64 evaluation)


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST data (IDX files, as include/tfe/io/idx.hpp reads them)
# ---------------------------------------------------------------------------------------------


def read_idx(path):
    """An IDX file (gzipped or not) as a numpy array of its type and shape."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, type_code, ndim = data[0:2], data[2], data[3]
    assert zero == b"\0\0", f"{path}: bad IDX magic"
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    arr = np.frombuffer(data, dtype=dtypes[type_code], offset=4 + 4 * ndim)
    return arr.reshape(shape)


def fashion_test_set(n):
    """The first n test images as NCHW float32 in [0, 1] and their labels (int64).

    Scaled like tfe::io (raw / 255.0 in double, then float), so the C++ side sees the same numbers."""
    images = read_idx(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte"))[:n]
    labels = read_idx(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte"))[:n]
    x = (images.astype(np.float64) / 255.0).astype(np.float32)
    return x.reshape(n, 1, 28, 28), labels.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# tfe's Keras-style model files: a numpy reference forward pass and a PyTorch rebuild
# ---------------------------------------------------------------------------------------------


def load_keras_model(path):
    """(architecture dict, {"layer/weight": array}) of a tfe.keras model file (.npz)."""
    with zipfile.ZipFile(path) as zf:
        arch = json.loads(zf.read("architecture.json").decode())
    assert arch["format"] == "tfe.keras.Sequential", arch["format"]
    with np.load(path) as z:
        weights = {k: z[k] for k in z.files if k != "architecture.json"}
    return arch, weights


def keras_same_pads(size, k, s):
    """Keras 'same' padding (before, after) of one spatial axis: the extra one goes after."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def activate(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    assert name == "linear", f"activation {name} not supported"
    return x


def pool_size_strides(cfg):
    """(pool, strides) of a MaxPooling2D config; strides 0 (or missing) mean the pool size."""
    pool = tuple(cfg["pool_size"])
    strides = tuple(s if s else p for s, p in zip(cfg.get("strides") or (0, 0), pool))
    return pool, strides


def keras_forward_numpy(arch, weights, x):
    """The Keras model on NHWC input x (N, H, W, C), in float64 numpy, straight from the npz weights."""
    x = x.astype(np.float64)
    for layer in arch["layers"]:
        cls, cfg = layer["class_name"], layer["config"]
        name = cfg["name"]
        if cls == "Conv2D":
            kern = weights[f"{name}/kernel"].astype(np.float64)  # HWIO
            kh, kw = kern.shape[:2]
            sh, sw = cfg["strides"]
            if cfg["padding"] == "same":
                ph, pw = keras_same_pads(x.shape[1], kh, sh), keras_same_pads(x.shape[2], kw, sw)
                x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
            else:
                assert cfg["padding"] == "valid", cfg["padding"]
            win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
            # win: (N, OH, OW, C, kh, kw); contract C, kh, kw with the HWIO kernel
            x = np.einsum("nhwcij,ijco->nhwo", win, kern)
            if cfg["use_bias"]:
                x = x + weights[f"{name}/bias"]
            x = activate(x, cfg["activation"])
        elif cls == "MaxPooling2D":
            assert cfg["padding"] == "valid", cfg["padding"]
            (ph, pw), (sh, sw) = pool_size_strides(cfg)
            win = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(1, 2))[:, ::sh, ::sw]
            x = win.max(axis=(-2, -1))
        elif cls == "Flatten":
            x = x.reshape(x.shape[0], -1)  # NHWC order: (h, w, c) with c fastest
        elif cls == "Dense":
            x = x @ weights[f"{name}/kernel"].astype(np.float64)
            if cfg["use_bias"]:
                x = x + weights[f"{name}/bias"]
            x = activate(x, cfg["activation"])
        else:
            raise ValueError(f"layer {cls} not supported")
    return x


def keras_to_torch(arch, weights):
    """The Keras model as an nn.Sequential taking NCHW input (N, C, H, W).

    Conv2D kernels go from HWIO to OIHW, Dense kernels are transposed, and the rows of the first Dense
    kernel after a Flatten are permuted from Keras's (h, w, c) flatten order to PyTorch's (c, h, w)."""
    h, w, c = arch["input_shape"]  # NHWC shape without the batch, tracked through the layers
    flat_from = None  # (h, w, c) of the last Flatten's input until the next Dense uses it
    mods = []
    for layer in arch["layers"]:
        cls, cfg = layer["class_name"], layer["config"]
        name = cfg["name"]
        if cls == "Conv2D":
            kern = weights[f"{name}/kernel"]  # (kh, kw, in, out)
            kh, kw, cin, cout = kern.shape
            sh, sw = cfg["strides"]
            if cfg["padding"] == "same":
                ph, pw = keras_same_pads(h, kh, sh), keras_same_pads(w, kw, sw)
                if ph[0] != ph[1] or pw[0] != pw[1]:  # asymmetric: pad explicitly
                    mods.append(nn.ZeroPad2d((pw[0], pw[1], ph[0], ph[1])))
                    pad = (0, 0)
                else:
                    pad = (ph[0], pw[0])
                h, w = -(-h // sh), -(-w // sw)
            else:
                pad = (0, 0)
                h, w = (h - kh) // sh + 1, (w - kw) // sw + 1
            conv = nn.Conv2d(cin, cout, (kh, kw), stride=(sh, sw), padding=pad, bias=cfg["use_bias"])
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(kern.transpose(3, 2, 0, 1)))
            if cfg["use_bias"]:
                conv.bias.data = torch.from_numpy(weights[f"{name}/bias"].copy())
            mods.append(conv)
            c = cout
        elif cls == "MaxPooling2D":
            (ph, pw), (sh, sw) = pool_size_strides(cfg)
            mods.append(nn.MaxPool2d((ph, pw), stride=(sh, sw)))
            h, w = (h - ph) // sh + 1, (w - pw) // sw + 1
        elif cls == "Flatten":
            mods.append(nn.Flatten())
            flat_from = (h, w, c)
        elif cls == "Dense":
            kern = weights[f"{name}/kernel"]  # (inputs, units)
            if flat_from is not None:
                fh, fw, fc = flat_from
                # row (hh*W + ww)*C + cc in Keras is row cc*H*W + hh*W + ww in PyTorch
                kern = kern.reshape(fh, fw, fc, -1).transpose(2, 0, 1, 3).reshape(fh * fw * fc, -1)
                flat_from = None
            lin = nn.Linear(kern.shape[0], kern.shape[1], bias=cfg["use_bias"])
            lin.weight.data = torch.from_numpy(np.ascontiguousarray(kern.T))
            if cfg["use_bias"]:
                lin.bias.data = torch.from_numpy(weights[f"{name}/bias"].copy())
            mods.append(lin)
        else:
            raise ValueError(f"layer {cls} not supported")
        if cls in ("Conv2D", "Dense"):
            if cfg["activation"] == "relu":
                mods.append(nn.ReLU())
            else:
                assert cfg["activation"] == "linear", cfg["activation"]
    return nn.Sequential(*mods).eval()


# ---------------------------------------------------------------------------------------------
# Small models that exercise graph features (random weights from fixed seeds)
# ---------------------------------------------------------------------------------------------


def randomize_batchnorm(bn):
    """Non-trivial affine weights and running statistics, so BatchNormalization does something."""
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_(0.0, 0.2)
        bn.running_mean.normal_(0.0, 0.5)
        bn.running_var.uniform_(0.5, 2.0)


class ResidualCNN(nn.Module):
    """(N, 3, 8, 8) -> conv 3x3, BN, ReLU -> conv 3x3, BN, + skip (the first ReLU's output), ReLU ->
    conv 1x1 stride 2 -> global average pool -> flatten -> linear -> (N, 10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.down = nn.Conv2d(8, 16, 1, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)
        randomize_batchnorm(self.bn1)
        randomize_batchnorm(self.bn2)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)) + h)
        h = self.pool(self.down(h))
        return self.fc(torch.flatten(h, 1))


class Attention(nn.Module):
    """(N, 4, 16) -> self-attention (2 heads), + residual, LayerNorm -> mean over the sequence ->
    linear -> (N, 3)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)
        self.norm = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 3)
        with torch.no_grad():  # a non-trivial LayerNorm affine part
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.normal_(0.0, 0.2)

    def forward(self, x):
        a, _ = self.attn(x, x, x, need_weights=False)
        h = self.norm(x + a)
        return self.fc(h.mean(dim=1))


class DepthwiseMix(nn.Module):
    """(N, 4, 6, 6) -> depthwise conv 3x3 (groups 4, dilation 2, padding 2) -> conv 3x3 stride 2
    padding 1 -> LeakyReLU(0.1) -> max pool 2 stride 1 padding 1 -> average pool 2 -> sigmoid ->
    flatten -> linear -> tanh -> linear -> softmax -> (N, 5)."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(4, 4, 3, groups=4, dilation=2, padding=2)  # 6x6 -> 6x6
        self.conv = nn.Conv2d(4, 8, 3, stride=2, padding=1)  # -> 3x3
        self.act = nn.LeakyReLU(0.1)
        self.maxpool = nn.MaxPool2d(2, stride=1, padding=1)  # -> 4x4
        self.avgpool = nn.AvgPool2d(2)  # -> 2x2
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        h = self.avgpool(self.maxpool(self.act(self.conv(self.dw(x)))))
        h = torch.flatten(torch.sigmoid(h), 1)
        h = torch.tanh(self.fc1(h))
        return torch.softmax(self.fc2(h), dim=1)


class ConvTranspose(nn.Module):
    """(N, 2, 5, 5) -> ConvTranspose 3x3 stride 2 padding 1 output_padding 1 -> ReLU -> conv 1x1 ->
    (N, 4, 10, 10)."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(torch.relu(self.up(x)))


# name, module class, input shape (batch 2), opset, seed, one-line description
FEATURE_MODELS = [
    ("residual_cnn", ResidualCNN, (2, 3, 8, 8), 13, 101,
     "conv + BatchNormalization (eval, non-trivial running stats) + ReLU, a residual add, a strided "
     "1x1 conv, global average pool, linear"),
    ("attention_opset14", Attention, (2, 4, 16), 14, 102,
     "nn.MultiheadAttention (2 heads, batch_first) self-attention, residual, LayerNorm (decomposed "
     "at opset 14), mean over the sequence, linear"),
    ("attention_opset17", Attention, (2, 4, 16), 17, 102,
     "the same model and weights as attention_opset14, with LayerNormalization as one op (opset 17)"),
    ("depthwise_mlp_mix", DepthwiseMix, (2, 4, 6, 6), 13, 103,
     "depthwise dilated padded conv, strided conv, LeakyReLU, max pool with padding, average pool, "
     "sigmoid, flatten, linear, tanh, linear, softmax"),
    ("conv_transpose", ConvTranspose, (2, 2, 5, 5), 13, 104,
     "ConvTranspose (stride 2, padding 1, output_padding 1), ReLU, 1x1 conv"),
]


# ---------------------------------------------------------------------------------------------
# Export and checks
# ---------------------------------------------------------------------------------------------


def export(model, example, path, opset, output_name="output"):
    """Exports model (eval mode) with input "input", one output and a dynamic batch axis "N"; checks
    the file and returns it (a ModelProto).

    torch's default (training=EVAL) folds BatchNormalization into the preceding Conv; we want the op
    in the graph, so a model with BatchNorm is exported with training=PRESERVE (still in eval mode:
    the nodes use the running statistics) and without constant folding (which torch warns against
    in that mode)."""
    model.eval()
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    buf = io.BytesIO()
    torch.onnx.export(
        model, (torch.from_numpy(example),), buf,
        opset_version=opset,
        input_names=["input"], output_names=[output_name],
        dynamic_axes={"input": {0: "N"}, output_name: {0: "N"}},
        training=torch.onnx.TrainingMode.PRESERVE if has_bn else torch.onnx.TrainingMode.EVAL,
        do_constant_folding=not has_bn,
    )
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
    assert proto.opset_import[0].version == opset
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return proto


def check_onnx(proto, model, xs, name):
    """Asserts that the exported graph, run by the numpy interpreter, gives PyTorch's outputs on each
    input in xs (batches of different sizes, which also checks that the batch axis is dynamic)."""
    for x in xs:
        want = torch_out(model, x)
        got = onnx_numpy_eval.run(proto, {"input": x})[proto.graph.output[0].name]
        assert got.shape == want.shape, (name, got.shape, want.shape)
        diff = np.abs(got - want).max()
        tol = ONNX_TOL * max(1.0, np.abs(want).max())
        assert diff < tol, f"{name}: ONNX vs PyTorch differ by {diff}"
        print(f"  {name}: numpy ONNX evaluation vs PyTorch, batch {len(x)}: max |difference| {diff:.1e}")


def op_types(proto):
    return collections.Counter(n.op_type for n in proto.graph.node)


def torch_out(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy().astype(np.float32)


def fmt_ops(ops):
    return ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in sorted(ops.items()))


def fmt_size(n):
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} B"


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "models", "onnx")
    os.makedirs(out_dir, exist_ok=True)
    rows = []  # (file, description, opset, ops, input shape, output shape) for the README
    accuracy = {}

    # 1. the Fashion-MNIST models
    x_test, y_test = fashion_test_set(N_TEST)
    np.save(os.path.join(out_dir, f"fashion_mnist_test_labels_{N_TEST}.npy"), y_test)
    for kind in ("mlp", "cnn"):
        arch, weights = load_keras_model(os.path.join(REPO, "models", f"fashion_mnist_{kind}.npz"))
        model = keras_to_torch(arch, weights)
        logits = torch_out(model, x_test)
        ref = keras_forward_numpy(arch, weights, x_test[:N_CHECK].transpose(0, 2, 3, 1))  # NHWC
        diff = np.abs(logits[:N_CHECK] - ref).max()
        print(f"fashion_mnist_{kind}: max |PyTorch - Keras reference| on {N_CHECK} images = {diff:.2e}")
        assert diff < KERAS_TOL, f"the PyTorch rebuild of {kind} differs from Keras by {diff}"
        acc = float((logits.argmax(1) == y_test).mean())
        ref_acc = float((keras_forward_numpy(arch, weights, x_test.transpose(0, 2, 3, 1)).argmax(1)
                         == y_test).mean())
        assert acc == ref_acc, (acc, ref_acc)
        accuracy[kind] = acc
        print(f"fashion_mnist_{kind}: PyTorch accuracy on the first {N_TEST} test images = {acc:.4f}")
        np.save(os.path.join(out_dir, f"fashion_mnist_{kind}_torch_logits.npy"), logits)
        name = f"fashion_mnist_{kind}.onnx"
        proto = export(model, x_test[:2], os.path.join(out_dir, name), 13, output_name="logits")
        ops, opset = op_types(proto), 13
        print(f"  {name}: opset {opset}, {dict(ops)}")
        check_onnx(proto, model, [x_test[:N_CHECK], x_test[N_CHECK:N_CHECK + 3]], name)
        desc = ", ".join(l["class_name"] for l in arch["layers"])
        rows.append((name, f"`models/fashion_mnist_{kind}.npz` ({desc}) rebuilt in PyTorch",
                     opset, ops, "(N, 1, 28, 28)", "(N, 10)"))

    # 2. small models exercising graph features
    for name, cls, shape, opset, seed, desc in FEATURE_MODELS:
        torch.manual_seed(seed)
        model = cls().eval()
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 1000)).numpy()
        y = torch_out(model, x)
        np.save(os.path.join(out_dir, f"{name}.input.npy"), x.astype(np.float32))
        np.save(os.path.join(out_dir, f"{name}.output.npy"), y)
        proto = export(model, x, os.path.join(out_dir, f"{name}.onnx"), opset)
        ops = op_types(proto)
        print(f"{name}.onnx: opset {opset}, output {y.shape}, {dict(ops)}")
        x3 = torch.randn((3,) + shape[1:], generator=torch.Generator().manual_seed(seed + 2000)).numpy()
        check_onnx(proto, model, [x, x3], f"{name}.onnx")
        in_shape = "(N, " + ", ".join(map(str, shape[1:])) + ")"
        out_shape = "(N, " + ", ".join(map(str, y.shape[1:])) + ")"
        rows.append((f"{name}.onnx", desc, opset, ops, in_shape, out_shape))

    write_readme(out_dir, rows, accuracy)
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"total size of {out_dir}: {fmt_size(total)}")


def write_readme(out_dir, rows, accuracy):
    sizes = {f: os.path.getsize(os.path.join(out_dir, f))
             for f in os.listdir(out_dir) if f != "README.md"}
    L = []
    L.append("# ONNX test models")
    L.append("")
    L.append("Fixtures for tfe's ONNX import: small models exported from PyTorch "
             f"{torch.__version__.split('+')[0]} (onnx {onnx.__version__}) with reference inputs and "
             "PyTorch's outputs, which the import's interpreter should reproduce. Generated by")
    L.append("")
    L.append("```sh")
    L.append("/usr/bin/python3 tools/make_onnx_models.py      # Debian's python3-torch, python3-onnx")
    L.append("```")
    L.append("")
    L.append("from fixed seeds: a rerun writes the same numbers (the `.onnx` bytes may differ between "
             "torch/onnx versions). This README is written by the same script. Every model has one "
             "input named `input` with a dynamic batch axis `N` and one output (`logits` for the "
             "Fashion-MNIST models, `output` for the others), passes `onnx.checker` (full check) and "
             "strict ONNX shape inference. All tensors are float32 except the labels (int64).")
    L.append("")
    L.append("## Models")
    L.append("")
    L.append("| file | what | opset | input → output | op types | size |")
    L.append("|---|---|---|---|---|---|")
    for name, desc, opset, ops, i, o in rows:
        L.append(f"| `{name}` | {desc} | {opset} | {i} → {o} | {fmt_ops(ops)} "
                 f"| {fmt_size(sizes[name])} |")
    L.append("")
    L.append("## Fashion-MNIST")
    L.append("")
    L.append("`fashion_mnist_mlp.onnx` and `fashion_mnist_cnn.onnx` are the shipped models "
             "`models/fashion_mnist_{mlp,cnn}.npz` (tfe's Keras-style files, NHWC input, Keras "
             "layouts) rebuilt as PyTorch modules taking NCHW input (N, 1, 28, 28): Conv2D kernels "
             "HWIO → OIHW, Dense kernels transposed, and the rows of the first Dense kernel after "
             "Flatten permuted from Keras's (h, w, c) flatten order to PyTorch's (c, h, w). The script "
             "asserts that the rebuild matches a numpy forward pass of the Keras model "
             f"(max |difference| < {KERAS_TOL:g} on {N_CHECK} test images) and that both give the same predictions on "
             f"the first {N_TEST}.")
    L.append("")
    L.append(f"The test images are not stored here: read the first {N_TEST} of the IDX test set "
             "(`tfe::io`, `/usr/share/datasets/fashion-mnist/t10k-*`) and scale them by 1/255 as "
             "`tfe::io` does.")
    L.append("")
    L.append("| file | contents | size |")
    L.append("|---|---|---|")
    for kind in ("mlp", "cnn"):
        f = f"fashion_mnist_{kind}_torch_logits.npy"
        L.append(f"| `{f}` | PyTorch's logits of `fashion_mnist_{kind}.onnx` on the first {N_TEST} "
                 f"test images, ({N_TEST}, 10) float32 | {fmt_size(sizes[f])} |")
    f = f"fashion_mnist_test_labels_{N_TEST}.npy"
    L.append(f"| `{f}` | their labels, ({N_TEST},) int64 | {fmt_size(sizes[f])} |")
    L.append("")
    L.append(f"PyTorch's accuracy on the first {N_TEST} test images (argmax of the logits): "
             f"MLP **{accuracy['mlp']:.3f}**, CNN **{accuracy['cnn']:.3f}**.")
    L.append("")
    L.append("## Feature models")
    L.append("")
    L.append("Random weights from a fixed seed per model (BatchNorm and LayerNorm affine weights and "
             "BatchNorm running statistics randomized too, so they are not identities). For each "
             "`<name>.onnx`: `<name>.input.npy`, a batch-2 input drawn from a seeded standard normal, "
             "and `<name>.output.npy`, PyTorch's output on it (eval mode). BatchNormalization is "
             "kept as a node (exported with `training=TrainingMode.PRESERVE` from an eval-mode "
             "module; torch's default export folds it into the Conv).")
    L.append("")
    L.append("| file | shape | size |")
    L.append("|---|---|---|")
    for name, _, _, _, _, _ in rows:
        base = name[: -len(".onnx")]
        for suffix in (".input.npy", ".output.npy"):
            f = base + suffix
            if f in sizes:
                shape = np.load(os.path.join(out_dir, f)).shape
                L.append(f"| `{f}` | {shape} | {fmt_size(sizes[f])} |")
    L.append("")
    L.append("## Notes for an interpreter")
    L.append("")
    L.append("- The attention graphs compute shapes at run time: `Shape`, `Gather`, `Unsqueeze`, "
             "`Concat`, `Slice` bounds, and `Div`/`Mul`/`Add`/`Cast` on int64 scalars feed the "
             "`Reshape`s (that is how torch exports a dynamic batch). These values depend only on "
             "the public shapes, never on the data. `MultiheadAttention`'s 1/sqrt(head dim) is a "
             "`Div` by a constant; LayerNorm at opset 14 is ReduceMean, Sub, Pow 2, Add eps, Sqrt, "
             "Div, Mul, Add.")
    L.append("- `depthwise_mlp_mix.onnx`: torch writes `AvgPool2d` as a `Pad` with all-zero pads "
             "(a no-op) before the `AveragePool`; its `MaxPool` has pads 1, and ONNX pads a max pool "
             "with -infinity (the padding never wins), not with zeros.")
    L.append("- `residual_cnn.onnx`: `BatchNormalization` in inference form (no `training_mode`), "
             "y = (x - mean) / sqrt(var + epsilon) * scale + B per channel.")
    L.append("- Linear layers are `Gemm` with `transB = 1` (weights stored (out, in)).")
    L.append("- The script checks every exported file by running it with a small numpy interpreter "
             "(`tools/onnx_numpy_eval.py`, float64) on the saved input and on a batch of 3, against "
             "PyTorch (max |difference| below 1e-5 of the largest output); its code is a "
             "readable statement of each op's semantics as these files use them.")
    L.append("")
    L.append(f"Total: {fmt_size(sum(sizes.values()))} (without this README).")
    L.append("")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
