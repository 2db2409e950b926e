// tfe/graph/training.hpp: training graph models (residual CNNs, MLPs, imported or built in C++) on
// private data, by reverse-mode differentiation over the graph and SGD.
//
//   tfe::graph::trainer<P> t(model);              // checks that every node has a gradient rule
//   t.step({x}, y_onehot, 0.05);                  // softmax cross-entropy of output 0, one SGD step
//   tfe::graph::trainer<P> ft(model, tfe::graph::name_starts_with({"layer3.", "fc."}));  // fine-tuning:
//                                                 // only these weights train; the rest is frozen
//
// Forward: graph::model::evaluate keeping every value. Backward: the nodes in reverse order, each
// rule below giving the gradients of its inputs that depend on a weight; gradients of a value used
// several times (a residual connection) add up. The loss is softmax cross-entropy of the first output
// (the logits) against one-hot labels: dL/dz = (softmax(z) − y)/N. Update: w ← w − lr·dL/dw (one
// public product each). Everything stays secret-shared: the labels, the gradients, the weights.
//
// Gradient rules (costs: each product of two private tensors is one P::bilinear + truncation):
//   Add Sub Neg Identity Dropout Flatten Reshape Squeeze Unsqueeze Transpose Concat   local
//   Mul                 a product per private input
//   Relu LeakyRelu      one sign test (the derivative) and one product
//   Gemm MatMul         two matrix products (batched for N-D · N-D: attention)
//   Conv                dW = im2col(x)ᵀ·dy and dx = col2im(dy·Wᵀ), one bilinear each (groups 1,
//                       dilations 1; any strides and pads)
//   tfe.ScaleShift      (the owner-folded BatchNormalization) three products and sums
//   GlobalAveragePool   local;  MaxPool: the forward tournament again for the argmax, exact scatter
//   Sigmoid Tanh        σ(1 − σ), 1 − tanh² from the forward output: one or two products
//   Softmax             y ⊙ (dy − Σ dy ⊙ y) along its axis: two products;  Div by a constant: local
// Any other op in a path from a weight to the loss fails at construction with the node named.
#pragma once

#include "tfe/graph/model.hpp"
#include "tfe/ops/pool_grad.hpp"

#include <functional>
#include <numeric>
#include <set>

namespace tfe::graph {

/// A trainable-weight selection for `trainer`: the weights whose names start with one of `prefixes`.
inline std::function<bool(const std::string&)> name_starts_with(std::vector<std::string> prefixes) {
  return [prefixes = std::move(prefixes)](const std::string& name) {
    for (const auto& p : prefixes)
      if (name.compare(0, p.size(), p) == 0) return true;
    return false;
  };
}

namespace detail {

/// Sums a broadcast gradient back to `s` (numpy broadcasting's adjoint).
template <protocol P>
private_tensor<P> sum_to(const private_tensor<P>& g, const shape_t& s) {
  if (g.shape() == s) return g;
  auto r = g;
  while (r.ndim() > s.size()) r = sum(r, {0});
  std::vector<long> axes;
  for (std::size_t d = 0; d < s.size(); ++d)
    if (s[d] == 1 && r.shape()[d] != 1) axes.push_back(static_cast<long>(d));
  if (!axes.empty()) r = sum(r, axes, true);
  return r;
}

template <protocol P>
private_tensor<P> reshaped(const private_tensor<P>& x, const shape_t& s) {
  return reshape(x, std::vector<long>(s.begin(), s.end()));
}

template <protocol P>
private_tensor<P> swap_last(const private_tensor<P>& x) {
  std::vector<std::size_t> perm(x.ndim());
  std::iota(perm.begin(), perm.end(), std::size_t(0));
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return transpose(x, perm);
}

/// a·b for (..., n, k)·(..., k, m) private tensors of equal batch shapes, or a 2-D b.
template <protocol P>
private_tensor<P> product(const private_tensor<P>& a, const private_tensor<P>& b) {
  using R = typename P::ring;
  if (a.ndim() == 2 && b.ndim() == 2) return matmul(a, b);
  if (b.ndim() == 2) {
    const std::size_t k = a.shape().back(), rows = a.size() / k;
    shape_t out = a.shape();
    out.back() = b.shape()[1];
    return reshaped(matmul(reshaped(a, {rows, k}), b), out);
  }
  TFE_ENFORCE(a.ndim() == b.ndim(), shape_error, "matmul gradient: shapes ", shape_str(a.shape()), " and ",
              shape_str(b.shape()));
  const std::size_t n = a.shape()[a.ndim() - 2], k = a.shape().back(), m = b.shape().back();
  const std::size_t nb = a.size() / (n * k);
  shape_t out = a.shape();
  out.back() = m;
  auto a3 = reshaped(a, {nb, n, k}), b3 = reshaped(b, {nb, k, m});
  auto r = tfe::detail::truncated_product(
      a.sess(), &a3.parts(), nullptr, &b3.parts(), nullptr, a3.shape(), b3.shape(), shape_t{nb, n, m},
      [](const ring_tensor<R>& x, const ring_tensor<R>& y) { return kernels::detail::batched_matmul<R>(x, y); });
  return reshaped(r, out);
}

}  // namespace detail

template <protocol P>
class trainer {
 public:
  using tensor = private_tensor<P>;

  /// `trainable` selects the weights that train (all when empty); the others are frozen, and the
  /// nodes before the first trainable weight need no gradient rule and cost no backward pass.
  explicit trainer(model<P>& m, std::function<bool(const std::string&)> trainable = {}) : m_model(m) {
    const auto& g = m.spec();
    std::set<std::string> live;  // values that depend on a trainable weight
    for (const auto& w : g.weights)
      if (!trainable || trainable(w.name)) live.insert(w.name);
    TFE_ENFORCE(!live.empty(), config_error, g.source, ": no weight is trainable (the selection matches none of its ",
                g.weights.size(), " weights)");
    for (const auto& n : g.nodes) {
      bool any = false;
      for (const auto& i : n.inputs) any = any || live.count(i);
      if (!any) continue;
      const std::set<std::string> rules{"Add",
                                        "Sub",
                                        "Neg",
                                        "Identity",
                                        "Dropout",
                                        "Flatten",
                                        "Reshape",
                                        "Squeeze",
                                        "Unsqueeze",
                                        "Transpose",
                                        "Concat",
                                        "Mul",
                                        "Relu",
                                        "LeakyRelu",
                                        "Gemm",
                                        "MatMul",
                                        "Conv",
                                        "MaxPool",
                                        "GlobalAveragePool",
                                        "tfe.ScaleShift",
                                        "Sigmoid",
                                        "Tanh",
                                        "Softmax",
                                        "Div"};
      TFE_ENFORCE(rules.count(n.op_type), config_error, g.source, ": ", n.where(),
                  ": training needs its gradient, which tfe does not have (trainable ops: Add Sub Neg Identity "
                  "Dropout Flatten Reshape Squeeze Unsqueeze Transpose Concat Mul Relu LeakyRelu Gemm MatMul Conv "
                  "MaxPool GlobalAveragePool BatchNormalization Sigmoid Tanh Softmax Div-by-a-constant)");
      const std::vector<std::int64_t> unit{1, 1};
      const bool plain_conv = n.get_int("group", 1) == 1 && n.get_ints("dilations", unit) == unit;
      if (n.op_type == "Conv")
        TFE_ENFORCE(plain_conv, config_error, g.source, ": ", n.where(),
                    ": training supports Conv with group 1 and no dilation");
      if (n.op_type == "Div")
        TFE_ENFORCE(!live.count(n.inputs.at(1)) && g.constants.count(n.inputs.at(1)), config_error, g.source, ": ",
                    n.where(), ": training supports Div by a public constant");
      if (n.op_type == "Softmax")
        TFE_ENFORCE(g.opset >= 13 || n.get_int("axis", 1) == -1, config_error, g.source, ": ", n.where(),
                    ": training supports Softmax along one axis (opset 13 or axis -1)");
      for (const auto& o : n.outputs) live.insert(o);
    }
    m_live = std::move(live);
  }

  /// One SGD step on a batch: softmax cross-entropy of output 0 against one-hot labels y.
  void step(const std::vector<tensor>& x, const tensor& y, double learning_rate) {
    auto& s = m_model.sess();
    auto scope = s.op_scope("graph.train_step");
    const auto& g = m_model.spec();
    auto env = m_model.evaluate(x, true);
    const auto& z = *env.at(g.outputs.at(0)).priv;
    TFE_ENFORCE(z.shape() == y.shape(), shape_error, g.source, ": logits of shape ", shape_str(z.shape()),
                " for labels of shape ", shape_str(y.shape()));
    std::map<std::string, tensor> grads;
    grads.emplace(g.outputs[0], (softmax(z, -1) - y) * (1.0 / static_cast<double>(z.shape()[0])));
    for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
      const node& n = *it;
      if (n.outputs.empty() || !grads.count(n.outputs[0])) continue;
      backward(n, env, grads);
    }
    for (auto& [name, w] : m_model.weights()) {
      auto gi = grads.find(name);
      if (gi != grads.end() && m_live.count(name)) w = w - gi->second * learning_rate;
    }
  }

 private:
  void add_grad(std::map<std::string, tensor>& grads, const std::string& name, const tensor& g) {
    if (!m_live.count(name)) return;
    auto it = grads.find(name);
    if (it == grads.end())
      grads.emplace(name, g);
    else
      it->second = it->second + g;
  }

  void backward(const node& n, std::map<std::string, value<P>>& env, std::map<std::string, tensor>& grads) {
    auto& s = m_model.sess();
    const tensor dy = grads.at(n.outputs[0]);
    auto val = [&](std::size_t i) -> const value<P>& { return env.at(n.inputs.at(i)); };
    auto priv = [&](std::size_t i) {
      const auto& v = val(i);
      return v.is_private() ? *v.priv : to_private(s.constant(v.pub->data));
    };
    auto shape = [&](std::size_t i) { return val(i).shape(); };
    const std::string& t = n.op_type;
    auto scope = s.op_scope("grad." + t);
    if (t == "Add" || t == "Sub") {
      add_grad(grads, n.inputs[0], detail::sum_to(dy, shape(0)));
      add_grad(grads, n.inputs[1], detail::sum_to(t == "Add" ? dy : -dy, shape(1)));
    } else if (t == "Neg") {
      add_grad(grads, n.inputs[0], -dy);
    } else if (t == "Identity" || t == "Dropout" || t == "Flatten" || t == "Reshape" || t == "Squeeze" ||
               t == "Unsqueeze") {
      add_grad(grads, n.inputs[0], detail::reshaped(dy, shape(0)));
    } else if (t == "Transpose") {
      auto p = n.get_ints("perm");
      std::vector<std::size_t> inv(dy.ndim());
      for (std::size_t i = 0; i < inv.size(); ++i)
        inv[p.empty() ? inv.size() - 1 - i : static_cast<std::size_t>(p[i])] = i;
      add_grad(grads, n.inputs[0], transpose(dy, inv));
    } else if (t == "Concat") {
      const std::size_t a = gd::axis_of(n.get_int("axis", 0), dy.ndim(), n);
      std::size_t off = 0;
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const std::size_t len = shape(i)[a];
        add_grad(grads, n.inputs[i], slice(dy, static_cast<long>(a), off, off + len));
        off += len;
      }
    } else if (t == "Mul") {
      for (std::size_t i = 0; i < 2; ++i) {
        if (!m_live.count(n.inputs[i])) continue;
        const auto& other = val(1 - i);
        auto gi = other.is_public() ? gd::mul_public(dy, *other.pub) : dy * *other.priv;
        add_grad(grads, n.inputs[i], detail::sum_to(gi, shape(i)));
      }
    } else if (t == "Relu" || t == "LeakyRelu") {
      auto d = relu_derivative(priv(0));
      if (t == "LeakyRelu") {
        const double a = n.get_float("alpha", 0.01);
        d = d * (1.0 - a) + a;
      }
      add_grad(grads, n.inputs[0], dy * d);
    } else if (t == "MatMul") {
      auto a = priv(0), b = priv(1);
      add_grad(grads, n.inputs[0], detail::product(dy, detail::swap_last(b)));
      if (m_live.count(n.inputs[1])) {
        if (b.ndim() == 2 && a.ndim() > 2) {
          const std::size_t k = a.shape().back(), rows = a.size() / k;
          add_grad(grads, n.inputs[1],
                   matmul(transpose(detail::reshaped(a, {rows, k})), detail::reshaped(dy, {rows, dy.shape().back()})));
        } else {
          add_grad(grads, n.inputs[1], detail::product(detail::swap_last(a), dy));
        }
      }
    } else if (t == "Gemm") {
      const bool ta = n.get_int("transA", 0) != 0, tb = n.get_int("transB", 0) != 0;
      const double alpha = n.get_float("alpha", 1.0), beta = n.get_float("beta", 1.0);
      auto a = priv(0), b = priv(1);
      auto ap = ta ? transpose(a) : a, bp = tb ? transpose(b) : b;
      auto g = alpha == 1.0 ? dy : dy * alpha;
      auto dap = matmul(g, transpose(bp)), dbp = matmul(transpose(ap), g);
      add_grad(grads, n.inputs[0], ta ? transpose(dap) : dap);
      add_grad(grads, n.inputs[1], tb ? transpose(dbp) : dbp);
      if (n.inputs.size() > 2 && !n.inputs[2].empty())
        add_grad(grads, n.inputs[2], detail::sum_to(beta == 1.0 ? dy : dy * beta, shape(2)));
    } else if (t == "Sigmoid") {  // σ' = σ(1 − σ), from the forward output
      const auto y = *env.at(n.outputs[0]).priv;
      add_grad(grads, n.inputs[0], dy * (y - y * y));
    } else if (t == "Tanh") {  // tanh' = 1 − tanh²
      const auto y = *env.at(n.outputs[0]).priv;
      add_grad(grads, n.inputs[0], dy * (1.0 - y * y));
    } else if (t == "Softmax") {  // dx = y ⊙ (dy − Σ_axis dy ⊙ y)
      const auto y = *env.at(n.outputs[0]).priv;
      const long a = static_cast<long>(gd::axis_of(n.get_int("axis", -1), y.ndim(), n));
      auto dot = sum(dy * y, {a}, true);
      add_grad(grads, n.inputs[0], y * (dy - tfe::detail::broadcast(dot, y.shape())));
    } else if (t == "Div") {  // by a public constant c: dx = dy / c
      const auto& cv = val(1);
      add_grad(grads, n.inputs[0],
               detail::sum_to(gd::mul_public(dy, array{xt::xarray<double>(1.0 / cv.pub->data), false}), shape(0)));
    } else if (t == "Conv") {
      conv_backward(n, env, grads, dy);
    } else if (t == "tfe.ScaleShift") {
      std::vector<long> s4(dy.ndim(), 1);
      s4[1] = static_cast<long>(dy.shape()[1]);
      std::vector<long> red{0};
      for (std::size_t d = 2; d < dy.ndim(); ++d) red.push_back(static_cast<long>(d));
      add_grad(grads, n.inputs[0], dy * reshape(priv(1), s4));
      add_grad(grads, n.inputs[1], sum(dy * priv(0), red));
      add_grad(grads, n.inputs[2], sum(dy, red));
    } else if (t == "GlobalAveragePool") {
      const shape_t xs = shape(0);
      const double inv = 1.0 / static_cast<double>(shape_size(xs) / (xs[0] * xs[1]));
      add_grad(grads, n.inputs[0], tfe::detail::broadcast(dy * inv, xs));
    } else if (t == "MaxPool") {
      const shape_t xs = shape(0);
      const auto k = n.get_ints("kernel_shape");
      auto p = kernels::conv_attributes(n, xs, std::size_t(k[0]), std::size_t(k[1]), n.get_int("ceil_mode", 0) != 0);
      const bool unpadded = p.pads[0] + p.pads[1] + p.pads[2] + p.pads[3] == 0;
      TFE_ENFORCE(unpadded, config_error, n.where(), ": training supports MaxPool without padding");
      auto x = transpose(priv(0), {0, 2, 3, 1});
      auto d = max_pool2d_backward(x, transpose(dy, {0, 2, 3, 1}), {p.kh, p.kw}, p.strides, padding::valid);
      add_grad(grads, n.inputs[0], transpose(d, {0, 3, 1, 2}));
    }
  }

  /// Conv (NCHW, OIHW, group 1, dilation 1): the gradients of the (padded) input and the filter.
  void conv_backward(const node& n, std::map<std::string, value<P>>& env, std::map<std::string, tensor>& grads,
                     const tensor& dy) {
    using R = typename P::ring;
    auto& s = m_model.sess();
    auto get = [&](std::size_t i) {
      const auto& v = env.at(n.inputs[i]);
      return v.is_private() ? *v.priv : to_private(s.constant(v.pub->data));
    };
    const auto x = get(0), w = get(1);
    TFE_ENFORCE(x.ndim() == 4, config_error, n.where(), ": training supports 2-D Conv");
    const shape_t ws4 = w.shape();
    const auto p = kernels::conv_attributes(n, x.shape(), ws4[2], ws4[3]);
    auto xp = transpose(pad(x, {{0, 0}, {0, 0}, {p.pads[0], p.pads[2]}, {p.pads[1], p.pads[3]}}), {0, 2, 3, 1});
    auto whwio = transpose(w, {2, 3, 1, 0});
    auto d = transpose(dy, {0, 2, 3, 1});
    const shape_t xs = xp.shape(), ws = whwio.shape();
    const auto st = p.strides;
    const auto geo = ring_ops::conv2d_geometry(xs[1], xs[2], ws[0], ws[1], st[0], st[1], padding::valid);
    const std::size_t rows = xs[0] * geo.out_h * geo.out_w, depth = ws[0] * ws[1] * ws[2];
    if (m_live.count(n.inputs[1])) {
      auto dw = tfe::detail::truncated_product(
          s, &xp.parts(), nullptr, &d.parts(), nullptr, xs, d.shape(), ws,
          [=](const ring_tensor<R>& a, const ring_tensor<R>& b) {
            auto cols = ring_ops::im2col(a, ws[0], ws[1], st[0], st[1], 0, 0, geo.out_h, geo.out_w);
            return ring_ops::reshape(
                ring_ops::matmul(ring_ops::transpose(cols), ring_ops::reshape(b, shape_t{rows, ws[3]})), ws);
          });
      add_grad(grads, n.inputs[1], transpose(dw, {3, 2, 0, 1}));
    }
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) add_grad(grads, n.inputs[2], sum(dy, {0, 2, 3}));
    if (m_live.count(n.inputs[0])) {
      auto dxp = tfe::detail::truncated_product(
          s, &d.parts(), nullptr, &whwio.parts(), nullptr, d.shape(), ws, xs,
          [=](const ring_tensor<R>& a, const ring_tensor<R>& k) {
            auto cols = ring_ops::matmul(ring_ops::reshape(a, shape_t{rows, ws[3]}),
                                         ring_ops::transpose(ring_ops::reshape(k, shape_t{depth, ws[3]})));
            return ring_ops::col2im(cols, xs, ws[0], ws[1], st[0], st[1], 0, 0, geo.out_h, geo.out_w);
          });
      auto dx = transpose(dxp, {0, 3, 1, 2});
      const shape_t x0 = x.shape();
      dx = slice(slice(dx, 2, p.pads[0], p.pads[0] + x0[2]), 3, p.pads[1], p.pads[1] + x0[3]);
      add_grad(grads, n.inputs[0], dx);
    }
  }

  model<P>& m_model;
  std::set<std::string> m_live;
};

}  // namespace tfe::graph
