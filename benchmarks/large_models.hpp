// benchmarks/large_models.hpp: BERT-base and ResNet-50 as graph models built in C++ (graph::builder),
// with random weights from a fixed seed, for bench_large_models and its smoke test. Accuracy is not
// the point (the weights are random); the shapes, the op mix and the magnitudes are.
//
// BERT (Devlin et al. 2019): the encoder stack on the client's private embeddings (1, S, H): per layer
// multi-head self-attention (Q, K, V projections, Q·Kᵀ/√d per head, softmax, ·V, output projection),
// residual add and LayerNorm, then the feed-forward block (H -> F, GELU, F -> H), residual add and
// LayerNorm; then BERT's pooler (the first token, dense H -> H, tanh) and a 2-way classifier. The
// 1/√d scale is folded into the query weights, as a deployment would fold it.
//
// ResNet-50 (He et al. 2016, torchvision's v1.5: the stride in the 3×3 convolution): conv 7×7/2 64,
// max-pool 3×3/2, bottleneck stages of [3, 4, 6, 3] blocks with widths 64, 128, 256, 512 (×4 out),
// a 1×1 projection on every stage's first block, global average pool, dense 2048 -> 1000.
// BatchNormalization is folded into the convolutions (what the model owner does on import).
//
// Magnitudes. Weights are uniform with variance 1/fan_in (LeCun), so the BERT hidden state stays near
// unit scale through LayerNorm. In the ResNet, each residual branch's last convolution is scaled by
// `residual_scale` (a trained network's last BN gamma is small in the same way), so that the
// activations grow slowly through the 16 blocks instead of doubling at each add.
#pragma once

#include <tfe/graph/builder.hpp>
#include <tfe/nn/specs.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace bench::large {

/// Weights for benchmarks (not protocol randomness): Keras's initializer stream (splitmix64),
/// uniform in [-range, range).
class weight_rng {
 public:
  explicit weight_rng(std::uint64_t seed) : m_rng(seed) {}
  double uniform(double range) { return (m_rng.uniform() * 2.0 - 1.0) * range; }
  xt::xarray<double> tensor(const tfe::shape_t& shape, double range) {
    xt::xarray<double> t = xt::xarray<double>::from_shape(shape);
    for (auto& v : t) v = uniform(range);
    return t;
  }
  /// Variance 1/fan_in (uniform in ±√(3/fan_in)), times `gain`.
  xt::xarray<double> lecun(const tfe::shape_t& shape, std::size_t fan_in, double gain = 1.0) {
    return tensor(shape, gain * std::sqrt(3.0 / static_cast<double>(fan_in)));
  }

 private:
  tfe::keras::init_rng m_rng;
};

struct bert_config {
  std::size_t layers = 12, hidden = 768, heads = 12, ffn = 3072, sequence = 128, classes = 2;
  std::uint64_t seed = 2024;
};

struct resnet_config {
  std::size_t image = 224, classes = 1000;
  std::vector<std::size_t> blocks{3, 4, 6, 3};
  std::size_t width = 64;  // the first stage's bottleneck width (64 in ResNet-50)
  double residual_scale = 0.3;
  std::uint64_t seed = 2024;
};

namespace detail {
inline std::vector<std::int64_t> dims(std::initializer_list<std::size_t> v) {
  std::vector<std::int64_t> d;
  for (auto x : v) d.push_back(static_cast<std::int64_t>(x));
  return d;
}
}  // namespace detail

/// BERT's encoder stack and classifier head; input "embeddings" (1, S, H), output logits (1, classes).
inline tfe::graph::saved_graph bert(const bert_config& c) {
  namespace g = tfe::graph;
  using detail::dims;
  TFE_ENFORCE(c.hidden % c.heads == 0, tfe::config_error, "bert: hidden ", c.hidden, " is not a multiple of heads ",
              c.heads);
  const std::size_t H = c.hidden, S = c.sequence, A = c.heads, D = H / A;
  weight_rng rng(c.seed);
  g::builder b("bert", 20);
  std::string x = b.input("embeddings", dims({1, S, H}));
  auto dense = [&](const std::string& in, std::size_t fan_in, std::size_t out, const std::string& name,
                   double gain = 1.0) {
    auto w = b.weight(name + "/w", rng.lecun({fan_in, out}, fan_in, gain));
    auto bias = b.weight(name + "/b", rng.tensor({out}, 0.1));
    return b.op("Add", {b.op("MatMul", {in, w}), bias});
  };
  auto layer_norm = [&](const std::string& in, const std::string& name) {
    auto gamma = b.weight(name + "/gamma", 1.0 + rng.tensor({H}, 0.1));
    auto beta = b.weight(name + "/beta", rng.tensor({H}, 0.1));
    return b.op("LayerNormalization", {in, gamma, beta}, {{"axis", b.integer(-1)}, {"epsilon", b.real(1e-12)}});
  };
  const auto heads_shape = b.constant("heads_shape", xt::xarray<double>{1.0, double(S), double(A), double(D)}, true);
  const auto merged_shape = b.constant("merged_shape", xt::xarray<double>{1.0, double(S), double(H)}, true);
  auto split_heads = [&](const std::string& in, std::vector<std::int64_t> perm) {
    return b.op("Transpose", {b.op("Reshape", {in, heads_shape})}, {{"perm", b.ints(std::move(perm))}});
  };
  for (std::size_t l = 0; l < c.layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + "/";
    auto q = split_heads(dense(x, H, H, p + "query", 1.0 / std::sqrt(double(D))), {0, 2, 1, 3});  // (1, A, S, D)
    auto k = split_heads(dense(x, H, H, p + "key"), {0, 2, 3, 1});                                // (1, A, D, S)
    auto v = split_heads(dense(x, H, H, p + "value"), {0, 2, 1, 3});                              // (1, A, S, D)
    auto probs = b.op("Softmax", {b.op("MatMul", {q, k})}, {{"axis", b.integer(-1)}});
    auto context = b.op("Transpose", {b.op("MatMul", {probs, v})}, {{"perm", b.ints({0, 2, 1, 3})}});
    context = b.op("Reshape", {context, merged_shape});
    x = layer_norm(b.op("Add", {x, dense(context, H, H, p + "attention_output")}), p + "attention_norm");
    auto h = b.op("Gelu", {dense(x, H, c.ffn, p + "intermediate")});
    x = layer_norm(b.op("Add", {x, dense(h, c.ffn, H, p + "output")}), p + "output_norm");
  }
  // The pooler reads the first token: (1, S, H) -> (1, H).
  auto first = b.op("Gather", {x, b.constant("first_token", xt::xarray<double>(0.0), true)}, {{"axis", b.integer(1)}});
  auto pooled = b.op("Tanh", {dense(first, H, H, "pooler")});
  b.output(dense(pooled, H, c.classes, "classifier"));
  return b.build();
}

/// ResNet-50 (v1.5) with BatchNormalization folded; input "image" (1, 3, N, N), output logits (1, classes).
inline tfe::graph::saved_graph resnet50(const resnet_config& c) {
  namespace g = tfe::graph;
  using detail::dims;
  weight_rng rng(c.seed);
  g::builder b("resnet50", 17);
  std::string x = b.input("image", dims({1, 3, c.image, c.image}));
  auto conv = [&](const std::string& in, std::size_t cin, std::size_t cout, std::size_t k, std::size_t stride,
                  const std::string& name, double gain) {
    const auto pad = static_cast<std::int64_t>(k / 2);
    auto w = b.weight(name + "/w", rng.lecun({cout, cin, k, k}, cin * k * k, gain));
    auto bias = b.weight(name + "/b", rng.tensor({cout}, 0.05));
    return b.op("Conv", {in, w, bias},
                {{"kernel_shape", b.ints({std::int64_t(k), std::int64_t(k)})},
                 {"strides", b.ints({std::int64_t(stride), std::int64_t(stride)})},
                 {"pads", b.ints({pad, pad, pad, pad})}});
  };
  // ReLU after a convolution with LeCun weights halves the variance: a gain of √2 (He) keeps it.
  const double he = std::sqrt(2.0);
  x = b.op("Relu", {conv(x, 3, c.width, 7, 2, "conv1", he)});
  x = b.op("MaxPool", {x},
           {{"kernel_shape", b.ints({3, 3})}, {"strides", b.ints({2, 2})}, {"pads", b.ints({1, 1, 1, 1})}});
  std::size_t cin = c.width;
  for (std::size_t stage = 0; stage < c.blocks.size(); ++stage) {
    const std::size_t w = c.width << stage, cout = 4 * w;
    for (std::size_t blk = 0; blk < c.blocks[stage]; ++blk) {
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(blk) + "/";
      const std::size_t stride = (blk == 0 && stage > 0) ? 2 : 1;
      auto h = b.op("Relu", {conv(x, cin, w, 1, 1, p + "conv1", he)});
      h = b.op("Relu", {conv(h, w, w, 3, stride, p + "conv2", he)});
      h = conv(h, w, cout, 1, 1, p + "conv3", c.residual_scale);
      auto shortcut = blk == 0 ? conv(x, cin, cout, 1, stride, p + "downsample", 1.0) : x;
      x = b.op("Relu", {b.op("Add", {h, shortcut})});
      cin = cout;
    }
  }
  x = b.op("Flatten", {b.op("GlobalAveragePool", {x})});
  auto w = b.weight("fc/w", rng.lecun({cin, c.classes}, cin));
  auto bias = b.weight("fc/b", rng.tensor({c.classes}, 0.05));
  b.output(b.op("Add", {b.op("MatMul", {x, w}), bias}));
  return b.build();
}

/// The client's input for each network: embeddings of unit scale, an image normalized as ImageNet's.
inline xt::xarray<double> bert_input(const bert_config& c) {
  return weight_rng(c.seed + 1).tensor({1, c.sequence, c.hidden}, std::sqrt(3.0));
}
inline xt::xarray<double> resnet_input(const resnet_config& c) {
  return weight_rng(c.seed + 1).tensor({1, 3, c.image, c.image}, 2.0);
}

}  // namespace bench::large
