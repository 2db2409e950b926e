// test_onnx_models: models exported from PyTorch (models/onnx, made by tools/make_onnx_models.py with
// torch.onnx.export; checked in, so no Python at test time) run through the graph runner under plain
// and every secure protocol, against PyTorch's own outputs; the two Fashion-MNIST models agree with
// PyTorch's predictions; malformed and unsupported models fail at load with the node named.
#include "expect_error.hpp"
#include "graph_runner.hpp"
#include "loss_reference.hpp"
#include "temp_dir.hpp"

#include "tfe/graph/compiled_kernels.hpp"  // the graph kernels: tfe_graph_kernels
#include "tfe/graph/model.hpp"
#include "tfe/graph/training.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/onnx/model_file.hpp"
#include "tfe/onnx/reader.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/runtime/runner.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

const std::string dir = std::string(TFE_SOURCE_DIR) + "/models/onnx/";

tfe::programs::graph_result run(const std::string& protocol, const tfe::graph::saved_graph& m,
                                const std::vector<xt::xarray<double>>& inputs, std::size_t batch = 0) {
  tfe::programs::graph_request rq;
  rq.protocol = protocol;
  rq.batch = batch;
  rq.load_model = [&] { return m; };
  rq.load_inputs = [&] { return inputs; };
  return tfe::programs::run_graph(rq);
}

double max_diff(const xt::xarray<double>& a, const xt::xarray<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a.flat(i) - b.flat(i)));
  return d;
}

using tfe_test::contains;
using tfe_test::error_of;

}  // namespace

TEST_CASE("PyTorch-exported models agree with PyTorch under every protocol") {
  // Tolerances: the documented error of each model's least exact op (docs/onnx.md), for outputs of
  // magnitude ~1: fixed-point products only (conv_transpose, residual_cnn with its folded
  // BatchNormalization); sigmoid/tanh/softmax approximations (depthwise_mlp_mix); attention's
  // softmax, the LayerNormalization's inverse square root and the division by √d (attention).
  const std::vector<std::pair<std::string, double>> models{{"conv_transpose", 2e-3},
                                                           {"residual_cnn", 5e-3},
                                                           {"depthwise_mlp_mix", 1e-2},
                                                           {"attention_opset14", 3e-2},
                                                           {"attention_opset17", 3e-2}};
  for (const auto& [name, tol] : models) {
    const auto m = tfe::onnx::read_model(dir + name + ".onnx");
    const auto x = tfe::io::load_npy(dir + name + ".input.npy");
    const auto want = tfe::io::load_npy(dir + name + ".output.npy");
    for (const char* protocol : {"plain", "pond", "aby3", "securenn", "aby3_128"}) {
      CAPTURE(name);
      CAPTURE(protocol);
      auto r = run(protocol, m, {x});
      REQUIRE(r.outputs.size() == 1);
      CHECK(tfe::shape_of(r.outputs[0]) == tfe::shape_of(want));
      CHECK(max_diff(r.outputs[0], want) < tol);
    }
  }
}

TEST_CASE("the residual CNN's BatchNormalization is folded by the owner and its weights stay private") {
  auto m = tfe::onnx::read_model(dir + "residual_cnn.onnx");
  std::size_t bn = 0;
  for (const auto& n : m.g.nodes) bn += n.op_type == "BatchNormalization";
  CHECK(bn == 2);
  tfe::graph::prepare_for_sharing(m);
  std::size_t folded = 0;
  for (const auto& n : m.g.nodes) {
    CHECK(n.op_type != "BatchNormalization");
    folded += n.op_type == "tfe.ScaleShift";
  }
  CHECK(folded == 2);
  // Everything with more than one float is a weight: the public graph holds no weight values.
  for (const auto& [name, c] : m.g.constants) CHECK((c.integer || c.data.size() <= 1));
  CHECK(m.weights.size() == m.g.weights.size());
}

TEST_CASE("for inference the owner stores a Linear layer's weight transposed: no transpose of shares per predict") {
  const auto original = tfe::onnx::read_model(dir + "fashion_mnist_mlp.onnx");
  auto m = original;
  tfe::graph::store_linear_weights_transposed(m);
  std::size_t transposed_before = 0, gemms = 0;
  for (const auto& n : original.g.nodes) transposed_before += n.op_type == "Gemm" && n.get_int("transB", 0) != 0;
  CHECK(transposed_before == 3);  // PyTorch's three Linear layers
  for (const auto& n : m.g.nodes)
    if (n.op_type == "Gemm") {
      ++gemms;
      CHECK(n.get_int("transB", 0) == 0);
    }
  CHECK(gemms == 3);
  // Same weights, transposed: (out, in) became (in, out), values and names unchanged.
  REQUIRE(m.g.weights.size() == original.g.weights.size());
  for (std::size_t i = 0; i < m.weights.size(); ++i) {
    CAPTURE(m.g.weights[i].name);
    if (original.weights[i].dimension() != 2) continue;
    CHECK(m.g.weights[i].dims ==
          std::vector<std::int64_t>{original.g.weights[i].dims[1], original.g.weights[i].dims[0]});
    CHECK(m.weights[i] == xt::xarray<double>(xt::transpose(original.weights[i])));
  }
  // The same predictions as the graph as exported, run without the rewrite (a model built directly,
  // not through share_model): under plain, equal up to the last fixed-point unit.
  const xt::xarray<double> nchw = xt::transpose(tfe::io::load_fashion_mnist("test", 8).images, {0, 3, 1, 2});
  using P = tfe::plain<tfe::ring64>;
  auto players = P::default_players();
  players.push_back("owner");
  xt::xarray<double> as_exported;
  tfe::run_local<P>(players, [&](auto& s) {
    tfe::graph::model<P> direct(s, original.g);
    direct.set_weights("owner", [&] { return original.weights; });
    auto y = direct.predict(s.define_private_input("owner", [&] { return nchw; }));
    s.define_output(
        "owner", [&](const xt::xarray<double>& v) { as_exported = v; }, y);
  });
  const auto rewritten = run("plain", original, {nchw});
  CHECK(max_diff(as_exported, rewritten.outputs.at(0)) <= 2.0 / 65536);
}

TEST_CASE("the Fashion-MNIST models, rebuilt in PyTorch and exported, agree with PyTorch's predictions") {
  const std::size_t n = 64;
  auto data = tfe::io::load_fashion_mnist("test", n);
  xt::xarray<double> nchw = xt::transpose(data.images, {0, 3, 1, 2});
  for (const char* model : {"mlp", "cnn"}) {
    const auto m = tfe::onnx::read_model(dir + "fashion_mnist_" + model + ".onnx");
    const auto torch_logits = tfe::io::load_npy(dir + "fashion_mnist_" + model + "_torch_logits.npy");
    for (const char* protocol : {"aby3", "pond"}) {
      CAPTURE(model);
      CAPTURE(protocol);
      auto r = run(protocol, m, {nchw}, 32);
      REQUIRE(r.outputs.size() == 1);
      const auto& y = r.outputs[0];
      REQUIRE(y.shape()[0] == n);
      std::size_t agree = 0;
      double worst = 0;
      for (std::size_t i = 0; i < n; ++i) {
        auto row = xt::view(y, i), ref = xt::view(torch_logits, i);
        agree += xt::argmax(row)() == xt::argmax(ref)();
        for (std::size_t k = 0; k < 10; ++k) worst = std::max(worst, std::abs(row(k) - ref(k)));
      }
      CHECK(agree >= n - 1);
      CHECK(worst < 0.05);
    }
  }
}

TEST_CASE("the tfe model files of the Fashion-MNIST models agree with PyTorch's rebuilt models") {
  // models/fashion_mnist_{mlp,cnn}.npz (tfe's Keras-like Sequential, NHWC) read by read_model_file and
  // converted to graphs (nn/to_graph.hpp); PyTorch's logits come from the same weights rebuilt in
  // PyTorch (NCHW), so they are an outside oracle for the conversion's layouts.
  const std::size_t n = 64;
  auto data = tfe::io::load_fashion_mnist("test", n);
  for (const char* model : {"mlp", "cnn"}) {
    const std::string path = std::string(TFE_SOURCE_DIR) + "/models/fashion_mnist_" + model + ".npz";
    const auto m = tfe::graph::read_model_file(path);
    CHECK(m.g.source == path);
    const xt::xarray<double> torch_logits = xt::view(
        tfe::io::load_npy(dir + "fashion_mnist_" + model + "_torch_logits.npy"), xt::range(0, long(n)), xt::all());
    CAPTURE(model);
    auto r = run("aby3", m, {data.images}, 32);
    REQUIRE(r.outputs.size() == 1);
    CHECK(tfe::shape_of(r.outputs[0]) == tfe::shape_t{n, 10});
    CHECK(max_diff(r.outputs[0], torch_logits) < 0.05);
  }
  // An ONNX file through the same reader is the ONNX reader's graph.
  CHECK(tfe::graph::read_model_file(dir + "fashion_mnist_mlp.onnx").g.nodes.size() ==
        tfe::onnx::read_model(dir + "fashion_mnist_mlp.onnx").g.nodes.size());
  // Bytes too; a zip without an architecture, and neither kind, are named errors.
  const auto bytes = tfe::io::read_file_bytes(std::string(TFE_SOURCE_DIR) + "/models/fashion_mnist_mlp.npz");
  CHECK(tfe::graph::read_model_file_bytes(bytes, "mlp bytes").g.weights.size() == 6);
  tfe_test::temp_dir tmp("tfe_model_file");
  const std::string weights_only = tmp.file("weights.npz");
  tfe::io::save_npz(weights_only, {{"w", xt::xarray<double>{1.0, 2.0}}});
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::graph::read_model_file(weights_only); }),
                 "no architecture.json entry: not a tfe model file"));
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::graph::read_model_file(tmp.file("missing.onnx")); }),
                 "missing.onnx: cannot open for reading"));
}

TEST_CASE("unsupported and malformed graphs fail at load, naming the node, op and opset") {
  auto m = tfe::onnx::read_model(dir + "conv_transpose.onnx");
  auto bad = m;
  bad.g.nodes[1].op_type = "NonMaxSuppression";
  const auto e = error_of<tfe::config_error>([&] { tfe::graph::check_supported(bad.g); });
  CHECK(contains(e, "conv_transpose.onnx"));
  CHECK(contains(e, "'NonMaxSuppression' is not supported"));
  CHECK(contains(e, "opset 13"));
  CHECK(contains(e, "supported: Abs, Add"));
  // Through the runner: the owner's load fails before any computation.
  const auto x = tfe::io::load_npy(dir + "conv_transpose.input.npy");
  CHECK_THROWS_AS(run("aby3", bad, {x}), tfe::player_error);
  // An attribute tfe does not know.
  bad = m;
  bad.g.nodes[0].attributes["mystery"] = tfe::graph::attribute{};
  CHECK(contains(error_of<tfe::config_error>([&] { tfe::graph::check_supported(bad.g); }), "attribute 'mystery'"));
  // An input used before it is defined.
  bad = m;
  bad.g.nodes[0].inputs[0] = "nowhere";
  CHECK(contains(error_of<tfe::config_error>([&] { tfe::graph::check_supported(bad.g); }), "input 'nowhere'"));
  // An input of the wrong shape: a shape_error naming the graph input, at every player.
  try {
    (void)run("plain", m, {xt::xarray<double>(xt::zeros<double>({2, 3, 5, 5}))});
    FAIL("no exception");
  } catch (const tfe::player_error& pe) {
    CHECK(contains(pe.what(), "has shape (2, 3, 5, 5) but the graph expects (?, 2, 5, 5)"));
  }
  // A shape computed from private data cannot be resolved: the node and the input are named.
  tfe::graph::saved_graph g;
  g.g.source = "dynamic.onnx";
  g.g.opset = 13;
  g.g.inputs = {{"x", {2, 3}}, {"s", {2}}};
  g.g.outputs = {"y"};
  g.g.nodes = {tfe::graph::node{"Reshape", "reshape_by_data", {"x", "s"}, {"y"}, {}}};
  try {
    (void)run("plain", g, {xt::zeros<double>({2, 3}), xt::xarray<double>{3, 2}});
    FAIL("no exception");
  } catch (const tfe::player_error& pe) {
    CHECK(contains(pe.what(), "dynamic.onnx: node 'reshape_by_data' (Reshape): input 1 ('s', the shape) is private"));
  }
  // A weight of the wrong shape at the owner.
  auto wrong = m;
  wrong.weights[0] = xt::zeros<double>({1});
  CHECK_THROWS_AS(run("plain", wrong, {x}), tfe::player_error);
}

namespace {

using tfe_test::cross_entropy;

/// Losses of the imported model before and after `steps` SGD steps on (x, y), under P.
template <class P>
std::pair<double, double> train_imported(const tfe::graph::saved_graph& m, const xt::xarray<double>& x,
                                         const xt::xarray<double>& y, int steps) {
  auto players = P::default_players();
  players.push_back("model-owner");
  players.push_back("client");
  std::vector<double> losses;
  tfe::run_local<P>(players, [&](auto& s) {
    auto model = tfe::graph::share_model(s, "model-owner", [&] { return m; });
    tfe::graph::trainer<P> t(model);
    auto px = s.define_private_input("client", [&] { return x; });
    auto py = s.define_private_input("client", [&] { return y; });
    auto loss = [&] {
      s.define_output(
          "client", [&](const xt::xarray<double>& z) { losses.push_back(cross_entropy(z, y)); }, model.predict(px));
    };
    loss();
    for (int i = 0; i < steps; ++i) t.step({px}, py, 0.1);
    loss();
  });
  REQUIRE(losses.size() == 2);
  return {losses[0], losses[1]};
}

}  // namespace

TEST_CASE("the PyTorch residual CNN (imported, BatchNormalization folded) trains on private data") {
  const auto m = tfe::onnx::read_model(dir + "residual_cnn.onnx");
  const auto x = tfe::io::load_npy(dir + "residual_cnn.input.npy");
  xt::xarray<double> y = xt::zeros<double>({std::size_t(2), std::size_t(10)});
  y(0, 3) = 1, y(1, 7) = 1;
  const auto [before, after] = train_imported<tfe::plain<tfe::ring64>>(m, x, y, 8);
  MESSAGE("residual_cnn.onnx, 8 SGD steps under plain: loss ", before, " -> ", after);
  CHECK(after < 0.5 * before);  // eight steps on two examples: the loss must fall clearly
  const auto [before3, after3] = train_imported<tfe::aby3<tfe::ring64>>(m, x, y, 8);
  CHECK(std::abs(before3 - before) < 1e-2);
  MESSAGE("under ABY3: loss ", before3, " -> ", after3);
  CHECK(std::abs(after3 - after) < 5e-2);  // ABY3 follows the plaintext training
}
