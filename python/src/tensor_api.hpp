// python/src/tensor_api.hpp: PrivateTensor_<protocol> and PublicTensor_<protocol>: the operators and
// ops of tfe's private tensors, each a direct call of the C++ op (tfe/ops/*.hpp) with the GIL released.
//
// Operands: another private tensor of the same session, a public tensor, a Python number, or any
// array-like (numpy array, list), which becomes a public constant (session::constant: every player
// encodes it, no communication). When the C++ op has no overload for the operand (e.g. a comparison
// with a public value) the operand is shared trivially (to_private). A tensor of another protocol is
// NotImplemented (Python's TypeError).
#pragma once

#include "handles.hpp"

#include "tfe/ops/approx.hpp"
#include "tfe/ops/approx_elementary.hpp"
#include "tfe/ops/approx_smooth.hpp"
#include "tfe/ops/arithmetic.hpp"
#include "tfe/ops/conv.hpp"
#include "tfe/ops/nonlinear.hpp"
#include "tfe/ops/structure.hpp"

#include <pybind11/stl.h>

#include <type_traits>
#include <vector>

namespace tfe::python {

/// A binary op as a SFINAE-friendly generic lambda (so that can_call sees which operands it takes).
#define TFE_PY_OP(expr) [](const auto& a, const auto& b) -> decltype(expr) { return expr; }

template <bool Reversed, class Op, class A, class B>
inline constexpr bool can_call =
    Reversed ? std::is_invocable_v<const Op&, const B&, const A&> : std::is_invocable_v<const Op&, const A&, const B&>;

/// Applies a unary op of private tensors, without the GIL (f must not touch Python objects).
template <class P, class F>
py_private<P> apply(const py_private<P>& x, F&& f) {
  const auto& v = x.get();
  return py_private<P>(x.handle, without_gil([&] { return private_tensor<P>(f(v)); }));
}

/// `x op other` (or `other op x` when Reversed) for any operand kind (see the top of this file).
template <bool Reversed, class P, class Op>
py::object binary(const py_private<P>& x, py::handle other, Op op) {
  using T = private_tensor<P>;
  using U = public_tensor<P>;
  const bool ours = py::isinstance<py_private<P>>(other) || py::isinstance<py_public<P>>(other);
  if (!ours && (py::isinstance<private_base>(other) || py::isinstance<public_base>(other)))
    return py::reinterpret_borrow<py::object>(Py_NotImplemented);  // another protocol's tensor
  const T& a = x.get();
  auto run = [&](const auto& b) -> py::object {
    return py::cast(py_private<P>(x.handle, without_gil([&] {
                                    if constexpr (Reversed)
                                      return T(op(b, a));
                                    else
                                      return T(op(a, b));
                                  })));
  };
  auto with_public = [&](const U& b) -> py::object {
    if constexpr (can_call<Reversed, Op, T, U>)
      return run(b);
    else if constexpr (can_call<Reversed, Op, T, T>)
      return run(to_private(b));
    else
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  };
  if (py::isinstance<py_private<P>>(other)) {
    if constexpr (can_call<Reversed, Op, T, T>) return run(other.cast<const py_private<P>&>().get());
  } else if (py::isinstance<py_public<P>>(other)) {
    return with_public(other.cast<const py_public<P>&>().get());
  } else if (PyFloat_Check(other.ptr()) || PyLong_Check(other.ptr())) {
    const double c = other.cast<double>();
    if constexpr (can_call<Reversed, Op, T, double>) return run(c);
    return with_public(a.sess().constant(xt::xarray<double>(c)));
  } else {
    return with_public(a.sess().constant(to_xarray(other, "operand")));
  }
  return py::reinterpret_borrow<py::object>(Py_NotImplemented);
}

/// Python's axis argument (None, an int, or a sequence of ints) as tfe's axes (empty: all).
inline std::vector<long> axes_of(py::handle axis) {
  if (axis.is_none()) return {};
  if (PyLong_Check(axis.ptr())) return {axis.cast<long>()};
  return axis.cast<std::vector<long>>();
}

inline ring_ops::padding padding_of(const std::string& p) {
  if (p == "valid" || p == "VALID") return ring_ops::padding::valid;
  if (p == "same" || p == "SAME") return ring_ops::padding::same;
  throw config_error("padding must be 'valid' or 'same', not '" + p + "'");
}

/// x[key] for ints and slices (any step > 0) per axis, as tfe::index and tfe::slice.
template <class P>
private_tensor<P> getitem(const private_tensor<P>& x, py::handle key) {
  py::tuple keys = py::isinstance<py::tuple>(key) ? py::reinterpret_borrow<py::tuple>(key) : py::make_tuple(key);
  TFE_ENFORCE(keys.size() <= x.ndim(), shape_error, "too many indices (", keys.size(), ") for a tensor of shape ",
              shape_str(x.shape()));
  private_tensor<P> out = x;
  long axis = 0;  // the axis of `out` the next key applies to
  for (py::handle k : keys) {
    const std::size_t n = out.shape()[static_cast<std::size_t>(axis)];
    if (PyIndex_Check(k.ptr())) {  // int, numpy integers
      const long given = py::int_(py::reinterpret_borrow<py::object>(k)).cast<long>();
      const long i = given < 0 ? given + static_cast<long>(n) : given;
      // IndexError, as numpy: it also ends Python's iteration over x[0], x[1], ...
      if (i < 0 || i >= static_cast<long>(n))
        throw py::index_error(detail::concat("index ", given, " is out of range for axis ", axis, " of size ", n));
      out = index(out, static_cast<std::size_t>(i), axis);
    } else if (PySlice_Check(k.ptr())) {
      py::ssize_t start = 0, stop = 0, step = 0, len = 0;
      if (PySlice_GetIndicesEx(k.ptr(), static_cast<py::ssize_t>(n), &start, &stop, &step, &len) != 0)
        throw py::error_already_set();
      TFE_ENFORCE(step > 0, shape_error, "slices with a negative step are not supported");
      const auto b = static_cast<std::size_t>(start),
                 e = b + static_cast<std::size_t>(len > 0 ? (len - 1) * step + 1 : 0);
      out = slice(out, axis, b, e, static_cast<std::size_t>(step));
      ++axis;
    } else {
      throw py::type_error("tensor indices must be integers or slices");
    }
  }
  return out;
}

template <class P>
void bind_tensors(py::module_& m, const std::string& name) {
  using T = py_private<P>;
  using V = private_tensor<P>;
  py::class_<py_public<P>, public_base>(m, ("PublicTensor_" + name).c_str())
      .def_property_readonly("shape", [](const py_public<P>& x) { return py::tuple(py::cast(x.get().shape())); })
      .def(
          "numpy", [](const py_public<P>& x) { return to_numpy(x.get().decode()); }, "The decoded values.")
      .def(
          "__array__", [](const py_public<P>& x, py::object) { return to_numpy(x.get().decode()); },
          py::arg("dtype") = py::none())
      .def(
          "to_private", [](const py_public<P>& x) { return py_private<P>(x.handle, to_private(x.get())); },
          "The value as a (trivial) sharing: no communication (tfe::to_private).")
      .def("__repr__", [name](const py_public<P>& x) {
        return "PublicTensor_" + name + "(shape=" + shape_str(x.value.shape()) + ", player='" + x.handle->player() +
               "')";
      });

  py::class_<T, private_base> c(m, ("PrivateTensor_" + name).c_str());
  c.def_property_readonly("shape", [](const T& x) { return py::tuple(py::cast(x.get().shape())); })
      .def_property_readonly("ndim", [](const T& x) { return x.get().ndim(); })
      .def_property_readonly("size", [](const T& x) { return x.get().size(); })
      .def_property_readonly("session", [](const T& x) { return x.handle; })
      .def("__len__", [](const T& x) { return x.get().dim(0); })
      .def("__repr__", [name](const T& x) {
        return "PrivateTensor_" + name + "(shape=" + shape_str(x.value.shape()) + ", player='" + x.handle->player() +
               "')";
      });

  // Operators (Python falls back to the reflected one of the other operand, e.g. numpy @ tensor).
  c.def("__add__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(a + b)); });
  c.def("__radd__", [](const T& x, py::handle o) { return binary<true>(x, o, TFE_PY_OP(a + b)); });
  c.def("__sub__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(a - b)); });
  c.def("__rsub__", [](const T& x, py::handle o) { return binary<true>(x, o, TFE_PY_OP(a - b)); });
  c.def("__mul__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(a * b)); });
  c.def("__rmul__", [](const T& x, py::handle o) { return binary<true>(x, o, TFE_PY_OP(a * b)); });
  c.def("__truediv__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(a / b)); });
  c.def("__matmul__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(matmul(a, b))); });
  c.def("__rmatmul__", [](const T& x, py::handle o) { return binary<true>(x, o, TFE_PY_OP(matmul(a, b))); });
  c.def("__lt__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(less(a, b))); });
  c.def("__gt__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(greater(a, b))); });
  c.def("__le__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(less_equal(a, b))); });
  c.def("__ge__", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(greater_equal(a, b))); });
  c.def("__neg__", [](const T& x) { return apply(x, [](const V& v) { return -v; }); });
  c.def("__pos__", [](const T& x) { return x; });
  c.def("__pow__", [](const T& x, unsigned n) { return apply(x, [n](const V& v) { return pow(v, n); }); });
  c.def("__getitem__", [](const T& x, py::handle key) { return T(x.handle, getitem(x.get(), key)); });
  c.def("maximum", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(maximum(a, b))); });
  c.def("minimum", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(minimum(a, b))); });
  c.def("equal", [](const T& x, py::handle o) { return binary<false>(x, o, TFE_PY_OP(equal(a, b))); });

  // Elementwise functions.
#define TFE_PY_UNARY(op) c.def(#op, [](const T& x) { return apply(x, [](const V& v) { return op(v); }); })
  TFE_PY_UNARY(relu);
  TFE_PY_UNARY(sigmoid);
  TFE_PY_UNARY(tanh);
  TFE_PY_UNARY(exp);
  TFE_PY_UNARY(log);
  TFE_PY_UNARY(sqrt);
  TFE_PY_UNARY(reciprocal);
  TFE_PY_UNARY(abs);
  TFE_PY_UNARY(square);
  TFE_PY_UNARY(erf);
  TFE_PY_UNARY(gelu);
#undef TFE_PY_UNARY
  c.def("clip", [](const T& x, double lo, double hi) { return apply(x, [=](const V& v) { return clip(v, lo, hi); }); });

  // Reductions and structure.
#define TFE_PY_REDUCE(op)                                               \
  c.def(                                                                \
      #op,                                                              \
      [](const T& x, py::handle axis, bool keep) {                      \
        const auto axes = axes_of(axis); /* (with the GIL) */           \
        return apply(x, [&](const V& v) { return op(v, axes, keep); }); \
      },                                                                \
      py::arg("axis") = py::none(), py::arg("keepdims") = false)
  TFE_PY_REDUCE(sum);
  TFE_PY_REDUCE(mean);
#undef TFE_PY_REDUCE
#define TFE_PY_AXIS(op)                                                                             \
  c.def(                                                                                            \
      #op, [](const T& x, long axis) { return apply(x, [=](const V& v) { return op(v, axis); }); }, \
      py::arg("axis") = -1)
  TFE_PY_AXIS(max);
  TFE_PY_AXIS(min);
  TFE_PY_AXIS(argmax);
  TFE_PY_AXIS(softmax);
#undef TFE_PY_AXIS
  c.def("reshape",
        [](const T& x, std::vector<long> shape) { return apply(x, [&](const V& v) { return reshape(v, shape); }); });
  c.def(
      "transpose",
      [](const T& x, std::vector<std::size_t> perm) {
        return apply(x, [&](const V& v) { return transpose(v, perm); });
      },
      py::arg("axes") = std::vector<std::size_t>{});
  c.def_property_readonly("T", [](const T& x) { return apply(x, [](const V& v) { return transpose(v); }); });

  // Convolution and pooling (NHWC; weights HWIO), as tfe::conv2d / max_pool2d / avg_pool2d.
  c.def(
      "conv2d",
      [](const T& x, const T& w, std::array<std::size_t, 2> strides, const std::string& pad) {
        const auto& wv = w.get();
        return apply(x, [&](const V& v) { return conv2d(v, wv, strides, padding_of(pad)); });
      },
      py::arg("w"), py::arg("strides") = std::array<std::size_t, 2>{1, 1}, py::arg("padding") = "valid");
  c.def(
      "max_pool2d",
      [](const T& x, std::array<std::size_t, 2> pool, std::array<std::size_t, 2> strides, const std::string& pad) {
        return apply(x, [&](const V& v) { return max_pool2d(v, pool, strides, padding_of(pad)); });
      },
      py::arg("pool"), py::arg("strides") = std::array<std::size_t, 2>{0, 0}, py::arg("padding") = "valid");
  c.def(
      "avg_pool2d",
      [](const T& x, std::array<std::size_t, 2> pool, std::array<std::size_t, 2> strides, const std::string& pad) {
        return apply(x, [&](const V& v) { return avg_pool2d(v, pool, strides, padding_of(pad)); });
      },
      py::arg("pool"), py::arg("strides") = std::array<std::size_t, 2>{0, 0}, py::arg("padding") = "valid");

  // Ops over several tensors (tfe.concat, tfe.stack, tfe.add_n call these on the first tensor's class).
  auto many = [](const std::vector<const T*>& xs) {
    TFE_ENFORCE(!xs.empty(), shape_error, "an empty list of tensors");
    std::vector<V> vs;
    for (const T* x : xs) vs.push_back(x->get());
    return vs;
  };
  c.def_static("_concat", [many](const std::vector<const T*>& xs, long axis) {
    auto vs = many(xs);
    return T(xs[0]->handle, without_gil([&] { return concat(vs, axis); }));
  });
  c.def_static("_stack", [many](const std::vector<const T*>& xs, long axis) {
    auto vs = many(xs);
    return T(xs[0]->handle, without_gil([&] { return stack(vs, axis); }));
  });
  c.def_static("_add_n", [many](const std::vector<const T*>& xs) {
    auto vs = many(xs);
    return T(xs[0]->handle, without_gil([&] { return add_n(vs); }));
  });
}

#undef TFE_PY_OP

}  // namespace tfe::python
