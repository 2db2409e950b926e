#!/usr/bin/python3
"""Trains the model zoo's two Fashion-MNIST models in PyTorch and exports them as ONNX for tfe.

usage: /usr/bin/python3 tools/make_zoo_models.py [--model resnet|vit|all] [--epochs N] [--out DIR]
                                                 [--limit N]

  --model    which model to train (default: all)
  --epochs   override the number of epochs of each model's recipe (0: export the untrained model)
  --out      output directory (default: models/ at the top of the repository)
  --limit    train on the first N training images only (smoke tests; the zoo uses all 60000)

Needs Debian's python3-torch (1.13), python3-onnx and python3-numpy, and the Fashion-MNIST IDX files
(Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist, or $TFE_FASHION_MNIST_DIR).
Writes, for MODEL in resnet and vit:

  fashion_mnist_MODEL.onnx               the trained model: one input "input" (N, 1, 28, 28) float32
                                         in [0, 1] (raw pixels / 255, as tfe::io reads them), one
                                         output "logits" (N, 10); dynamic batch axis "N"
  fashion_mnist_MODEL_torch_logits.npy   PyTorch's float32 logits (1000, 10) on the first 1000 test
                                         images (their labels: onnx/fashion_mnist_test_labels_1000.npy)
  zoo.json                               per model: architecture, parameters, accuracies, recipe,
                                         training time, versions, and the activation ranges that
                                         matter to tfe's fixed point (updated in place: training one
                                         model keeps the other's entry)

The models:

  resnet  stem conv 3x3 (1->16) + BatchNorm + ReLU; BasicBlocks 16->16 (stride 1), 16->32 (stride 2),
          32->64 (stride 2), the strided ones with a 1x1 conv + BatchNorm shortcut; global average
          pool; Linear 64->10. Opset 13, BatchNormalization kept as nodes (tfe's model owner folds
          them into one product per element).
  vit     patch embedding conv 7x7 stride 7 (16 patches of 64 features), a class token (17 tokens),
          learned position embedding, 2 pre-norm encoder blocks (4-head self-attention written out
          as MatMul/Softmax, MLP 64->128->64 with exact erf GELU), final LayerNorm, Linear head on
          the class token. Opset 17 (LayerNorm is one LayerNormalization node).

Training is deterministic: initial weights from torch.manual_seed(seed), the data order and the
augmentation from a torch.Generator seeded with the same seed, 2 threads. A rerun on the same
machine, torch and thread count writes the same weights; other BLAS/oneDNN builds may round
differently. Every exported file passes onnx.checker (full check) and strict shape inference, and
tools/onnx_numpy_eval.py (a float64 numpy interpreter) reproduces PyTorch's logits on it.
"""
import argparse
import json
import math
import os
import sys
import time

# Set before torch loads libgomp: the machine is shared, and OpenMP threads that spin while waiting
# for a descheduled sibling make each step several times slower when another job holds a core.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_models import (  # noqa: E402  (tools/make_onnx_models.py)
    FASHION_DIR, check_onnx, export, fashion_test_set, fmt_size, op_types, read_idx)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_LOGITS = 1000  # test images whose logits and activation ranges are recorded
N_CHECK = 8  # test images on which the numpy ONNX evaluation is compared with PyTorch
THREADS = 2  # the development machine has 2 cores and is shared


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def fashion_train_set(limit=None):
    """The training images as NCHW float32 in [0, 1] (raw / 255, like fashion_test_set) and labels."""
    images = read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte"))[:limit]
    labels = read_idx(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte"))[:limit]
    x = (images.astype(np.float64) / 255.0).astype(np.float32)
    return x.reshape(-1, 1, 28, 28), labels.astype(np.int64)


def augment(x, gen, pad, flip):
    """A batch (B, 1, 28, 28) randomly shifted by up to `pad` pixels (a random 28x28 crop of the image
    zero-padded by `pad`) and, if `flip`, mirrored left-right with probability 1/2, per image; all
    randomness from `gen`."""
    b, _, h, w = x.shape
    if pad:
        padded = F.pad(x, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
        dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
        rows = (dy[:, None] + torch.arange(h))[:, :, None]  # (B, H, 1)
        cols = (dx[:, None] + torch.arange(w))[:, None, :]  # (B, 1, W)
        x = padded[torch.arange(b)[:, None, None], 0, rows, cols].unsqueeze(1)
    if flip:
        mirror = torch.rand(b, generator=gen) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
    return x


# ---------------------------------------------------------------------------------------------
# The ResNet
# ---------------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut (identity, or 1x1 conv stride s + BN when the
    shape changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return self.relu(h + self.shortcut(x))


class ResNet(nn.Module):
    """(N, 1, 28, 28) -> stem 16 @28x28 -> block 16 @28x28 -> block 32 @14x14 -> block 64 @7x7 ->
    global average pool -> Linear -> (N, 10)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU())
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)  # exported as GlobalAveragePool
        self.fc = nn.Linear(64, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(h), 1))


# ---------------------------------------------------------------------------------------------
# The vision transformer
# ---------------------------------------------------------------------------------------------


class Linear(nn.Linear):
    """nn.Linear that trains as a 1x1 convolution.

    Debian's torch links the reference BLAS, which makes the ViT's token-wise matrix products slow:
    a training step took 154 ms with F.linear and 26 ms with oneDNN's 1x1 convolution (batch 128,
    2 idle cores). While `Linear.fast` is set (training and the
    per-epoch test accuracy), forward runs through F.conv2d: the same parameters and math, rounded
    differently (|difference| ~1e-6). The final evaluation, the recorded logits and activation
    ranges and the ONNX export clear it and use F.linear, so the graph has plain MatMul/Gemm and
    the recorded logits are those of the exported computation."""

    fast = True

    def forward(self, x):
        if not Linear.fast or torch.onnx.is_in_onnx_export():
            return F.linear(x, self.weight, self.bias)
        lead = x.shape[:-1]  # the rows of x are the batch of a 1x1 convolution
        y = F.conv2d(x.reshape(-1, self.in_features, 1, 1), self.weight[:, :, None, None], self.bias)
        return y.reshape(*lead, self.out_features)


class Attention(nn.Module):
    """Multi-head self-attention written out, so that the ONNX graph is MatMul, Mul by the constant
    1/sqrt(d_head), Softmax over the last axis, MatMul (no fused op)."""

    def __init__(self, dim, heads):
        super().__init__()
        assert dim % heads == 0
        self.heads, self.d_head = heads, dim // heads
        self.scale = 1.0 / math.sqrt(self.d_head)
        self.qkv = Linear(dim, 3 * dim)
        self.softmax = nn.Softmax(dim=-1)  # a module, so that a hook sees its input (the scores)
        self.out = Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, self.d_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # each (N, heads, T, d_head)
        attn = self.softmax((q @ k.transpose(-2, -1)) * self.scale)  # (N, heads, T, T)
        h = (attn @ v).transpose(1, 2).reshape(n, t, d)  # merge the heads
        return self.out(h)


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: x + Attention(LN(x)), then x + MLP(LN(x)), MLP = Linear, GELU (erf),
    Linear."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(Linear(dim, hidden), nn.GELU(approximate="none"), Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """(N, 1, 28, 28) -> 7x7 patches (Conv stride 7) -> 16 tokens of `dim` -> class token prepended,
    position embedding added -> `depth` encoder blocks -> LayerNorm -> Linear on the class token ->
    (N, 10)."""

    def __init__(self, dim=64, depth=2, heads=4, hidden=128, patch=7):
        super().__init__()
        tokens = (28 // patch) ** 2 + 1
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = Linear(dim, 10)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # (N, 16, dim), patches in row order
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed  # (N, 17, dim)
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


# ---------------------------------------------------------------------------------------------
# The recipes
# ---------------------------------------------------------------------------------------------

VIT_SHAPE = dict(dim=64, depth=2, heads=4, hidden=128, patch=7)

RECIPES = {
    "resnet": dict(
        seed=1, make=ResNet, opset=13,
        architecture="stem Conv3x3(1->16, no bias)+BN+ReLU; BasicBlock(16->16, s1); "
                     "BasicBlock(16->32, s2, shortcut Conv1x1 s2+BN); BasicBlock(32->64, s2, shortcut "
                     "Conv1x1 s2+BN); GlobalAveragePool; Linear(64->10). BasicBlock = "
                     "Conv3x3-BN-ReLU-Conv3x3-BN, + shortcut, ReLU",
        epochs=15, batch=128,
        optimizer=dict(name="SGD", lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4),
        # shifts only, no mirroring: Fashion-MNIST's shoes all point left, in the test set too
        warmup_epochs=1, label_smoothing=0.0, crop_pad=2, flip=False,
        channels_last=True,  # oneDNN's convolutions are faster in NHWC on this machine
    ),
    "vit": dict(
        seed=2, make=lambda: ViT(**VIT_SHAPE), opset=17,
        architecture=f"patch embedding Conv7x7 stride 7 (1->{VIT_SHAPE['dim']}, 16 patches); class "
                     f"token (17 tokens); learned position embedding; {VIT_SHAPE['depth']} pre-norm "
                     f"encoder blocks (LayerNorm, {VIT_SHAPE['heads']}-head self-attention: Linear "
                     f"qkv, q@k^T * 1/sqrt({VIT_SHAPE['dim'] // VIT_SHAPE['heads']}), Softmax, @v, "
                     f"Linear out; residual; LayerNorm, MLP Linear({VIT_SHAPE['dim']}->"
                     f"{VIT_SHAPE['hidden']}), GELU (erf), Linear({VIT_SHAPE['hidden']}->"
                     f"{VIT_SHAPE['dim']}); residual); LayerNorm; Linear({VIT_SHAPE['dim']}->10) on "
                     "the class token",
        shape=VIT_SHAPE,
        epochs=40, batch=128,
        optimizer=dict(name="AdamW", lr=2e-3, betas=(0.9, 0.999), weight_decay=0.05,
                       no_decay="biases, LayerNorm weights, class token, position embedding"),
        # shifts only, as for the ResNet: this small model underfits (its training loss falls to the
        # last epoch), and with mirroring as well a 30-epoch run reached only 0.882
        warmup_epochs=3, label_smoothing=0.1, crop_pad=2, flip=False, channels_last=False,
    ),
}


def make_optimizer(model, opt):
    if opt["name"] == "SGD":
        return torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt["momentum"],
                               nesterov=opt["nesterov"], weight_decay=opt["weight_decay"])
    assert opt["name"] == "AdamW"
    # the usual transformer split: weight decay on the matrices and convolution kernels only, not on
    # biases, LayerNorm weights, the class token or the position embedding
    embeddings = ("cls_token", "pos_embed")
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and n not in embeddings]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1 or n in embeddings]
    return torch.optim.AdamW([{"params": decay, "weight_decay": opt["weight_decay"]},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=opt["lr"], betas=opt["betas"])


def lr_at(step, total, warmup, peak):
    """Linear warmup from 0 over `warmup` steps, then cosine decay to 0 at `total`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


# ---------------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------------


def logits_of(model, x, batch=1000):
    """The eval-mode logits of model on x (numpy NCHW float32), as numpy float32."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(model(torch.from_numpy(x[i:i + batch])).numpy())
    return np.concatenate(out).astype(np.float32)


def accuracy(logits, labels):
    return float((logits.argmax(1) == labels).mean())


def train(model, r, epochs, x_train, y_train, x_test, y_test):
    """Trains model by recipe r; prints loss and test accuracy per epoch; returns the wall time (s)."""
    gen = torch.Generator().manual_seed(r["seed"])  # data order and augmentation
    opt = make_optimizer(model, r["optimizer"])
    peak = r["optimizer"]["lr"]
    steps_per_epoch = math.ceil(len(x_train) / r["batch"])
    total, warmup = epochs * steps_per_epoch, r["warmup_epochs"] * steps_per_epoch
    fmt = torch.channels_last if r["channels_last"] else torch.contiguous_format
    model.to(memory_format=fmt)
    xs, ys = torch.from_numpy(x_train), torch.from_numpy(y_train)
    start, step = time.time(), 0
    for epoch in range(epochs):
        model.train()
        t0, loss_sum, seen = time.time(), 0.0, 0
        for idx in torch.randperm(len(xs), generator=gen).split(r["batch"]):
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, warmup, peak)
            x = augment(xs[idx], gen, r["crop_pad"], r["flip"]).contiguous(memory_format=fmt)
            loss = F.cross_entropy(model(x), ys[idx], label_smoothing=r["label_smoothing"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(idx)
            seen += len(idx)
            step += 1
        acc = accuracy(logits_of(model, x_test), y_test)
        print(f"  epoch {epoch + 1:3d}/{epochs}: loss {loss_sum / seen:.4f}, test accuracy "
              f"{acc:.4f}, lr {opt.param_groups[0]['lr']:.2e}, {time.time() - t0:.0f} s", flush=True)
    model.to(memory_format=torch.contiguous_format)
    return time.time() - start


def activation_ranges(model, x):
    """The ranges that matter to tfe's fixed point (16 fractional bits, |x| < 32768) over the eval-mode
    forward pass on x: max |output| of every module, and at the inputs of the approximated ops:
    LayerNorm (max |x| and the min/max of the variance over the normalized axis, which goes into
    inv_sqrt(var + eps)), Softmax (the attention scores, and their max - min per row) and GELU (its
    input and that of its Erf, x/sqrt(2))."""
    stats = {}

    def upd(key, value, fn=max):
        stats[key] = fn(stats[key], value) if key in stats else value

    def out_hook(name):
        def hook(mod, inp, out):
            upd(("out", name), float(out.detach().abs().max()))
        return hook

    def in_hook(name):
        def hook(mod, inp):
            a = inp[0].detach().double()
            upd(("in", name), float(a.abs().max()))
            if isinstance(mod, nn.LayerNorm):
                var = a.var(dim=-1, unbiased=False)  # LayerNormalization's variance
                upd(("var_min", name), float(var.min()), min)
                upd(("var_max", name), float(var.max()))
            if isinstance(mod, nn.Softmax):
                upd(("row_range", name), float((a.max(-1).values - a.min(-1).values).max()))
        return hook

    handles = []
    for name, mod in model.named_modules():
        if name and not isinstance(mod, (nn.Sequential, nn.Identity)):
            handles.append(mod.register_forward_hook(out_hook(name)))
        if isinstance(mod, (nn.LayerNorm, nn.Softmax, nn.GELU, nn.BatchNorm2d)):
            handles.append(mod.register_forward_pre_hook(in_hook(name)))
    logits = logits_of(model, x)
    for h in handles:
        h.remove()

    def of(kind, cls):
        return {n: v for (k, n), v in stats.items() if k == kind and
                isinstance(model.get_submodule(n), cls)}

    r = {"images": len(x), "input_max_abs": float(np.abs(x).max()),
         "logits_max_abs": float(np.abs(logits).max()),
         "max_abs_activation": max(v for (k, _), v in stats.items() if k in ("in", "out")),
         "module_output_max_abs": {n: round(v, 4) for (k, n), v in stats.items() if k == "out"}}
    if of("in", nn.BatchNorm2d):
        r["batchnorm_input_max_abs"] = max(of("in", nn.BatchNorm2d).values())
    ln = of("in", nn.LayerNorm)
    if ln:
        r["layernorm"] = {n: {"input_max_abs": ln[n], "var_min": stats[("var_min", n)],
                              "var_max": stats[("var_max", n)]} for n in ln}
        r["layernorm_input_max_abs"] = max(ln.values())
        r["layernorm_var_min"] = min(v["var_min"] for v in r["layernorm"].values())
        r["layernorm_var_max"] = max(v["var_max"] for v in r["layernorm"].values())
        r["layernorm_epsilon"] = 1e-5
    sm = of("in", nn.Softmax)
    if sm:
        r["softmax_input_max_abs"] = max(sm.values())
        r["softmax_input_row_range_max"] = max(stats[("row_range", n)] for n in sm)
        r["softmax_input_max_abs_per_block"] = sm
    ge = of("in", nn.GELU)
    if ge:
        r["gelu_input_max_abs"] = max(ge.values())
        r["erf_input_max_abs"] = max(ge.values()) / math.sqrt(2.0)  # GELU(x) = x/2 (1 + erf(x/√2))
        r["gelu_input_max_abs_per_block"] = ge
    return r


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


def undo_shared_initializers(proto):
    """Replaces every Identity node whose input is an initializer by a copy of that initializer.

    torch's exporter merges initializers with equal values and reads the duplicates through Identity
    nodes. In a ResNet block the second BatchNorm's bias and the shortcut BatchNorm's bias get the
    same gradient (their outputs are added), so they start equal (zero) and stay equal. tfe's model
    owner folds a BatchNormalization into one product only when its parameters are weights (not
    computed values), so each one gets its own initializer back."""
    inits = {i.name: i for i in proto.graph.initializer}
    keep = []
    for node in proto.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            proto.graph.initializer.append(copy)
        else:
            keep.append(node)
    del proto.graph.node[:]
    proto.graph.node.extend(keep)
    return proto


def export_model(model, example, path, opset):
    """make_onnx_models.export (input "input", output "logits", dynamic batch axis, checked), then
    undo_shared_initializers, checked again."""
    proto = undo_shared_initializers(export(model, example, path, opset, output_name="logits"))
    onnx.checker.check_model(proto, full_check=True)
    onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return proto


# ---------------------------------------------------------------------------------------------
# One model: train, evaluate, export, check, record
# ---------------------------------------------------------------------------------------------


def build(kind, args, data):
    r = RECIPES[kind]
    x_train, y_train, x_test, y_test = data
    epochs = r["epochs"] if args.epochs is None else args.epochs
    name = f"fashion_mnist_{kind}"
    print(f"{name}: training {epochs} epochs on {len(x_train)} images, seed {r['seed']}", flush=True)
    torch.manual_seed(r["seed"])
    np.random.seed(r["seed"])
    model = r["make"]()
    params = sum(p.numel() for p in model.parameters())
    print(f"  {params} parameters", flush=True)
    Linear.fast = True
    wall = train(model, r, epochs, x_train, y_train, x_test, y_test)
    Linear.fast = False  # from here on the reference computation, the one the ONNX graph has
    model.eval()

    logits = logits_of(model, x_test)
    acc_all = accuracy(logits, y_test)
    acc_first = accuracy(logits[:N_LOGITS], y_test[:N_LOGITS])
    print(f"{name}: test accuracy {acc_all:.4f} (10000 images), {acc_first:.4f} (first {N_LOGITS}); "
          f"trained in {wall:.0f} s", flush=True)
    np.save(os.path.join(args.out, f"{name}_torch_logits.npy"), logits[:N_LOGITS])

    ranges = activation_ranges(model, x_test[:N_LOGITS])
    print("  ranges: " + ", ".join(f"{k} {v:.4g}" for k, v in ranges.items()
                                    if isinstance(v, float)), flush=True)

    path = os.path.join(args.out, f"{name}.onnx")
    proto = export_model(model, x_test[:2], path, r["opset"])
    ops = op_types(proto)
    print(f"  {name}.onnx: opset {r['opset']}, {fmt_size(os.path.getsize(path))}, {dict(ops)}")
    check_onnx(proto, model, [x_test[:N_CHECK], x_test[N_CHECK:N_CHECK + 3]], f"{name}.onnx")
    # every BatchNorm is a node whose parameters are initializers (so tfe's owner folds it)
    inits = {i.name for i in proto.graph.initializer}
    bns = [n for n in proto.graph.node if n.op_type == "BatchNormalization"]
    assert len(bns) == sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()), ops
    assert all(name in inits for n in bns for name in n.input[1:]), "a BatchNorm parameter is computed"

    opt = dict(r["optimizer"])
    return name, {
        "file": f"{name}.onnx",
        "logits_file": f"{name}_torch_logits.npy",
        "architecture": r["architecture"],
        **({"shape": r["shape"]} if "shape" in r else {}),
        "parameters": params,
        "onnx_opset": r["opset"],
        "onnx_size_bytes": os.path.getsize(path),
        "onnx_op_types": dict(sorted(ops.items())),
        "input": {"name": "input", "shape": ["N", 1, 28, 28], "dtype": "float32",
                  "scaling": "raw pixel / 255"},
        "output": {"name": "logits", "shape": ["N", 10], "dtype": "float32"},
        "accuracy_test_10000": acc_all,
        "accuracy_test_first_1000": acc_first,
        "epochs": epochs,
        "train_images": len(x_train),
        "batch_size": r["batch"],
        "optimizer": opt,
        "lr_schedule": f"linear warmup {r['warmup_epochs']} epoch(s) from 0, then cosine to 0 "
                       "(per step)",
        "loss": "cross entropy" + (f", label smoothing {r['label_smoothing']}"
                                   if r["label_smoothing"] else ""),
        "augmentation": f"random shift: 28x28 crop of the image zero-padded by {r['crop_pad']}"
                        + (", horizontal flip p=0.5" if r["flip"] else ""),
        "seed": r["seed"],
        "training_wall_time_s": round(wall, 1),
        "threads": THREADS,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "ranges_first_1000_test_images": ranges,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["resnet", "vit", "all"], default="all")
    ap.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    ap.add_argument("--out", default=os.path.join(REPO, "models"))
    ap.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    args = ap.parse_args()
    torch.set_num_threads(THREADS)  # (make_onnx_models sets 1 when imported)
    os.makedirs(args.out, exist_ok=True)

    x_train, y_train = fashion_train_set(args.limit)
    x_test, y_test = fashion_test_set(10000)
    data = (x_train, y_train, x_test, y_test)

    zoo_path = os.path.join(args.out, "zoo.json")
    models = {}
    if os.path.exists(zoo_path):  # keep the entry of a model not trained this time
        with open(zoo_path) as f:
            models = json.load(f)["models"]
    for kind in (["resnet", "vit"] if args.model == "all" else [args.model]):
        name, entry = build(kind, args, data)
        models[name] = entry
        write_zoo(zoo_path, models)
    print(f"wrote {zoo_path}")


def tidy(v):
    """v with every float rounded to 6 significant digits (for a readable zoo.json)."""
    if isinstance(v, float):
        return float(f"{v:.6g}")
    if isinstance(v, dict):
        return {k: tidy(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tidy(x) for x in v]
    return v


def write_zoo(path, models):
    zoo = {
        "generated_by": "/usr/bin/python3 tools/make_zoo_models.py",
        "dataset": "Fashion-MNIST (IDX files, Debian's dataset-fashion-mnist): 60000 training, 10000 "
                   "test images, pixels / 255",
        "accuracy": "float32 PyTorch, eval mode, argmax of the logits",
        "training_wall_time_s": "wall clock of the training loop (with the per-epoch test "
                                "accuracy), 2 threads, on whatever else the machine was running",
        "ranges": "over the first 1000 test images, float32 PyTorch; tfe's ring64 fixed point has 16 "
                  "fractional bits and |x| < 32768; LayerNorm's inv_sqrt(var + eps) has the domain "
                  "[2^-14, 2^15); GELU(x) = x/2 (1 + erf(x/sqrt(2))), so the Erf input is the GELU "
                  "input / sqrt(2); module_output_max_abs is keyed by PyTorch module name",
        "models": {k: models[k] for k in sorted(models)},
    }
    with open(path, "w") as f:
        json.dump(tidy(zoo), f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
