// tests/test_nn_layers.cpp: every keras layer forward and backward: the plain protocol against
// double-precision references (gradients by central differences), then every secure protocol
// against plain on the same inputs.
#include "nn_reference.hpp"

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_nn_layers {

namespace {

using namespace nn_test;

struct layer_case {
  std::string label;
  keras::layer_spec spec;
  shape_t in;         ///< without the batch dimension
  double tol = 2e-3;  ///< plain vs double reference (fixed-point and approximation error)
};

std::vector<layer_case> cases() {
  using namespace keras;
  return {
      {"dense", Dense{.units = 5}, {6}},
      {"dense_relu", Dense{.units = 4, .activation = "relu"}, {6}},
      {"dense_nobias_sigmoid", Dense{.units = 3, .activation = "sigmoid", .use_bias = false}, {6}, 1e-2},
      {"dense_softmax", Dense{.units = 4, .activation = "softmax"}, {6}, 2e-3},
      {"conv_valid_relu", Conv2D{.filters = 3, .kernel_size = {3, 3}, .activation = "relu"}, {5, 5, 2}},
      {"conv_same_stride2",
       Conv2D{.filters = 2, .kernel_size = {3, 3}, .strides = {2, 2}, .padding = "same"},
       {5, 5, 2}},
      {"maxpool_2x2", MaxPooling2D{}, {4, 4, 3}},
      {"maxpool_3x3_s2_same", MaxPooling2D{.pool_size = {3, 3}, .strides = {2, 2}, .padding = "same"}, {5, 5, 2}},
      {"avgpool_2x2", AveragePooling2D{}, {4, 4, 3}},
      {"avgpool_3x3_s2_same", AveragePooling2D{.pool_size = {3, 3}, .strides = {2, 2}, .padding = "same"}, {5, 5, 2}},
      {"global_avgpool", GlobalAveragePooling2D{}, {3, 3, 2}},
      {"flatten", Flatten{}, {2, 3, 2}},
      {"reshape", Reshape{.target_shape = {-1, 2}}, {2, 3, 2}},
      {"batchnorm_flat", BatchNormalization{}, {4}},
      {"batchnorm_image", BatchNormalization{.epsilon = 0.01}, {2, 2, 3}},
      {"relu", ReLU{}, {7}},
      {"sigmoid", Activation{.activation = "sigmoid"}, {7}, 1e-2},
      {"softmax", Activation{.activation = "softmax"}, {5}},
  };
}

struct case_data {
  keras::architecture arch;
  std::vector<dvec> weights;
  dvec x, dy;
};

case_data make_data(const layer_case& c, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  case_data d;
  d.arch = keras::resolve_names(keras::architecture{c.in, {c.spec}});
  for (const auto& w : keras::weight_specs(d.arch)) {
    const std::string kind = w.name.substr(w.name.rfind('/') + 1);
    d.weights.push_back(kind == "moving_variance" ? random_array(w.shape, rng, 0.5, 2.0) : random_array(w.shape, rng));
  }
  const std::size_t batch = 3;
  shape_t xs{batch};
  xs.insert(xs.end(), c.in.begin(), c.in.end());
  d.x = random_array(xs, rng, -2, 2);
  shape_t ys{batch};
  auto out = keras::infer_shapes(d.arch).back();
  ys.insert(ys.end(), out.begin(), out.end());
  d.dy = random_array(ys, rng);
  return d;
}

}  // namespace

TEST_CASE("keras layers: plain matches the double-precision reference, forward and backward") {
  std::uint64_t seed = 100;
  for (const auto& c : cases()) {
    CAPTURE(c.label);
    auto d = make_data(c, ++seed);
    auto r = run_layers<tfe::plain<tfe::ring64>>(d.arch, d.weights, d.x, d.dy);
    const auto& spec = d.arch.layers[0];
    auto fx = [&](const dvec& v) { return ref_layer(spec, v, d.weights); };
    CHECK(max_diff(r.y, fx(d.x)) <= c.tol);
    CHECK(max_diff(r.dx, numeric_grad(fx, d.x, d.dy)) <= c.tol * 2);
    // Gradients of the trainable weights (BatchNormalization has none).
    const bool trainable = !std::holds_alternative<keras::BatchNormalization>(spec);
    REQUIRE(r.grads.size() == (trainable ? d.weights.size() : 0));
    for (std::size_t i = 0; i < r.grads.size(); ++i) {
      auto fw = [&](const dvec& v) {
        auto w = d.weights;
        w[i] = v;
        return ref_layer(spec, d.x, w);
      };
      CAPTURE(i);
      CHECK(max_diff(r.grads[i], numeric_grad(fw, d.weights[i], d.dy)) <= c.tol * 4);
    }
  }
}

namespace {

template <class P>
void check_against_plain() {
  std::uint64_t seed = 100;
  for (const auto& c : cases()) {
    CAPTURE(c.label);
    auto d = make_data(c, ++seed);
    auto ref = run_layers<tfe::plain<tfe::ring64>>(d.arch, d.weights, d.x, d.dy);
    auto got = run_layers<P>(d.arch, d.weights, d.x, d.dy);
    // Share-local truncation adds at most one ulp per product; the approximations see inputs that
    // differ by those ulps.
    const double tol = 1e-3;
    CHECK(max_diff(got.y, ref.y) <= tol);
    CHECK(max_diff(got.dx, ref.dx) <= tol);
    REQUIRE(got.grads.size() == ref.grads.size());
    for (std::size_t i = 0; i < got.grads.size(); ++i) CHECK(max_diff(got.grads[i], ref.grads[i]) <= tol);
  }
}

}  // namespace

TEST_CASE("keras layers: pond<ring64> matches plain") { check_against_plain<tfe::pond<tfe::ring64>>(); }

#ifdef NN_TEST_SECURENN
TEST_CASE("keras layers: securenn<ring64> matches plain") { check_against_plain<tfe::securenn<tfe::ring64>>(); }
#endif

#ifdef NN_TEST_ABY3
TEST_CASE("keras layers: aby3<ring64> matches plain") { check_against_plain<tfe::aby3<tfe::ring64>>(); }
#endif

}  // namespace test_nn_layers
