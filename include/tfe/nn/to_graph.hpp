// tfe/nn/to_graph.hpp: a Keras-like Sequential model (a tfe model file, nn/model_io.hpp) as a graph
// (graph/ir.hpp), so everything that runs an ONNX model runs a tfe model file too: tfe_predict,
// tfe_plan, tfe_serve and Python's tfe.predict take either file (graph::read_model_file in
// onnx/model_file.hpp tells them apart).
//
//   auto saved = tfe::keras::load_model_file("models/fashion_mnist_cnn.npz");
//   tfe::graph::saved_graph g = tfe::keras::to_graph(saved.arch, saved.weights, "fashion_mnist_cnn.npz");
//
// The graph takes and returns tensors in Keras's layout: the input is (batch, *input_shape) (NHWC for
// images), the output (batch, *last layer's shape). Inside, the graph has ONNX semantics (NCHW, OIHW),
// so the converter tracks the layout of the current tensor and inserts a Transpose (local, free under
// every protocol) only where a layer needs the other one:
//   Dense                Gemm(x, kernel (in, units), bias)          Keras layout, rank 2
//   Conv2D               Conv(x, kernel HWIO→OIHW, bias, pads)       NCHW; TensorFlow's SAME pads made
//                                                                    explicit (ring_ops::conv2d_geometry)
//   Max/AveragePooling2D MaxPool / AveragePool (count_include_pad 0: TensorFlow's average over the
//                        positions inside the image; padding never wins a max)            NCHW
//   GlobalAveragePooling2D  GlobalAveragePool, then Flatten                               NCHW → Keras
//   Flatten, Reshape     Flatten(axis 1) / Reshape(-1, out...) in Keras's row-major order  Keras layout
//   BatchNormalization   BatchNormalization over the last Keras axis (moved to axis 1), folded by the
//                        owner into a scale and shift before sharing (graph/model.hpp)
//   activations          Relu, Sigmoid (anywhere), Softmax(axis -1) in Keras layout
// Weight names are the file's ("conv2d/kernel"), so errors and the planner name them as Keras does.
// A model the graph cannot express does not exist: every layer of nn/specs.hpp maps; the architecture
// is checked (infer_shapes) before anything is built, and a weight of the wrong shape throws
// shape_error naming it.
#pragma once

#include "tfe/graph/builder.hpp"
#include "tfe/nn/specs.hpp"

#include <numeric>

namespace tfe::keras {

namespace detail {

/// Builds the graph layer by layer, keeping track of whether the current tensor is in Keras's layout
/// (channels last) or ONNX's (channels at axis 1; only for (batch, H, W, C) images).
class graph_converter {
 public:
  graph_converter(const std::string& source, shape_t input_shape) : m_b(source), m_shape(std::move(input_shape)) {
    std::vector<std::int64_t> dims{-1};
    for (auto d : m_shape) dims.push_back(static_cast<std::int64_t>(d));
    m_x = m_b.input("input", dims);
  }

  void add(const layer_spec& l, const shape_t& out, const std::vector<xt::xarray<double>>& w) {
    using g = graph::builder;
    const std::string& name = layer_name(l);
    std::visit(
        overloaded{
            [&](const Dense& d) {
              to_keras();
              std::vector<std::string> in{m_x, m_b.weight(name + "/kernel", w.at(0))};
              if (d.use_bias) in.push_back(m_b.weight(name + "/bias", w.at(1)));
              m_x = m_b.op("Gemm", in);
            },
            [&](const Conv2D& c) {
              to_nchw();
              const auto geo = conv_geometry_of(c.kernel_size, c.strides, c.padding, name);
              std::vector<std::string> in{m_x, m_b.weight(name + "/kernel", xt::transpose(w.at(0), {3, 2, 0, 1}))};
              if (c.use_bias) in.push_back(m_b.weight(name + "/bias", w.at(1)));
              m_x = m_b.op("Conv", in,
                           {{"kernel_shape", g::ints({std::int64_t(c.kernel_size[0]), std::int64_t(c.kernel_size[1])})},
                            {"strides", g::ints({std::int64_t(c.strides[0]), std::int64_t(c.strides[1])})},
                            {"pads", pads_of(geo)}});
            },
            [&](const MaxPooling2D& p) { pool("MaxPool", p.pool_size, p.strides, p.padding, name); },
            [&](const AveragePooling2D& p) { pool("AveragePool", p.pool_size, p.strides, p.padding, name); },
            [&](const GlobalAveragePooling2D&) {
              to_nchw();
              m_x = m_b.op("Flatten", {m_b.op("GlobalAveragePool", {m_x})}, {{"axis", g::integer(1)}});
              m_nchw = false;
            },
            [&](const Flatten&) {
              to_keras();
              m_x = m_b.op("Flatten", {m_x}, {{"axis", g::integer(1)}});
            },
            [&](const Reshape&) {
              to_keras();
              xt::xarray<double> target = xt::zeros<double>({out.size() + 1});
              target(0) = -1;
              for (std::size_t i = 0; i < out.size(); ++i) target(i + 1) = static_cast<double>(out[i]);
              m_x = m_b.op("Reshape", {m_x, m_b.constant(name + "/shape", target, true)});
            },
            [&](const BatchNormalization& b) { batch_norm(b, name, w); }, [&](const auto&) {}},
        l);
    m_shape = out;
    activation(activation_of(l), name);
  }

  graph::saved_graph finish() {
    to_keras();
    m_b.output(m_x);
    return m_b.build();
  }

 private:
  ring_ops::conv_geometry conv_geometry_of(std::array<std::size_t, 2> k, std::array<std::size_t, 2> s,
                                           const std::string& padding, const std::string& name) const {
    return ring_ops::conv2d_geometry(m_shape.at(0), m_shape.at(1), k[0], k[1], s[0], s[1],
                                     parse_padding(padding, name));
  }
  static graph::attribute pads_of(const ring_ops::conv_geometry& geo) {
    return graph::builder::ints({std::int64_t(geo.pad_top), std::int64_t(geo.pad_left), std::int64_t(geo.pad_bottom),
                                 std::int64_t(geo.pad_right)});
  }

  void pool(const std::string& op, std::array<std::size_t, 2> size, std::array<std::size_t, 2> strides,
            const std::string& padding, const std::string& name) {
    using g = graph::builder;
    if (strides[0] == 0 || strides[1] == 0) strides = size;
    to_nchw();
    const auto geo = conv_geometry_of(size, strides, padding, name);
    m_x = m_b.op(op, {m_x},
                 {{"kernel_shape", g::ints({std::int64_t(size[0]), std::int64_t(size[1])})},
                  {"strides", g::ints({std::int64_t(strides[0]), std::int64_t(strides[1])})},
                  {"pads", pads_of(geo)}});
  }

  /// Keras normalizes the last axis; ONNX axis 1. An image is already NCHW or goes there; any other
  /// rank moves its last axis to 1 and back.
  void batch_norm(const BatchNormalization& b, const std::string& name, const std::vector<xt::xarray<double>>& w) {
    using g = graph::builder;
    const std::size_t rank = m_shape.size() + 1;
    const bool image = m_shape.size() == 3;
    if (image) to_nchw();
    std::vector<std::int64_t> there, back;
    if (!image && rank > 2) {
      there.push_back(0), there.push_back(std::int64_t(rank - 1));
      for (std::size_t a = 1; a + 1 < rank; ++a) there.push_back(std::int64_t(a));
      back.assign(rank, 0);
      for (std::size_t a = 0; a < rank; ++a) back[std::size_t(there[a])] = std::int64_t(a);
      m_x = m_b.op("Transpose", {m_x}, {{"perm", g::ints(there)}});
    }
    m_x = m_b.op("BatchNormalization",
                 {m_x, m_b.weight(name + "/gamma", w.at(0)), m_b.weight(name + "/beta", w.at(1)),
                  m_b.weight(name + "/moving_mean", w.at(2)), m_b.weight(name + "/moving_variance", w.at(3))},
                 {{"epsilon", g::real(b.epsilon)}});
    if (!back.empty()) m_x = m_b.op("Transpose", {m_x}, {{"perm", g::ints(back)}});
  }

  void activation(const std::string& a, const std::string& name) {
    using g = graph::builder;
    if (a == "linear") return;
    if (a == "relu") {
      m_x = m_b.op("Relu", {m_x});
    } else if (a == "sigmoid") {
      m_x = m_b.op("Sigmoid", {m_x});
    } else if (a == "softmax") {
      to_keras();
      m_x = m_b.op("Softmax", {m_x}, {{"axis", g::integer(-1)}});
    } else {
      throw config_error("layer '" + name + "': activation '" + a + "' has no graph form");
    }
  }

  void to_nchw() {
    if (m_nchw) return;
    TFE_ENFORCE(m_shape.size() == 3, shape_error, "to_graph: an image layer on a tensor of shape ", shape_str(m_shape));
    m_x = m_b.op("Transpose", {m_x}, {{"perm", graph::builder::ints({0, 3, 1, 2})}});
    m_nchw = true;
  }
  void to_keras() {
    if (!m_nchw) return;
    m_x = m_b.op("Transpose", {m_x}, {{"perm", graph::builder::ints({0, 2, 3, 1})}});
    m_nchw = false;
  }

  graph::builder m_b;
  shape_t m_shape;  // the current tensor's Keras shape (without the batch axis)
  std::string m_x;  // the current tensor
  bool m_nchw = false;
};

}  // namespace detail

/// The graph of a Sequential model with its weights (file layouts, weight_specs order); the graph's
/// input and output are in Keras's layout. Throws shape_error / config_error for a bad architecture or
/// a weight of the wrong shape, each naming `source`.
inline graph::saved_graph to_graph(const architecture& unnamed, const std::vector<xt::xarray<double>>& weights,
                                   const std::string& source) {
  try {
    const architecture arch = resolve_names(unnamed);
    const auto shapes = infer_shapes(arch);
    const auto specs = weight_specs(arch);
    TFE_ENFORCE(specs.size() == weights.size(), shape_error, "the architecture needs ", specs.size(), " weights, got ",
                weights.size());
    for (std::size_t i = 0; i < specs.size(); ++i)
      TFE_ENFORCE(shape_of(weights[i]) == specs[i].shape, shape_error, "weight '", specs[i].name, "' has shape ",
                  shape_str(shape_of(weights[i])), ", the architecture needs ", shape_str(specs[i].shape));
    TFE_ENFORCE(!arch.layers.empty(), config_error, "the model has no layers");
    detail::graph_converter c(source, arch.input_shape);
    std::size_t next = 0;
    shape_t in = arch.input_shape;
    for (std::size_t i = 0; i < arch.layers.size(); ++i) {
      const std::size_t n = weight_specs(arch.layers[i], in).size();
      std::vector<xt::xarray<double>> w(weights.begin() + std::ptrdiff_t(next),
                                        weights.begin() + std::ptrdiff_t(next + n));
      c.add(arch.layers[i], shapes[i], w);
      next += n;
      in = shapes[i];
    }
    return c.finish();
  } catch (const shape_error& e) {
    throw shape_error(source + ": " + e.what());
  } catch (const config_error& e) {
    throw config_error(source + ": " + e.what());
  }
}

}  // namespace tfe::keras
