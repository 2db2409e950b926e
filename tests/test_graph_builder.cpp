// test_graph_builder: graph models written in C++ (tfe/graph/builder.hpp) — a residual block, a model
// with two inputs and two outputs sharing a tensor, and self-attention (secret × secret batched
// products) — against plaintext references in double, under plain and Pond; plus the builder's and
// the IR's checks (unknown ops, undefined inputs, the JSON form and its limits).
#include "expect_error.hpp"
#include "loss_reference.hpp"
#include "tfe/graph/builder.hpp"
#include "tfe/graph/compiled_kernels.hpp"  // the graph kernels: tfe_graph_kernels
#include "tfe/graph/model.hpp"
#include "tfe/graph/training.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/runtime/runner.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <random>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_graph_builder {

namespace {

using tfe_test::contains;
using tfe_test::error_of;
using dvec = xt::xarray<double>;
namespace g = tfe::graph;

dvec random_array(const tfe::shape_t& s, std::mt19937_64& rng, double scale = 1.0) {
  std::normal_distribution<double> d(0.0, scale);
  dvec a = dvec::from_shape(s);
  for (auto& v : a) v = d(rng);
  return a;
}

/// The protocol's players, then the model owner and the client (who provides inputs and labels).
template <class P>
std::vector<std::string> players_of() {
  auto players = P::default_players();
  players.push_back("owner");
  players.push_back("client");
  return players;
}

/// Runs the graph with every player here: the owner shares the weights, "client" the inputs.
template <class P>
std::vector<dvec> run(const g::saved_graph& m, const std::vector<dvec>& inputs) {
  std::vector<dvec> out;
  tfe::run_local<P>(players_of<P>(), [&](auto& s) {
    auto model = g::share_model(s, "owner", [&] { return m; });
    std::vector<tfe::private_tensor<P>> xs;
    for (const auto& x : inputs) xs.push_back(s.define_private_input("client", [&] { return x; }));
    auto ys = model.predict(xs);
    s.define_output(
        "client", [&](const std::vector<dvec>& v) { out = v; }, ys);
  });
  return out;
}

dvec relu(const dvec& x) { return xt::maximum(x, 0.0); }

/// (N, C, H, W) conv with an OIHW filter, stride 1, zero padding p (plaintext reference).
dvec conv_ref(const dvec& x, const dvec& w, std::size_t p) {
  const std::size_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
  const std::size_t m = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
  const std::size_t oh = h + 2 * p - kh + 1, ow = wd + 2 * p - kw + 1;
  dvec y = xt::zeros<double>({n, m, oh, ow});
  for (std::size_t b = 0; b < n; ++b)
    for (std::size_t o = 0; o < m; ++o)
      for (std::size_t i = 0; i < oh; ++i)
        for (std::size_t j = 0; j < ow; ++j)
          for (std::size_t ci = 0; ci < c; ++ci)
            for (std::size_t u = 0; u < kh; ++u)
              for (std::size_t v = 0; v < kw; ++v) {
                const long yy = static_cast<long>(i + u) - static_cast<long>(p);
                const long xx = static_cast<long>(j + v) - static_cast<long>(p);
                if (yy >= 0 && xx >= 0 && yy < long(h) && xx < long(wd))
                  y(b, o, i, j) += x(b, ci, yy, xx) * w(o, ci, u, v);
              }
  return y;
}

double max_diff(const dvec& a, const dvec& b) {
  REQUIRE(tfe::shape_of(a) == tfe::shape_of(b));
  return xt::amax(xt::abs(a - b))();
}

}  // namespace

TEST_CASE("a residual block built in C++ matches its plaintext reference under plain and Pond") {
  std::mt19937_64 rng(7);
  const dvec w0 = random_array({4, 4, 3, 3}, rng, 0.3), w1 = random_array({4, 4, 3, 3}, rng, 0.3);
  const dvec x = random_array({2, 4, 5, 5}, rng);
  g::builder b("residual_block");
  auto in = b.input("x", {-1, 4, 5, 5});
  const auto pads = g::builder::ints({1, 1, 1, 1});
  auto h = b.op("Relu", {b.op("Conv", {in, b.weight("conv0/w", w0)}, {{"pads", pads}})});
  auto y = b.op("Relu", {b.op("Add", {b.op("Conv", {h, b.weight("conv1/w", w1)}, {{"pads", pads}}), in})});
  b.output(y);
  const auto m = b.build();
  const dvec want = relu(conv_ref(relu(conv_ref(x, w0, 1)), w1, 1) + x);
  CHECK(max_diff(run<tfe::plain<tfe::ring64>>(m, {x})[0], want) < 2e-3);
  CHECK(max_diff(run<tfe::pond<tfe::ring64>>(m, {x})[0], want) < 2e-3);
}

TEST_CASE("two inputs, two outputs and a shared tensor") {
  std::mt19937_64 rng(8);
  const dvec a = random_array({3, 4}, rng), c = random_array({3, 4}, rng), w = random_array({4, 2}, rng);
  g::builder b("two_heads");
  auto x0 = b.input("a", {-1, 4}), x1 = b.input("c", {-1, 4});
  auto shared = b.op("Add", {x0, x1});  // used by both outputs
  auto wn = b.weight("w", w);
  b.output(b.op("MatMul", {shared, wn}));
  b.output(b.op("Concat", {shared, b.op("Mul", {shared, x0})}, {{"axis", g::builder::integer(1)}}));
  const auto m = b.build();
  const dvec s = a + c;
  dvec sw = xt::zeros<double>({3, 2});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 2; ++j)
      for (std::size_t k = 0; k < 4; ++k) sw(i, j) += s(i, k) * w(k, j);
  const dvec cat = xt::concatenate(xt::xtuple(s, dvec(s * a)), 1);
  for (auto out : {run<tfe::plain<tfe::ring64>>(m, {a, c}), run<tfe::pond<tfe::ring64>>(m, {a, c})}) {
    REQUIRE(out.size() == 2);
    CHECK(max_diff(out[0], sw) < 1e-3);
    CHECK(max_diff(out[1], cat) < 1e-3);
  }
}

TEST_CASE("self-attention: secret × secret batched products and a softmax") {
  std::mt19937_64 rng(9);
  const std::size_t batch = 2, seq = 3, d = 4;
  const dvec x = random_array({batch, seq, d}, rng);
  const dvec wq = random_array({d, d}, rng, 0.5), wk = random_array({d, d}, rng, 0.5),
             wv = random_array({d, d}, rng, 0.5);
  g::builder b("attention");
  auto in = b.input("x", {-1, long(seq), long(d)});
  auto q = b.op("MatMul", {in, b.weight("wq", wq)});
  auto k = b.op("MatMul", {in, b.weight("wk", wk)});
  auto v = b.op("MatMul", {in, b.weight("wv", wv)});
  auto kt = b.op("Transpose", {k}, {{"perm", g::builder::ints({0, 2, 1})}});
  auto scores = b.op("Div", {b.op("MatMul", {q, kt}), b.constant("sqrt_d", dvec(std::sqrt(double(d))))});
  b.output(b.op("MatMul", {b.op("Softmax", {scores}, {{"axis", g::builder::integer(-1)}}), v}));
  const auto m = b.build();
  // Reference.
  auto mm = [](const dvec& a, const dvec& w) {
    dvec r = xt::zeros<double>({a.shape()[0], a.shape()[1], w.shape()[1]});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
      for (std::size_t j = 0; j < a.shape()[1]; ++j)
        for (std::size_t l = 0; l < w.shape()[1]; ++l)
          for (std::size_t t = 0; t < a.shape()[2]; ++t) r(i, j, l) += a(i, j, t) * w(t, l);
    return r;
  };
  const dvec qr = mm(x, wq), kr = mm(x, wk), vr = mm(x, wv);
  dvec want = xt::zeros<double>({batch, seq, d});
  for (std::size_t bi = 0; bi < batch; ++bi)
    for (std::size_t i = 0; i < seq; ++i) {
      std::vector<double> sc(seq);
      double mx = -1e9, sum = 0;
      for (std::size_t j = 0; j < seq; ++j) {
        for (std::size_t t = 0; t < d; ++t) sc[j] += qr(bi, i, t) * kr(bi, j, t);
        sc[j] /= std::sqrt(double(d));
        mx = std::max(mx, sc[j]);
      }
      for (auto& s : sc) sum += (s = std::exp(s - mx));
      for (std::size_t j = 0; j < seq; ++j)
        for (std::size_t t = 0; t < d; ++t) want(bi, i, t) += sc[j] / sum * vr(bi, j, t);
    }
  // Softmax's stated error (1.2e-4 per probability) times |v| plus the products' truncations.
  CHECK(max_diff(run<tfe::plain<tfe::ring64>>(m, {x})[0], want) < 5e-3);
  CHECK(max_diff(run<tfe::pond<tfe::ring64>>(m, {x})[0], want) < 5e-3);
}

TEST_CASE("Gelu (both forms), Erf, Tanh and Sigmoid nodes: within the piecewise polynomials' bounds") {
  std::mt19937_64 rng(std::random_device{}());
  const dvec x = random_array({2, 200}, rng, 4.0);
  g::builder b("smooth");
  auto in = b.input("x", {-1, 200});
  b.output(b.op("Gelu", {in}));
  b.output(b.op("Gelu", {in}, {{"approximate", g::builder::text("tanh")}}));
  b.output(b.op("Erf", {in}));
  b.output(b.op("Tanh", {in}));
  b.output(b.op("Sigmoid", {in}));
  const auto m = b.build();
  const dvec gelu = 0.5 * x * (1.0 + xt::erf(x / std::sqrt(2.0)));
  const dvec gelu_t = 0.5 * x * (1.0 + xt::tanh(std::sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
  const std::vector<dvec> want = {gelu, gelu_t, dvec(xt::erf(x)), dvec(xt::tanh(x)), dvec(1.0 / (1.0 + xt::exp(-x)))};
  for (const auto& got : {run<tfe::plain<tfe::ring64>>(m, {x}), run<tfe::pond<tfe::ring64>>(m, {x})}) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(max_diff(got[i], want[i]) < 8e-5 + 3.0 / 65536);  // approx_smooth.hpp's bounds, ring64
    }
  }
  g::builder bad("bad_gelu");
  auto y = bad.op("Gelu", {bad.input("x", {-1, 3})}, {{"approximate", g::builder::text("fast")}});
  bad.output(y);
  auto msg = error_of<tfe::error>([&] { run<tfe::plain<tfe::ring64>>(bad.build(), {dvec{{1.0, 2.0, 3.0}}}); });
  CHECK(contains(msg, "approximate=\"fast\""));
}

TEST_CASE("a BatchNormalization reading a weight through Identity (torch's shared biases) is folded") {
  std::mt19937_64 rng(std::random_device{}());
  const std::size_t c = 3;
  const dvec x = random_array({2, c, 4, 4}, rng);
  const dvec scale = random_array({c}, rng), bias = random_array({c}, rng), mean = random_array({c}, rng);
  const dvec var = xt::abs(random_array({c}, rng)) + 0.5;
  g::builder b("bn_identity");
  auto in = b.input("x", {-1, long(c), 4, 4});
  auto shared_bias = b.op("Identity", {b.weight("bn.bias", bias)});
  b.output(b.op("BatchNormalization",
                {in, b.weight("bn.weight", scale), shared_bias, b.weight("bn.mean", mean), b.weight("bn.var", var)}));
  auto m = b.build();
  auto prepared = m;
  g::prepare_for_sharing(prepared);
  bool folded = false;
  for (const auto& n : prepared.g.nodes) folded = folded || n.op_type == "tfe.ScaleShift";
  CHECK(folded);
  dvec want = dvec::from_shape(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t ch = (i / 16) % c;
    want.flat(i) = (x.flat(i) - mean(ch)) / std::sqrt(var(ch) + 1e-5) * scale(ch) + bias(ch);
  }
  CHECK(max_diff(run<tfe::aby3<tfe::ring64>>(m, {x})[0], want) < 2e-3);
}

TEST_CASE("builder and IR checks: unknown ops, undefined inputs, JSON round trip and limits") {
  g::builder b("checks");
  auto x = b.input("x", {2});
  CHECK(contains(error_of<tfe::config_error>([&] { (void)b.op("Frobnicate", {x}); }), "'Frobnicate' is not supported"));
  b.output(b.op("Relu", {"undefined"}));
  CHECK(contains(error_of<tfe::config_error>([&] { (void)b.build(); }), "input 'undefined' is not defined"));
  // The JSON form (what the owner sends) round-trips, and a peer's oversized graph is refused.
  g::builder ok("round_trip");
  auto in = ok.input("x", {-1, 3});
  ok.output(ok.op("Gemm", {in, ok.weight("w", xt::ones<double>({3, 2}))}, {{"alpha", g::builder::real(0.5)}}));
  const auto saved = ok.build();
  const auto back = g::graph_from_json(g::to_json(saved.g), "peer");
  CHECK(back.nodes.size() == 1);
  CHECK(back.nodes[0].get_float("alpha", 0) == 0.5);
  CHECK(back.weights[0].dims == std::vector<std::int64_t>{3, 2});
  auto j = g::to_json(saved.g);
  j["inputs"][0]["dims"] = std::vector<long>(9, 1);
  CHECK(contains(error_of<tfe::config_error>([&] { (void)g::graph_from_json(j, "peer"); }), "peer"));
  j = g::to_json(saved.g);
  j["nodes"][0]["attributes"]["alpha"]["kind"] = "bogus";
  CHECK(contains(error_of<tfe::config_error>([&] { (void)g::graph_from_json(j, "peer"); }), "unknown attribute kind"));
}

namespace {

/// The residual CNN of the training test in double: logits for weights {conv0, conv1, dense, bias}.
dvec residual_logits(const dvec& x, const std::vector<dvec>& w) {
  const dvec h = relu(conv_ref(x, w[0], 1));
  const dvec r = relu(conv_ref(h, w[1], 1) + x);
  const std::size_t n = r.shape()[0], c = r.shape()[1];
  dvec gap = xt::zeros<double>({n, c});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < c; ++k) gap(i, k) = xt::mean(xt::view(r, i, k))();
  dvec z = xt::zeros<double>({n, w[2].shape()[0]});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t o = 0; o < w[2].shape()[0]; ++o) {
      z(i, o) = w[3](o);
      for (std::size_t k = 0; k < c; ++k) z(i, o) += gap(i, k) * w[2](o, k);  // Gemm with transB = 1
    }
  return z;
}

using tfe_test::cross_entropy;

template <class P>
std::vector<dvec> one_step(const g::saved_graph& m, const dvec& x, const dvec& y, double lr) {
  std::vector<dvec> out;
  tfe::run_local<P>(players_of<P>(), [&](auto& s) {
    auto model = g::share_model(s, "owner", [&] { return m; });
    g::trainer<P> t(model);
    auto px = s.define_private_input("client", [&] { return x; });
    auto py = s.define_private_input("client", [&] { return y; });
    t.step({px}, py, lr);
    std::vector<tfe::private_tensor<P>> ws;
    for (const auto& spec : model.spec().weights) ws.push_back(model.weights().at(spec.name));
    s.define_output(
        "owner", [&](const std::vector<dvec>& v) { out = v; }, ws);
  });
  return out;
}

/// The gradient of the loss at weights w by central differences (h = 1e-5), in double.
std::vector<dvec> numeric_gradient(const std::function<double(const std::vector<dvec>&)>& loss,
                                   const std::vector<dvec>& w) {
  std::vector<dvec> grad;
  for (std::size_t k = 0; k < w.size(); ++k) {
    dvec gk = xt::zeros_like(w[k]);
    for (std::size_t i = 0; i < w[k].size(); ++i) {
      auto wp = w, wm = w;
      wp[k].flat(i) += 1e-5, wm[k].flat(i) -= 1e-5;
      gk.flat(i) = (loss(wp) - loss(wm)) / 2e-5;
    }
    grad.push_back(gk);
  }
  return grad;
}

}  // namespace

TEST_CASE("training a residual CNN graph: one SGD step equals the finite-difference gradient") {
  std::mt19937_64 rng(11);
  std::vector<dvec> w{random_array({2, 2, 3, 3}, rng, 0.4), random_array({2, 2, 3, 3}, rng, 0.4),
                      random_array({3, 2}, rng, 0.8), random_array({3}, rng, 0.2)};
  const dvec x = random_array({4, 2, 4, 4}, rng);
  dvec y = xt::zeros<double>({4, 3});
  for (std::size_t i = 0; i < 4; ++i) y(i, i % 3) = 1;
  g::builder b("residual_cnn");
  auto in = b.input("x", {-1, 2, 4, 4});
  const auto pads = g::builder::ints({1, 1, 1, 1});
  auto h = b.op("Relu", {b.op("Conv", {in, b.weight("conv0", w[0])}, {{"pads", pads}})});
  auto r = b.op("Relu", {b.op("Add", {b.op("Conv", {h, b.weight("conv1", w[1])}, {{"pads", pads}}), in})});
  auto f = b.op("Flatten", {b.op("GlobalAveragePool", {r})});
  b.output(b.op("Gemm", {f, b.weight("dense", w[2]), b.weight("bias", w[3])}, {{"transB", g::builder::integer(1)}}));
  const auto m = b.build();
  // The reference gradient by central differences of the loss in double.
  const auto grad =
      numeric_gradient([&](const std::vector<dvec>& v) { return cross_entropy(residual_logits(x, v), y); }, w);
  const double lr = 1.0;
  for (const auto& updated :
       {one_step<tfe::plain<tfe::ring64>>(m, x, y, lr), one_step<tfe::pond<tfe::ring64>>(m, x, y, lr)}) {
    REQUIRE(updated.size() == 4);
    for (std::size_t k = 0; k < 4; ++k) {
      CAPTURE(k);
      // w − lr·∇L: the gradient's fixed-point error (products and the softmax, ~1e-4) dominates.
      CHECK(max_diff(updated[k], w[k] - lr * grad[k]) < 2e-3);
      CHECK(xt::amax(xt::abs(grad[k]))() > 1e-3);  // the step is not trivially zero
    }
  }
}

TEST_CASE("training through Sigmoid, Tanh, Softmax and a division by a constant") {
  std::mt19937_64 rng(13);
  std::vector<dvec> w{random_array({4, 5}, rng, 0.6), random_array({5, 5}, rng, 0.6), random_array({5, 3}, rng, 0.6)};
  const dvec x = random_array({6, 4}, rng);
  dvec y = xt::zeros<double>({6, 3});
  for (std::size_t i = 0; i < 6; ++i) y(i, i % 3) = 1;
  auto mm = [](const dvec& a, const dvec& b) {
    dvec r = xt::zeros<double>({a.shape()[0], b.shape()[1]});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
      for (std::size_t j = 0; j < b.shape()[1]; ++j)
        for (std::size_t k = 0; k < a.shape()[1]; ++k) r(i, j) += a(i, k) * b(k, j);
    return r;
  };
  auto logits = [&](const std::vector<dvec>& v) {
    dvec h = 1.0 / (1.0 + xt::exp(-mm(x, v[0])));
    dvec t = xt::tanh(mm(h, v[1]));
    dvec e = xt::exp(t);  // a softmax inside the network (attention-like), then a scaled projection
    dvec sm = e / xt::view(xt::sum(e, {1}), xt::all(), xt::newaxis());
    return dvec(mm(sm, v[2]) / 0.5);
  };
  g::builder b("mlp");
  auto in = b.input("x", {-1, 4});
  auto h = b.op("Sigmoid", {b.op("MatMul", {in, b.weight("w0", w[0])})});
  auto t = b.op("Tanh", {b.op("MatMul", {h, b.weight("w1", w[1])})});
  auto sm = b.op("Softmax", {t}, {{"axis", g::builder::integer(-1)}});
  b.output(b.op("Div", {b.op("MatMul", {sm, b.weight("w2", w[2])}), b.constant("half", dvec(0.5))}));
  const auto m = b.build();
  const auto grad = numeric_gradient([&](const std::vector<dvec>& v) { return cross_entropy(logits(v), y); }, w);
  // Sigmoid's and tanh's approximation errors (0.003, 0.006) enter the gradients through the forward
  // outputs they are computed from: a looser bound than for the exact ops.
  for (const auto& updated :
       {one_step<tfe::plain<tfe::ring64>>(m, x, y, 1.0), one_step<tfe::pond<tfe::ring64>>(m, x, y, 1.0)}) {
    REQUIRE(updated.size() == 3);
    for (std::size_t k = 0; k < 3; ++k) {
      CAPTURE(k);
      CHECK(max_diff(updated[k], w[k] - grad[k]) < 1e-2);
      CHECK(xt::amax(xt::abs(grad[k]))() > 1e-2);
    }
  }
}

TEST_CASE("training refuses ops without a gradient, naming the node") {
  g::builder b("no_grad");
  auto in = b.input("x", {-1, 3});
  b.output(b.op("Erf", {b.op("MatMul", {in, b.weight("w", xt::ones<double>({3, 2}))})}));
  const auto m = b.build();
  auto players = tfe::plain<tfe::ring64>::default_players();
  players.push_back("owner");
  tfe::run_local<tfe::plain<tfe::ring64>>(players, [&](auto& s) {
    auto model = g::share_model(s, "owner", [&] { return m; });
    CHECK(contains(error_of<tfe::config_error>([&] { g::trainer<tfe::plain<tfe::ring64>> t(model); }),
                   "(Erf): training needs its gradient"));
  });
}

TEST_CASE("training through BatchNormalization (folded), LeakyRelu, MaxPool and MatMul") {
  std::mt19937_64 rng(12);
  std::vector<dvec> w{random_array({2, 2, 3, 3}, rng, 0.5), random_array({2}, rng, 0.5), random_array({2}, rng, 0.3),
                      random_array({8, 3}, rng, 0.5), random_array({3}, rng, 0.2)};
  w[1] += 1.0;  // a BatchNormalization scale around 1
  const dvec x = random_array({4, 2, 4, 4}, rng);
  dvec y = xt::zeros<double>({4, 3});
  for (std::size_t i = 0; i < 4; ++i) y(i, (i + 1) % 3) = 1;
  auto logits = [&](const std::vector<dvec>& v) {
    dvec c = conv_ref(x, v[0], 1);
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t k = 0; k < 2; ++k) {
        auto ch = xt::view(c, i, k);
        ch = ch * v[1](k) + v[2](k);
      }
    c = xt::where(c >= 0.0, c, c * 0.1);
    dvec p = xt::zeros<double>({4, 2, 2, 2});
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t a = 0; a < 2; ++a)
          for (std::size_t b2 = 0; b2 < 2; ++b2)
            p(i, k, a, b2) = std::max({c(i, k, 2 * a, 2 * b2), c(i, k, 2 * a + 1, 2 * b2), c(i, k, 2 * a, 2 * b2 + 1),
                                       c(i, k, 2 * a + 1, 2 * b2 + 1)});
    p.reshape({4, 8});
    dvec z = xt::zeros<double>({4, 3});
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t o = 0; o < 3; ++o) {
        z(i, o) = v[4](o);
        for (std::size_t k = 0; k < 8; ++k) z(i, o) += p(i, k) * v[3](k, o);
      }
    return z;
  };
  g::builder b("bn_cnn");
  auto in = b.input("x", {-1, 2, 4, 4});
  auto c = b.op("Conv", {in, b.weight("conv", w[0])}, {{"pads", g::builder::ints({1, 1, 1, 1})}});
  auto bn = b.op("tfe.ScaleShift", {c, b.weight("bn_scale", w[1]), b.weight("bn_shift", w[2])});
  auto a = b.op("LeakyRelu", {bn}, {{"alpha", g::builder::real(0.1)}});
  auto pool = b.op("MaxPool", {a}, {{"kernel_shape", g::builder::ints({2, 2})}, {"strides", g::builder::ints({2, 2})}});
  auto flat = b.op("Flatten", {pool});
  b.output(b.op("Add", {b.op("MatMul", {flat, b.weight("dense", w[3])}), b.weight("bias", w[4])}));
  const auto m = b.build();
  const auto grad = numeric_gradient([&](const std::vector<dvec>& v) { return cross_entropy(logits(v), y); }, w);
  for (const auto& updated :
       {one_step<tfe::plain<tfe::ring64>>(m, x, y, 1.0), one_step<tfe::aby3<tfe::ring64>>(m, x, y, 1.0)}) {
    REQUIRE(updated.size() == 5);
    for (std::size_t k = 0; k < 5; ++k) {
      CAPTURE(k);
      CHECK(max_diff(updated[k], w[k] - grad[k]) < 2e-3);
    }
  }
}

}  // namespace test_graph_builder
