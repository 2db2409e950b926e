// test_keras_to_graph: Keras-like Sequential models as graphs (tfe/nn/to_graph.hpp), so a tfe model
// file runs wherever an ONNX model does. Every layer kind, both paddings, strides, BatchNormalization on
// images, flat and rank-3 tensors, Reshape into an image, and each activation, on random weights and
// inputs with negatives, against the double references of tests/nn_reference.hpp (written with naive
// loops, independently of the graph kernels) under plain and ABY3; the layouts (transposes only where
// a layer needs the other one); and the errors, which name the file and the weight.
// (The Fashion-MNIST model files against PyTorch's logits: test_onnx_models.)
#include "expect_error.hpp"
#include "nn_reference.hpp"
#include "tfe/graph/compiled_kernels.hpp"  // the graph kernels: tfe_graph_kernels
#include "tfe/graph/model.hpp"
#include "tfe/nn/to_graph.hpp"

#include <doctest/doctest.h>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_keras_to_graph {

namespace {

using namespace nn_test;
using tfe_test::contains;
using tfe_test::error_of;
namespace g = tfe::graph;

/// Runs the graph with every player here: "owner" shares the weights, "client" the input.
template <class P>
dvec run_graph(const g::saved_graph& m, const dvec& x) {
  auto players = P::default_players();
  players.push_back("owner");
  players.push_back("client");
  dvec out;
  tfe::run_local<P>(players, [&](auto& s) {
    auto model = g::share_model(s, "owner", [&] { return m; });
    auto y = model.predict(s.define_private_input("client", [&] { return x; }));
    s.define_output(
        "client", [&](const dvec& v) { out = v; }, y);
  });
  return out;
}

/// Keras's initial weights, with BatchNormalization's statistics made non-trivial (a folded scale
/// and shift that are not 1 and 0).
std::vector<dvec> random_weights(const keras::architecture& arch, std::mt19937_64& rng) {
  auto w = keras::initial_weights(arch, rng());
  const auto specs = keras::weight_specs(arch);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string kind = specs[i].name.substr(specs[i].name.rfind('/') + 1);
    if (kind == "gamma") w[i] = random_array(specs[i].shape, rng, 0.5, 1.5);
    if (kind == "beta" || kind == "moving_mean" || kind == "bias") w[i] = random_array(specs[i].shape, rng, -0.5, 0.5);
    if (kind == "moving_variance") w[i] = random_array(specs[i].shape, rng, 0.5, 2.0);
  }
  return w;
}

dvec reference(const keras::architecture& unnamed, const std::vector<dvec>& w, const dvec& x) {
  const auto arch = keras::resolve_names(unnamed);
  dvec cur = x;
  shape_t in = arch.input_shape;
  std::size_t next = 0;
  for (const auto& l : arch.layers) {
    const std::size_t n = keras::weight_specs(l, in).size();
    cur = ref_layer(l, cur, std::vector<dvec>(w.begin() + std::ptrdiff_t(next), w.begin() + std::ptrdiff_t(next + n)));
    next += n;
    in = keras::output_shape(l, in);
  }
  return cur;
}

std::vector<std::string> op_types(const g::saved_graph& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.g.nodes) ops.push_back(n.op_type);
  return ops;
}

struct model_case {
  std::string what;
  keras::architecture arch;
};

std::vector<model_case> cases() {
  using namespace keras;
  return {
      {"SAME conv with stride 2, BatchNormalization on an image, SAME max and average pooling, softmax",
       {{7, 7, 2},
        {Conv2D{.filters = 4, .kernel_size = {3, 3}, .strides = {2, 2}, .padding = "same", .activation = "relu"},
         BatchNormalization{}, MaxPooling2D{.pool_size = {3, 3}, .strides = {1, 1}, .padding = "same"},
         AveragePooling2D{.pool_size = {3, 3}, .strides = {2, 2}, .padding = "same"}, Flatten{},
         Dense{.units = 5, .activation = "softmax"}}}},
      {"VALID conv of a non-square kernel without bias, ReLU layer, global average pooling, sigmoid",
       {{6, 5, 3},
        {Conv2D{.filters = 2, .kernel_size = {2, 3}, .padding = "valid", .use_bias = false}, ReLU{},
         GlobalAveragePooling2D{}, Dense{.units = 3, .activation = "sigmoid"}}}},
      {"BatchNormalization on features, Reshape into an image, a 1x1 conv, VALID pooling, Flatten",
       {{12},
        {Dense{.units = 8, .activation = "relu"}, BatchNormalization{}, Reshape{.target_shape = {2, 2, 2}},
         Conv2D{.filters = 3, .kernel_size = {1, 1}}, MaxPooling2D{.pool_size = {2, 1}}, Flatten{},
         Dense{.units = 4}}}},
      {"BatchNormalization over the last axis of a rank-3 tensor, Reshape with -1, Activation layers",
       {{12},
        {Reshape{.target_shape = {-1, 6}}, BatchNormalization{.epsilon = 0.01}, Activation{.activation = "sigmoid"},
         Flatten{}, Dense{.units = 4, .use_bias = false}, Activation{.activation = "softmax"}}}},
  };
}

}  // namespace

TEST_CASE("Sequential models as graphs agree with the double reference under plain and ABY3") {
  std::mt19937_64 rng(std::random_device{}());
  for (const auto& c : cases()) {
    CAPTURE(c.what);
    const auto w = random_weights(c.arch, rng);
    shape_t xs{3};
    xs.insert(xs.end(), c.arch.input_shape.begin(), c.arch.input_shape.end());
    const dvec x = random_array(xs, rng, -2, 2);
    const dvec ref = reference(c.arch, w, x);
    const auto m = keras::to_graph(c.arch, w, "case.npz");
    CHECK(m.g.inputs.size() == 1);
    CHECK(m.g.outputs.size() == 1);
    const double plain = max_diff(run_graph<tfe::plain<tfe::ring64>>(m, x), ref);
    const double aby3 = max_diff(run_graph<tfe::aby3<tfe::ring64>>(m, x), ref);
    // Fixed point (16 fractional bits) and the sigmoid/softmax approximations (docs/approximations.md);
    // seen: at most 5e-5 here.
    CHECK(plain < 0.01);
    CHECK(aby3 < 0.01);
  }
}

TEST_CASE("the converter transposes only where a layer needs the other layout") {
  std::mt19937_64 rng(7);
  using namespace keras;
  // The Fashion-MNIST CNN of models/fashion_mnist_cnn.npz: into NCHW once, back before Flatten.
  architecture cnn{{28, 28, 1},
                   {Conv2D{.filters = 8, .kernel_size = {5, 5}, .activation = "relu"}, MaxPooling2D{},
                    Conv2D{.filters = 16, .kernel_size = {5, 5}, .activation = "relu"}, MaxPooling2D{}, Flatten{},
                    Dense{.units = 64, .activation = "relu"}, Dense{.units = 10}}};
  CHECK(op_types(to_graph(cnn, random_weights(cnn, rng), "cnn.npz")) ==
        std::vector<std::string>{"Transpose", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Transpose",
                                 "Flatten", "Gemm", "Relu", "Gemm"});
  // An MLP on images never leaves Keras's layout.
  architecture mlp{{28, 28, 1}, {Flatten{}, Dense{.units = 16, .activation = "relu"}, Dense{.units = 10}}};
  CHECK(op_types(to_graph(mlp, random_weights(mlp, rng), "mlp.npz")) ==
        std::vector<std::string>{"Flatten", "Gemm", "Relu", "Gemm"});
  // Weight names are the file's, with the kernel in ONNX's OIHW layout.
  const auto m = to_graph(cnn, random_weights(cnn, rng), "cnn.npz");
  REQUIRE(m.g.weights.size() == 8);
  CHECK(m.g.weights[0].name == "conv2d/kernel");
  CHECK(m.g.weights[0].dims == std::vector<std::int64_t>{8, 1, 5, 5});
  CHECK(m.g.weights[7].name == "dense_1/bias");
}

TEST_CASE("a model the weights do not fit is refused, naming the file and the weight") {
  using namespace keras;
  architecture arch{{4}, {Dense{.units = 3, .activation = "relu"}, Dense{.units = 2}}};
  std::mt19937_64 rng(1);
  auto w = random_weights(arch, rng);
  auto fewer = w;
  fewer.pop_back();
  CHECK(contains(error_of<tfe::shape_error>([&] { (void)to_graph(arch, fewer, "m.npz"); }),
                 "m.npz: the architecture needs 4 weights, got 3"));
  auto wrong = w;
  wrong[2] = xt::zeros<double>({2, 3});
  CHECK(contains(error_of<tfe::shape_error>([&] { (void)to_graph(arch, wrong, "m.npz"); }),
                 "m.npz: weight 'dense_1/kernel' has shape (2, 3), the architecture needs (3, 2)"));
  architecture bad{{4}, {Conv2D{.filters = 2}}};
  CHECK(contains(error_of<tfe::shape_error>([&] { (void)to_graph(bad, {}, "bad.npz"); }),
                 "bad.npz: layer 'conv2d' (Conv2D) needs an image input"));
}

}  // namespace test_keras_to_graph
