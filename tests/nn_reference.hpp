// tests/nn_reference.hpp: double-precision references of the keras layers (written independently of
// tfe's kernels, with naive loops), finite-difference gradients, and a runner that executes one model's
// layers forward and backward under a protocol and reveals everything to "alice".
#pragma once

#include <doctest/doctest.h>

#include "tfe/keras.hpp"
#include "tfe/nn/nn.hpp"
#include "tfe/tfe.hpp"

// The protocols that joined after plain and Pond, when present in this tree (NN_TEST_SECURENN,
// NN_TEST_ABY3 say which).
#if __has_include("tfe/protocol/securenn/securenn.hpp")
#include "tfe/protocol/securenn/securenn.hpp"
#define NN_TEST_SECURENN 1
#endif
#if __has_include("tfe/protocol/aby3/aby3.hpp")
#include "tfe/protocol/aby3/aby3.hpp"
#define NN_TEST_ABY3 1
#endif

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace nn_test {

using dvec = xt::xarray<double>;
using tfe::shape_t;
namespace keras = tfe::keras;

inline dvec random_array(const shape_t& s, std::mt19937_64& rng, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  dvec a = xt::zeros<double>(s);
  for (auto& v : a) v = u(rng);
  return a;
}

inline double max_diff(const dvec& a, const dvec& b) {
  REQUIRE(tfe::shape_of(a) == tfe::shape_of(b));
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a.data()[i] - b.data()[i]));
  return m;
}

// ---- double references (batch first, NHWC, HWIO) -------------------------------------------------------

inline dvec ref_dense(const dvec& x, const dvec& w, const dvec* b) {
  const std::size_t n = x.shape()[0], k = x.shape()[1], m = w.shape()[1];
  dvec y = xt::zeros<double>({n, m});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      double acc = b ? (*b)(j) : 0.0;
      for (std::size_t p = 0; p < k; ++p) acc += x(i, p) * w(p, j);
      y(i, j) = acc;
    }
  return y;
}

struct geometry {
  std::size_t oh, ow, pt, pl;
};

inline geometry geom(std::size_t h, std::size_t w, std::size_t kh, std::size_t kw, std::size_t sh, std::size_t sw,
                     bool same) {
  if (!same) return {(h - kh) / sh + 1, (w - kw) / sw + 1, 0, 0};
  const std::size_t oh = (h + sh - 1) / sh, ow = (w + sw - 1) / sw;
  const long th = std::max<long>(0, long((oh - 1) * sh + kh) - long(h)),
             tw = std::max<long>(0, long((ow - 1) * sw + kw) - long(w));
  return {oh, ow, std::size_t(th / 2), std::size_t(tw / 2)};
}

inline dvec ref_conv(const dvec& x, const dvec& w, const dvec* b, std::array<std::size_t, 2> st, bool same) {
  const std::size_t n = x.shape()[0], h = x.shape()[1], wd = x.shape()[2], c = x.shape()[3];
  const std::size_t kh = w.shape()[0], kw = w.shape()[1], co = w.shape()[3];
  auto g = geom(h, wd, kh, kw, st[0], st[1], same);
  dvec y = xt::zeros<double>({n, g.oh, g.ow, co});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t oy = 0; oy < g.oh; ++oy)
      for (std::size_t ox = 0; ox < g.ow; ++ox)
        for (std::size_t o = 0; o < co; ++o) {
          double acc = b ? (*b)(o) : 0.0;
          for (std::size_t dy = 0; dy < kh; ++dy)
            for (std::size_t dx = 0; dx < kw; ++dx) {
              const long yy = long(oy * st[0] + dy) - long(g.pt), xx = long(ox * st[1] + dx) - long(g.pl);
              if (yy < 0 || xx < 0 || yy >= long(h) || xx >= long(wd)) continue;
              for (std::size_t ci = 0; ci < c; ++ci) acc += x(i, yy, xx, ci) * w(dy, dx, ci, o);
            }
          y(i, oy, ox, o) = acc;
        }
  return y;
}

inline dvec ref_pool(const dvec& x, std::array<std::size_t, 2> pool, std::array<std::size_t, 2> st, bool same,
                     bool is_max) {
  if (st[0] == 0) st = pool;
  const std::size_t n = x.shape()[0], h = x.shape()[1], wd = x.shape()[2], c = x.shape()[3];
  auto g = geom(h, wd, pool[0], pool[1], st[0], st[1], same);
  dvec y = xt::zeros<double>({n, g.oh, g.ow, c});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t oy = 0; oy < g.oh; ++oy)
      for (std::size_t ox = 0; ox < g.ow; ++ox)
        for (std::size_t ci = 0; ci < c; ++ci) {
          double acc = is_max ? -1e300 : 0.0;
          int count = 0;
          for (std::size_t dy = 0; dy < pool[0]; ++dy)
            for (std::size_t dx = 0; dx < pool[1]; ++dx) {
              const long yy = long(oy * st[0] + dy) - long(g.pt), xx = long(ox * st[1] + dx) - long(g.pl);
              if (yy < 0 || xx < 0 || yy >= long(h) || xx >= long(wd)) continue;
              const double v = x(i, yy, xx, ci);
              acc = is_max ? std::max(acc, v) : acc + v;
              ++count;
            }
          y(i, oy, ox, ci) = is_max ? acc : acc / count;
        }
  return y;
}

inline dvec ref_activation(const dvec& x, const std::string& act) {
  dvec y = x;
  if (act == "relu") y = xt::maximum(x, 0.0);
  if (act == "sigmoid") y = 1.0 / (1.0 + xt::exp(-x));
  if (act == "softmax") {
    const std::size_t n = x.shape()[0], k = x.size() / n;
    for (std::size_t i = 0; i < n; ++i) {
      double m = -1e300, s = 0;
      for (std::size_t j = 0; j < k; ++j) m = std::max(m, x.data()[i * k + j]);
      for (std::size_t j = 0; j < k; ++j) s += std::exp(x.data()[i * k + j] - m);
      for (std::size_t j = 0; j < k; ++j) y.data()[i * k + j] = std::exp(x.data()[i * k + j] - m) / s;
    }
  }
  return y;
}

/// One layer in doubles; weights in file layout.
inline dvec ref_layer(const keras::layer_spec& l, const dvec& x, const std::vector<dvec>& w) {
  using namespace keras;
  dvec z = std::visit(
      keras::detail::overloaded{
          [&](const Dense& d) { return ref_dense(x, w[0], d.use_bias ? &w[1] : nullptr); },
          [&](const Conv2D& c) {
            return ref_conv(x, w[0], c.use_bias ? &w[1] : nullptr, c.strides, c.padding == "same");
          },
          [&](const MaxPooling2D& p) { return ref_pool(x, p.pool_size, p.strides, p.padding == "same", true); },
          [&](const AveragePooling2D& p) { return ref_pool(x, p.pool_size, p.strides, p.padding == "same", false); },
          [&](const GlobalAveragePooling2D&) {
            dvec y = xt::zeros<double>({x.shape()[0], x.shape()[3]});
            for (std::size_t i = 0; i < x.shape()[0]; ++i)
              for (std::size_t c = 0; c < x.shape()[3]; ++c) {
                double s = 0;
                for (std::size_t a = 0; a < x.shape()[1]; ++a)
                  for (std::size_t b = 0; b < x.shape()[2]; ++b) s += x(i, a, b, c);
                y(i, c) = s / double(x.shape()[1] * x.shape()[2]);
              }
            return y;
          },
          [&](const BatchNormalization& b) {
            dvec y = x;
            const std::size_t c = x.shape().back();
            for (std::size_t i = 0; i < y.size(); ++i) {
              const std::size_t k = i % c;
              y.data()[i] = w[0](k) * (x.data()[i] - w[2](k)) / std::sqrt(w[3](k) + b.epsilon) + w[1](k);
            }
            return y;
          },
          [&](const auto&) { return x; }},
      l);
  if (std::holds_alternative<Flatten>(l) || std::holds_alternative<Reshape>(l)) {
    shape_t in(x.shape().begin() + 1, x.shape().end());
    auto out = keras::output_shape(l, in);
    out.insert(out.begin(), x.shape()[0]);
    z.reshape(out);
  }
  return ref_activation(z, keras::activation_of(l));
}

/// Central differences of <dy, f(v)> with respect to every element of v.
inline dvec numeric_grad(const std::function<dvec(const dvec&)>& f, const dvec& v, const dvec& dy, double h = 1e-6) {
  dvec g = xt::zeros<double>(tfe::shape_of(v));
  dvec p = v;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double keep = p.data()[i];
    p.data()[i] = keep + h;
    const double up = xt::sum(f(p) * dy)();
    p.data()[i] = keep - h;
    const double down = xt::sum(f(p) * dy)();
    p.data()[i] = keep;
    g.data()[i] = (up - down) / (2 * h);
  }
  return g;
}

// ---- running layers under a protocol --------------------------------------------------------------------

struct layer_result {
  dvec y, dx;
  std::vector<dvec> grads;  ///< trainable variables, in order
};

inline tfe::run_options deterministic() {
  tfe::run_options o;
  o.session.insecure_deterministic_seed = 1234;
  return o;
}

/// Runs every runtime layer of `arch` forward (training mode) and backward under P; alice provides
/// the weights (file layout), x and dy, and receives y, dx and the gradients.
template <class P>
layer_result run_layers(const keras::architecture& arch, const std::vector<dvec>& weights, const dvec& x,
                        const dvec& dy) {
  auto players = P::default_players();
  players.push_back("alice");
  layer_result r;
  tfe::run_local<P>(
      players,
      [&](auto& s) {
        using tensor = tfe::private_tensor<P>;
        keras::Sequential<P> m(s, arch);
        m.set_weights("alice", [&] { return weights; });
        tensor cur = s.define_private_input("alice", [&] { return x; });
        tensor g = s.define_private_input("alice", [&] { return dy; });
        for (auto& l : m.layers()) cur = l->forward(cur, true);
        for (std::size_t i = m.layers().size(); i-- > 0;) g = m.layers()[i]->backward(g, true);
        std::vector<tensor> out{cur, g};
        for (auto* v : m.variables())
          if (v->trainable) out.push_back(v->grad);
        s.define_output(
            "alice",
            [&](const std::vector<dvec>& v) {
              r.y = v[0];
              r.dx = v[1];
              r.grads.assign(v.begin() + 2, v.end());
            },
            out);
      },
      deterministic());
  return r;
}

}  // namespace nn_test
