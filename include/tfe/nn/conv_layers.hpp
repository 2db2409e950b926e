// tfe/nn/conv_layers.hpp: the runtime Conv2D, MaxPooling2D, AveragePooling2D and
// GlobalAveragePooling2D layers (NHWC activations, HWIO kernels; see nn/layer.hpp).
//
// Conv2D backward, with cols = im2col(x) (local) and W2 = W reshaped to (kh·kw·C_in, C_out):
//   dW = colsᵀ · dy2      the bilinear map (x, dy) -> im2col(x)ᵀ·dy, evaluated on x and dy in their
//                         own shapes (x's mask from forward is reused: nothing of x is opened again)
//   dx = col2im(dy2 · W2ᵀ) the bilinear map (dy, W), col2im being im2col's adjoint (ring_ops::col2im)
// MaxPooling2D in training mode is tfe::max_pool2d_with_argmax (ops/pool_grad.hpp: a tournament that
// carries each window's one-hot argmax, the first maximum winning ties); backward routes dy to the
// winner, dx = col2im(dy ⊙ onehot), one exact product. In prediction it is tfe::max_pool2d.
// Average pooling and global average pooling are linear: backward spreads dy / (window size).
#pragma once

#include "tfe/nn/layer.hpp"
#include "tfe/ops/pool_grad.hpp"

namespace tfe::keras {

namespace detail {

inline std::array<std::size_t, 2> default_strides(std::array<std::size_t, 2> strides, std::array<std::size_t, 2> pool) {
  return (strides[0] == 0 || strides[1] == 0) ? pool : strides;
}

/// A pooling geometry and the number of in-image elements of each window, (1, oh, ow, 1).
struct pool_geometry {
  ring_ops::conv_geometry g;
  xt::xarray<double> count;
};

inline pool_geometry pool_geom(const shape_t& xs, std::array<std::size_t, 2> pool, std::array<std::size_t, 2> st,
                               ring_ops::padding pad) {
  pool_geometry pg;
  pg.g = ring_ops::conv2d_geometry(xs[1], xs[2], pool[0], pool[1], st[0], st[1], pad);
  const auto& g = pg.g;
  pg.count = xt::zeros<double>({std::size_t(1), g.out_h, g.out_w, std::size_t(1)});
  for (std::size_t oy = 0; oy < g.out_h; ++oy)
    for (std::size_t ox = 0; ox < g.out_w; ++ox)
      for (std::size_t dy = 0; dy < pool[0]; ++dy)
        for (std::size_t dx = 0; dx < pool[1]; ++dx) {
          const long y = static_cast<long>(oy * st[0] + dy) - static_cast<long>(g.pad_top);
          const long x = static_cast<long>(ox * st[1] + dx) - static_cast<long>(g.pad_left);
          if (y >= 0 && x >= 0 && y < static_cast<long>(xs[1]) && x < static_cast<long>(xs[2]))
            pg.count(0, oy, ox, 0) += 1;
        }
  return pg;
}

/// Window gradients (B, oh, ow, k, C) scattered back to the image (B, H, W, C): local col2im.
template <class P>
private_tensor<P> windows_to_image(const private_tensor<P>& dwin, const shape_t& xs, std::array<std::size_t, 2> pool,
                                   std::array<std::size_t, 2> st, const ring_ops::conv_geometry& g) {
  const shape_t cols{xs[0] * g.out_h * g.out_w, pool[0] * pool[1] * xs[3]};
  return tfe::detail::map_parts(dwin, xs, [&](const auto& p) {
    return ring_ops::col2im(ring_ops::reshape(p, cols), xs, pool[0], pool[1], st[0], st[1], g.pad_top, g.pad_left,
                            g.out_h, g.out_w);
  });
}

}  // namespace detail

template <class P>
class conv2d_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  using R = typename P::ring;

  conv2d_layer(session<P>& s, const Conv2D& spec, const shape_t& in, const shape_t& out)
      : layer<P>(s, spec.name, in, out), m_spec(spec), m_pad(detail::parse_padding(spec.padding, spec.name)) {
    this->add_variable("kernel", {spec.kernel_size[0], spec.kernel_size[1], in.at(2), spec.filters});
    if (spec.use_bias) this->add_variable("bias", {spec.filters});
  }
  std::string type() const override { return "Conv2D"; }

  tensor forward(const tensor& x, bool training) override {
    auto scope = x.sess().op_scope("keras.conv2d");
    auto& w = this->m_vars[0];
    const auto st = m_spec.strides;
    const auto pad = m_pad;
    auto op = [st, pad](const ring_tensor<R>& a, const ring_tensor<R>& b) { return ring_ops::conv2d(a, b, st, pad); };
    const shape_t zs = detail::with_batch(x.shape()[0], this->m_out);
    clear();
    tensor z;
    if (!this->m_use_masks) {
      z = conv2d(x, w.value, st, pad);
    } else if (training) {
      m_xm = tfe::mask(x);
      z = detail::product(x, &*m_xm, w.value, &w.masked(), zs, op);
    } else {
      z = detail::product(x, nullptr, w.value, &w.masked(), zs, op);
    }
    if (training) m_x = x;
    return m_spec.use_bias ? z + this->m_vars[1].value : z;
  }

  tensor backward(const tensor& dy, bool need_dx) override {
    auto scope = dy.sess().op_scope("keras.conv2d.backward");
    this->require_cache(m_x.has_value());
    auto& w = this->m_vars[0];
    const shape_t xs = m_x->shape(), ws = w.shape;
    const auto st = m_spec.strides;
    const auto g = ring_ops::conv2d_geometry(xs[1], xs[2], ws[0], ws[1], st[0], st[1], m_pad);
    const std::size_t rows = xs[0] * g.out_h * g.out_w, depth = ws[0] * ws[1] * ws[2];
    std::optional<masked_tensor<P>> dym;
    if (this->m_use_masks && need_dx) dym = tfe::mask(dy);
    const masked_tensor<P>* dyp = dym ? &*dym : nullptr;
    w.grad = detail::product(
        *m_x, m_xm ? &*m_xm : nullptr, dy, dyp, ws, [=](const ring_tensor<R>& x, const ring_tensor<R>& d) {
          auto cols = ring_ops::im2col(x, ws[0], ws[1], st[0], st[1], g.pad_top, g.pad_left, g.out_h, g.out_w);
          auto dw = ring_ops::matmul(ring_ops::transpose(cols), ring_ops::reshape(d, shape_t{rows, ws[3]}));
          return ring_ops::reshape(std::move(dw), ws);
        });
    if (m_spec.use_bias) this->m_vars[1].grad = sum(dy, {0, 1, 2});
    if (!need_dx) return {};
    return detail::product(
        dy, dyp, w.value, this->m_use_masks ? &w.masked() : nullptr, xs,
        [=](const ring_tensor<R>& d, const ring_tensor<R>& k) {
          auto cols = ring_ops::matmul(ring_ops::reshape(d, shape_t{rows, ws[3]}),
                                       ring_ops::transpose(ring_ops::reshape(k, shape_t{depth, ws[3]})));
          return ring_ops::col2im(cols, xs, ws[0], ws[1], st[0], st[1], g.pad_top, g.pad_left, g.out_h, g.out_w);
        });
  }

  void clear() override {
    m_x.reset();
    m_xm.reset();
  }

 private:
  Conv2D m_spec;
  ring_ops::padding m_pad;
  std::optional<tensor> m_x;
  std::optional<masked_tensor<P>> m_xm;
};

template <class P>
class max_pool_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  max_pool_layer(session<P>& s, const MaxPooling2D& spec, const shape_t& in, const shape_t& out)
      : layer<P>(s, spec.name, in, out),
        m_pool(spec.pool_size),
        m_strides(detail::default_strides(spec.strides, spec.pool_size)),
        m_pad(detail::parse_padding(spec.padding, spec.name)) {}
  std::string type() const override { return "MaxPooling2D"; }

  tensor forward(const tensor& x, bool training) override {
    auto scope = x.sess().op_scope("keras.max_pool2d");
    m_onehot.reset();
    if (!training) return max_pool2d(x, m_pool, m_strides, m_pad);
    auto r = max_pool2d_with_argmax(x, m_pool, m_strides, m_pad);
    m_onehot = std::move(r.argmax);
    m_xshape = x.shape();
    return r.output;
  }

  tensor backward(const tensor& dy, bool need_dx) override {
    auto scope = dy.sess().op_scope("keras.max_pool2d.backward");
    if (!need_dx) return {};
    this->require_cache(m_onehot.has_value());
    return max_pool2d_backward_from_argmax(*m_onehot, dy, m_xshape, m_pool, m_strides, m_pad);
  }
  void clear() override { m_onehot.reset(); }

 private:
  std::array<std::size_t, 2> m_pool, m_strides;
  ring_ops::padding m_pad;
  std::optional<tensor> m_onehot;
  shape_t m_xshape;
};

template <class P>
class avg_pool_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  avg_pool_layer(session<P>& s, const AveragePooling2D& spec, const shape_t& in, const shape_t& out)
      : layer<P>(s, spec.name, in, out),
        m_pool(spec.pool_size),
        m_strides(detail::default_strides(spec.strides, spec.pool_size)),
        m_pad(detail::parse_padding(spec.padding, spec.name)) {}
  std::string type() const override { return "AveragePooling2D"; }

  tensor forward(const tensor& x, bool) override {
    auto scope = x.sess().op_scope("keras.avg_pool2d");
    return avg_pool2d(x, m_pool, m_strides, m_pad);
  }
  tensor backward(const tensor& dy, bool need_dx) override {
    auto scope = dy.sess().op_scope("keras.avg_pool2d.backward");
    if (!need_dx) return {};
    const shape_t xs = detail::with_batch(dy.shape()[0], this->m_in);
    auto pg = detail::pool_geom(xs, m_pool, m_strides, m_pad);
    auto scaled = dy * dy.sess().constant(1.0 / pg.count);
    shape_t ws = dy.shape();
    ws.insert(ws.begin() + 3, 1);
    shape_t full = ws;
    full[3] = m_pool[0] * m_pool[1];
    auto dwin = tfe::detail::broadcast(detail::reshape_to(scaled, ws), full);
    return detail::windows_to_image(dwin, xs, m_pool, m_strides, pg.g);
  }

 private:
  std::array<std::size_t, 2> m_pool, m_strides;
  ring_ops::padding m_pad;
};

template <class P>
class global_avg_pool_layer final : public layer<P> {
 public:
  using tensor = private_tensor<P>;
  global_avg_pool_layer(session<P>& s, const GlobalAveragePooling2D& spec, const shape_t& in, const shape_t& out)
      : layer<P>(s, spec.name, in, out) {}
  std::string type() const override { return "GlobalAveragePooling2D"; }
  tensor forward(const tensor& x, bool) override {
    auto scope = x.sess().op_scope("keras.global_avg_pool2d");
    return mean(x, {1, 2});
  }
  tensor backward(const tensor& dy, bool need_dx) override {
    if (!need_dx) return {};
    const double hw = static_cast<double>(this->m_in[0] * this->m_in[1]);
    auto scaled = dy * (1.0 / hw);
    const std::size_t b = dy.shape()[0], c = this->m_in[2];
    return tfe::detail::broadcast(detail::reshape_to(scaled, {b, 1, 1, c}), detail::with_batch(b, this->m_in));
  }
};

}  // namespace tfe::keras
