"""A small numpy interpreter for the ONNX ops that models/onnx/ and the model zoo (models/*.onnx) use,
without onnxruntime (which neither Debian nor this project's machines have).

    outputs = run(onnx.load(path), {"input": x})      # {output name: numpy array}

Floats are computed in float64 (initializers and float inputs are widened), so the result is a
reference close to exact. Only what the fixtures need is implemented; anything else (an op, an
attribute value) fails with NotImplementedError or an AssertionError rather than guessing.
"""
import math

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _f64(a):
    return a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a


def _pad_spatial(x, pads, value=0.0):
    """Pads the spatial axes (2, ...) of x by ONNX pads [begin..., end...]."""
    k = len(pads) // 2
    return np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + k]) for i in range(k)],
                  constant_values=value)


def _windows(x, kernel, strides, dilations):
    """Sliding windows over the two spatial axes: (N, C, OH, OW, kh, kw)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, strides, dilations
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    win = np.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))
    return win[:, :, ::sh, ::sw, ::dh, ::dw]


def _conv(x, w, b, a):
    group = a.get("group", 1)
    kernel = w.shape[2:]
    assert len(kernel) == 2 and a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
    x = _pad_spatial(x, a.get("pads", [0] * 4))
    win = _windows(x, kernel, a.get("strides", [1, 1]), a.get("dilations", [1, 1]))
    cin, cout = w.shape[1], w.shape[0] // group
    outs = [np.einsum("nchwij,ocij->nohw", win[:, g * cin:(g + 1) * cin], w[g * cout:(g + 1) * cout])
            for g in range(group)]
    y = np.concatenate(outs, axis=1)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _conv_transpose(x, w, b, a):
    assert a.get("group", 1) == 1 and "output_shape" not in a
    (sh, sw), (dh, dw) = a.get("strides", [1, 1]), a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0] * 4)
    oph, opw = a.get("output_padding", [0, 0])
    n, _, h, wd = x.shape
    _, m, kh, kw = w.shape  # (C, M, kh, kw)
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    y = np.zeros((n, m, full_h, full_w))
    for i in range(kh):  # every input pixel scatters its kernel into the output
        for j in range(kw):
            y[:, :, i * dh:i * dh + (h - 1) * sh + 1:sh, j * dw:j * dw + (wd - 1) * sw + 1:sw] += \
                np.einsum("nchw,cm->nmhw", x, w[:, :, i, j])
    y = y[:, :, pt:full_h - pb, pl:full_w - pr]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _pool(x, a, reduce, pad_value):
    assert a.get("ceil_mode", 0) == 0 and a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
    pads = a.get("pads", [0] * 4)
    if reduce is np.mean:  # AveragePool: only unpadded (torch puts padding in a Pad node)
        assert not any(pads), "AveragePool with pads is not implemented"
    x = _pad_spatial(x, pads, pad_value)
    win = _windows(x, a["kernel_shape"], a.get("strides", [1, 1]), a.get("dilations", [1, 1]))
    return reduce(win, axis=(-2, -1))


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        idx[int(ax)] = slice(int(s), int(e), int(st))  # Python slicing clamps like ONNX
    return x[tuple(idx)]


def _reshape(x, shape, allowzero):
    shape = [int(d) for d in shape]
    if not allowzero:
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _layer_norm(x, scale, bias, a):
    axes = tuple(range(a.get("axis", -1) % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale
    return y if bias is None else y + bias


def _div(x, y):
    if np.issubdtype(np.result_type(x, y), np.integer):  # ONNX integer division truncates
        return (np.trunc(np.asarray(x) / np.asarray(y))).astype(np.result_type(x, y))
    return x / y


def _batch_norm(x, scale, bias, mean, var, a):
    assert a.get("training_mode", 0) == 0
    shape = (1, -1) + (1,) * (x.ndim - 2)
    inv = scale.reshape(shape) / np.sqrt(var.reshape(shape) + a.get("epsilon", 1e-5))
    return (x - mean.reshape(shape)) * inv + bias.reshape(shape)


def _cast(x, to):
    dtype = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[to]
    return _f64(x.astype(dtype))  # rounds to the target type, then keeps floats in float64


_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf: the C library's, elementwise, in float64


def _op(node, x, a):
    """The outputs (a list) of one node, given its inputs x (None where omitted) and attributes a."""
    t = node.op_type
    if t == "Constant":
        return [_f64(numpy_helper.to_array(a["value"]))]
    if t == "Identity":
        return [x[0]]
    if t == "Relu":
        return [np.maximum(x[0], 0)]
    if t == "LeakyRelu":
        return [np.where(x[0] >= 0, x[0], a.get("alpha", 0.01) * x[0])]
    if t == "Sigmoid":
        return [1 / (1 + np.exp(-x[0]))]
    if t == "Tanh":
        return [np.tanh(x[0])]
    if t == "Erf":
        return [_erf(x[0]).astype(np.float64)]
    if t == "Sqrt":
        return [np.sqrt(x[0])]
    if t == "Softmax":
        return [_softmax(x[0], a.get("axis", -1))]
    if t in ("Add", "Sub", "Mul", "Pow"):
        return [{"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power}[t](x[0], x[1])]
    if t == "Div":
        return [_div(x[0], x[1])]
    if t == "MatMul":
        return [np.matmul(x[0], x[1])]
    if t == "Gemm":
        A = x[0].T if a.get("transA", 0) else x[0]
        B = x[1].T if a.get("transB", 0) else x[1]
        y = a.get("alpha", 1.0) * (A @ B)
        return [y if len(x) < 3 or x[2] is None else y + a.get("beta", 1.0) * x[2]]
    if t == "Conv":
        return [_conv(x[0], x[1], x[2] if len(x) > 2 else None, a)]
    if t == "ConvTranspose":
        return [_conv_transpose(x[0], x[1], x[2] if len(x) > 2 else None, a)]
    if t == "BatchNormalization":
        return [_batch_norm(*x[:5], a)]
    if t == "LayerNormalization":
        return [_layer_norm(x[0], x[1], x[2] if len(x) > 2 else None, a)]
    if t == "MaxPool":
        return [_pool(x[0], a, np.max, -np.inf)]
    if t == "AveragePool":
        return [_pool(x[0], a, np.mean, 0.0)]
    if t == "GlobalAveragePool":
        return [x[0].mean(axis=tuple(range(2, x[0].ndim)), keepdims=True)]
    if t == "Pad":
        assert a.get("mode", b"constant") in (b"constant", "constant") and len(x) < 4
        pads = [int(p) for p in x[1]]
        k = len(pads) // 2
        value = x[2] if len(x) > 2 and x[2] is not None else 0.0
        return [np.pad(x[0], [(pads[i], pads[i + k]) for i in range(k)], constant_values=value)]
    if t == "Flatten":
        axis = a.get("axis", 1) % max(x[0].ndim, 1)
        return [x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)]
    if t == "Reshape":
        return [_reshape(x[0], x[1], a.get("allowzero", 0))]
    if t == "Transpose":
        return [np.transpose(x[0], a.get("perm"))]
    if t == "Shape":
        assert "start" not in a and "end" not in a
        return [np.array(x[0].shape, dtype=np.int64)]
    if t == "Equal":
        return [np.equal(x[0], x[1])]
    if t == "Where":
        return [np.where(x[0], x[1], x[2])]
    if t == "ConstantOfShape":
        value = _f64(numpy_helper.to_array(a["value"])) if "value" in a else np.zeros(1)
        return [np.full([int(d) for d in x[0]], value.reshape(()), dtype=value.dtype)]
    if t == "Expand":  # numpy broadcasting of the input and the shape, both ways
        shape = np.broadcast_shapes(x[0].shape, tuple(int(d) for d in x[1]))
        return [np.broadcast_to(x[0], shape).copy()]
    if t == "Gather":
        return [np.take(x[0], x[1].astype(np.int64), axis=a.get("axis", 0))]
    if t == "Unsqueeze":  # opset 13: axes as an input
        y = x[0]
        axes = sorted(int(ax) % (y.ndim + len(x[1])) for ax in x[1])
        for ax in axes:
            y = np.expand_dims(y, ax)
        return [y]
    if t == "Concat":
        return [np.concatenate([np.atleast_1d(v) for v in x], axis=a["axis"])]
    if t == "Slice":
        return [_slice(x[0], *[v for v in x[1:]])]
    if t == "Cast":
        return [_cast(x[0], a["to"])]
    if t == "ReduceMean":  # opsets < 18: axes as an attribute
        axes = tuple(a["axes"]) if "axes" in a else None
        return [x[0].mean(axis=axes, keepdims=bool(a.get("keepdims", 1)))]
    raise NotImplementedError(f"op {t}")


def run(model, feeds):
    """Runs model (a ModelProto) on feeds {input name: array}; returns {output name: array}."""
    env = {init.name: _f64(numpy_helper.to_array(init)) for init in model.graph.initializer}
    env.update({k: _f64(np.asarray(v)) for k, v in feeds.items()})
    for node in model.graph.node:  # exported graphs are topologically sorted
        inputs = [env[name] if name else None for name in node.input]
        outputs = _op(node, inputs, _attrs(node))
        for name, value in zip(node.output, outputs):
            env[name] = value
    return {o.name: env[o.name] for o in model.graph.output}
