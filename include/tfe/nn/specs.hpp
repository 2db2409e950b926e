// tfe/nn/specs.hpp: the protocol-independent description of a Keras-like model: layer configurations,
// the architecture (input shape + layers), shape inference, weight layouts, JSON and initial weights.
//
// A layer is first a plain configuration value, written like its Keras counterpart with C++20
// designated initializers:
//
//   tfe::keras::architecture arch{{784}, {tfe::keras::Dense{.units = 128, .activation = "relu"},
//                                         tfe::keras::Dense{.units = 10}}};
//
// Nothing here knows about sessions or protocols: the same architecture is written to a model file,
// sent to every player (shapes are public) and turned into runnable layers by keras::Sequential<P>
// (nn/sequential.hpp). Shapes exclude the batch dimension, as in Keras. Errors: a layer that does not
// fit its input throws tfe::shape_error naming the layer; a bad option throws tfe::config_error.
// Sizes are capped (nn/spec_limits.hpp: layers, axes, elements per tensor), checked without overflow.
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/json_integer.hpp"
#include "tfe/detail/shape_limits.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/nn/spec_limits.hpp"
#include "tfe/ring/tensor_ops.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace tfe::keras {

// ---- layer configurations (Keras names and defaults) ----------------------------------------------

/// y = activation(x · kernel + bias); x of shape (features,).
struct Dense {
  std::size_t units = 0;
  std::string activation = "linear";
  bool use_bias = true;
  std::string name = "";
};

/// NHWC convolution with an HWIO kernel; padding "valid" or "same" (TensorFlow's rules).
struct Conv2D {
  std::size_t filters = 0;
  std::array<std::size_t, 2> kernel_size{3, 3};
  std::array<std::size_t, 2> strides{1, 1};
  std::string padding = "valid";
  std::string activation = "linear";
  bool use_bias = true;
  std::string name = "";
};

/// Strides {0, 0} mean "the pool size", as Keras's strides=None.
struct MaxPooling2D {
  std::array<std::size_t, 2> pool_size{2, 2};
  std::array<std::size_t, 2> strides{0, 0};
  std::string padding = "valid";
  std::string name = "";
};

struct AveragePooling2D {
  std::array<std::size_t, 2> pool_size{2, 2};
  std::array<std::size_t, 2> strides{0, 0};
  std::string padding = "valid";
  std::string name = "";
};

/// (H, W, C) -> (C): the mean over every position.
struct GlobalAveragePooling2D {
  std::string name = "";
};

struct Flatten {
  std::string name = "";
};

/// One entry may be -1 (inferred).
struct Reshape {
  std::vector<long> target_shape;
  std::string name = "";
};

/// "linear", "relu", "sigmoid" or "softmax" (over the last axis).
struct Activation {
  std::string activation;
  std::string name = "";
};

struct ReLU {
  std::string name = "";
};

/// Inference-mode batch normalization over the last axis with the stored moving statistics:
/// y = gamma · (x − moving_mean) / sqrt(moving_variance + epsilon) + beta. The model owner folds it
/// into a private per-channel scale and offset before sharing (no square root under MPC); the layer
/// is not trained by fit (gradients pass through it).
struct BatchNormalization {
  double epsilon = 1e-3;
  std::string name = "";
};

using layer_spec = std::variant<Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape,
                                Activation, ReLU, BatchNormalization>;

/// A Sequential model's architecture: the input shape (without the batch dimension) and the layers.
struct architecture {
  shape_t input_shape;
  std::vector<layer_spec> layers;
};

/// One weight tensor as stored in weight and model files.
struct weight_spec {
  std::string name;  ///< "<layer name>/<weight>", e.g. "dense_1/kernel"
  shape_t shape;
};

namespace detail {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

inline const std::vector<std::string>& known_activations() {
  static const std::vector<std::string> a{"linear", "relu", "sigmoid", "softmax"};
  return a;
}

inline void check_activation(const std::string& act, const std::string& layer) {
  for (const auto& a : known_activations())
    if (a == act) return;
  throw config_error(tfe::detail::concat("layer '", layer, "': unknown activation '", act,
                                         "' (known: linear, relu, sigmoid, softmax)"));
}

inline ring_ops::padding parse_padding(const std::string& p, const std::string& layer) {
  if (p == "valid") return ring_ops::padding::valid;
  if (p == "same") return ring_ops::padding::same;
  throw config_error(tfe::detail::concat("layer '", layer, "': unknown padding '", p, "' (use \"valid\" or \"same\")"));
}

}  // namespace detail

/// The Keras class name of a layer ("Dense", "Conv2D", ...).
inline std::string type_name(const layer_spec& l) {
  return std::visit(
      detail::overloaded{[](const Dense&) { return "Dense"; }, [](const Conv2D&) { return "Conv2D"; },
                         [](const MaxPooling2D&) { return "MaxPooling2D"; },
                         [](const AveragePooling2D&) { return "AveragePooling2D"; },
                         [](const GlobalAveragePooling2D&) { return "GlobalAveragePooling2D"; },
                         [](const Flatten&) { return "Flatten"; }, [](const Reshape&) { return "Reshape"; },
                         [](const Activation&) { return "Activation"; }, [](const ReLU&) { return "ReLU"; },
                         [](const BatchNormalization&) { return "BatchNormalization"; }},
      l);
}

inline const std::string& layer_name(const layer_spec& l) {
  return std::visit([](const auto& c) -> const std::string& { return c.name; }, l);
}

/// The activation a layer applies after its linear part ("linear" for none).
inline std::string activation_of(const layer_spec& l) {
  return std::visit(
      detail::overloaded{[](const Dense& d) { return d.activation; }, [](const Conv2D& c) { return c.activation; },
                         [](const Activation& a) { return a.activation; },
                         [](const ReLU&) { return std::string("relu"); },
                         [](const auto&) { return std::string("linear"); }},
      l);
}

/// Keras's default names: the class name in snake_case, then _1, _2, ... for repeats ("dense",
/// "dense_1", "conv2d", "max_pooling2d", ...). Names given explicitly are kept; duplicates throw.
inline architecture resolve_names(architecture arch) {
  std::map<std::string, int> seen;
  std::map<std::string, bool> used;
  for (auto& l : arch.layers) {
    std::string& n = std::visit([](auto& c) -> std::string& { return c.name; }, l);
    if (n.empty()) {
      std::string t = type_name(l), base;
      for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (std::isupper(static_cast<unsigned char>(c))) {
          const bool prev_lower = i > 0 && (std::islower(static_cast<unsigned char>(t[i - 1])) ||
                                            std::isdigit(static_cast<unsigned char>(t[i - 1])));
          const bool next_lower = i + 1 < t.size() && std::islower(static_cast<unsigned char>(t[i + 1]));
          if (i > 0 && (prev_lower || next_lower) && !std::isdigit(static_cast<unsigned char>(t[i - 1]))) base += '_';
          base += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
          base += c;
        }
      }
      do {
        const int k = seen[base]++;
        n = k == 0 ? base : base + "_" + std::to_string(k);
      } while (used.count(n));
    }
    TFE_ENFORCE(!used.count(n), config_error, "two layers are named '", n, "'");
    used[n] = true;
  }
  return arch;
}

namespace detail {

inline std::string where(const layer_spec& l) { return "layer '" + layer_name(l) + "' (" + type_name(l) + ")"; }

inline void need_image(const layer_spec& l, const shape_t& in) {
  TFE_ENFORCE(in.size() == 3, shape_error, where(l), " needs an image input of shape (height, width, channels), got ",
              shape_str(in));
}

inline shape_t pool_shape(const layer_spec& l, const shape_t& in, std::array<std::size_t, 2> pool,
                          std::array<std::size_t, 2> strides, const std::string& pad) {
  need_image(l, in);
  if (strides[0] == 0 || strides[1] == 0) strides = pool;
  (void)checked_shape_size(shape_t{pool[0], pool[1]}, where(l), "pool_size", max_model_elements);
  (void)checked_shape_size(shape_t{strides[0], strides[1]}, where(l), "strides", max_model_elements);
  try {
    auto g = ring_ops::conv2d_geometry(in[0], in[1], pool[0], pool[1], strides[0], strides[1],
                                       parse_padding(pad, layer_name(l)));
    return {g.out_h, g.out_w, in[2]};
  } catch (const shape_error& e) {
    throw shape_error(where(l) + ": " + e.what());
  }
}

}  // namespace detail

/// The output shape of a layer for an input of shape `in` (both without the batch dimension);
/// checks the layer's options too.
inline shape_t output_shape(const layer_spec& l, const shape_t& in) {
  using detail::where;
  for (auto d : in)
    TFE_ENFORCE(d > 0, shape_error, where(l), ": input shape ", shape_str(in), " has an empty dimension");
  (void)checked_shape_size(in, where(l), "input shape", max_model_elements);
  detail::check_activation(activation_of(l), layer_name(l));
  shape_t out = std::visit(
      detail::overloaded{
          [&](const Dense& d) -> shape_t {
            TFE_ENFORCE(d.units > 0, config_error, where(l), ": units must be positive");
            TFE_ENFORCE(in.size() == 1, shape_error, where(l), " needs a flat input of shape (features,), got ",
                        shape_str(in), ": add a Flatten layer before it");
            (void)checked_shape_size(shape_t{in[0], d.units}, where(l), "kernel shape", max_model_elements);
            return {d.units};
          },
          [&](const Conv2D& c) -> shape_t {
            TFE_ENFORCE(c.filters > 0, config_error, where(l), ": filters must be positive");
            detail::need_image(l, in);
            (void)checked_shape_size(shape_t{c.kernel_size[0], c.kernel_size[1], in[2], c.filters}, where(l),
                                     "kernel shape", max_model_elements);
            (void)checked_shape_size(shape_t{c.strides[0], c.strides[1]}, where(l), "strides", max_model_elements);
            try {
              auto g = ring_ops::conv2d_geometry(in[0], in[1], c.kernel_size[0], c.kernel_size[1], c.strides[0],
                                                 c.strides[1], detail::parse_padding(c.padding, c.name));
              return {g.out_h, g.out_w, c.filters};
            } catch (const shape_error& e) {
              throw shape_error(where(l) + " with input shape " + shape_str(in) + ": " + e.what());
            }
          },
          [&](const MaxPooling2D& p) { return detail::pool_shape(l, in, p.pool_size, p.strides, p.padding); },
          [&](const AveragePooling2D& p) { return detail::pool_shape(l, in, p.pool_size, p.strides, p.padding); },
          [&](const GlobalAveragePooling2D&) -> shape_t {
            detail::need_image(l, in);
            return {in[2]};
          },
          [&](const Flatten&) -> shape_t { return {shape_size(in)}; },
          [&](const Reshape& r) -> shape_t {
            TFE_ENFORCE(!r.target_shape.empty(), config_error, where(l), ": empty target_shape");
            TFE_ENFORCE(r.target_shape.size() <= max_model_axes, shape_error, where(l), ": target_shape has ",
                        r.target_shape.size(), " axes, above the limit of ", max_model_axes);
            shape_t out(r.target_shape.size()), known_dims;
            int infer = -1;
            for (std::size_t i = 0; i < out.size(); ++i) {
              if (r.target_shape[i] == -1) {
                TFE_ENFORCE(infer < 0, shape_error, where(l), ": more than one -1 in target_shape");
                infer = static_cast<int>(i);
              } else {
                TFE_ENFORCE(r.target_shape[i] > 0, shape_error, where(l), ": bad dimension ", r.target_shape[i]);
                out[i] = static_cast<std::size_t>(r.target_shape[i]);
                known_dims.push_back(out[i]);
              }
            }
            // Checked: a product that wraps around to 0 must not reach the division below.
            const std::size_t known = checked_shape_size(known_dims, where(l), "target_shape", max_model_elements);
            if (infer >= 0) {
              TFE_ENFORCE(shape_size(in) % known == 0, shape_error, where(l), ": cannot reshape ", shape_str(in),
                          " with a -1 dimension");
              out[static_cast<std::size_t>(infer)] = shape_size(in) / known;
            }
            TFE_ENFORCE(shape_size(out) == shape_size(in), shape_error, where(l), ": cannot reshape ", shape_str(in),
                        " (", shape_size(in), " elements) into ", shape_str(out));
            return out;
          },
          [&](const Activation& a) -> shape_t {
            TFE_ENFORCE(!a.activation.empty(), config_error, where(l), ": no activation given");
            return in;
          },
          [&](const ReLU&) { return in; },
          [&](const BatchNormalization& b) -> shape_t {
            TFE_ENFORCE(b.epsilon > 0, config_error, where(l), ": epsilon must be positive");
            TFE_ENFORCE(!in.empty(), shape_error, where(l), " needs at least one axis");
            return in;
          }},
      l);
  (void)checked_shape_size(out, where(l), "output shape", max_model_elements);
  return out;
}

/// Output shapes of every layer, in order (checks the whole architecture).
inline std::vector<shape_t> infer_shapes(const architecture& unnamed) {
  TFE_ENFORCE(!unnamed.input_shape.empty(), shape_error, "the model has no input shape");
  const architecture arch = resolve_names(unnamed);
  std::vector<shape_t> out;
  shape_t cur = arch.input_shape;
  for (const auto& l : arch.layers) {
    cur = output_shape(l, cur);
    out.push_back(cur);
  }
  return out;
}

/// The weights of a layer as stored in files (Keras's names and layouts: Dense kernel (in, units),
/// Conv2D kernel HWIO, BatchNormalization gamma, beta, moving_mean, moving_variance).
inline std::vector<weight_spec> weight_specs(const layer_spec& l, const shape_t& in) {
  const std::string& n = layer_name(l);
  return std::visit(
      detail::overloaded{
          [&](const Dense& d) {
            std::vector<weight_spec> w{{n + "/kernel", {in.at(0), d.units}}};
            if (d.use_bias) w.push_back({n + "/bias", {d.units}});
            return w;
          },
          [&](const Conv2D& c) {
            std::vector<weight_spec> w{{n + "/kernel", {c.kernel_size[0], c.kernel_size[1], in.at(2), c.filters}}};
            if (c.use_bias) w.push_back({n + "/bias", {c.filters}});
            return w;
          },
          [&](const BatchNormalization&) {
            const shape_t s{in.back()};
            return std::vector<weight_spec>{
                {n + "/gamma", s}, {n + "/beta", s}, {n + "/moving_mean", s}, {n + "/moving_variance", s}};
          },
          [&](const auto&) { return std::vector<weight_spec>{}; }},
      l);
}

/// Every weight of the model in order (layers named as resolve_names does).
inline std::vector<weight_spec> weight_specs(const architecture& unnamed) {
  const architecture arch = resolve_names(unnamed);
  std::vector<weight_spec> out;
  shape_t cur = arch.input_shape;
  for (const auto& l : arch.layers) {
    for (auto& w : weight_specs(l, cur)) out.push_back(std::move(w));
    cur = output_shape(l, cur);
  }
  return out;
}

inline std::size_t count_params(const architecture& arch) {
  std::size_t n = 0;
  for (const auto& w : weight_specs(arch)) n += shape_size(w.shape);
  return n;
}

// ---- initial weights ------------------------------------------------------------------------------

/// The model owner's deterministic generator for initial weights (splitmix64; plaintext, local work,
/// NOT protocol randomness).
class init_rng {
 public:
  explicit init_rng(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t m_state;
};

/// Keras's defaults: kernels Glorot-uniform (limit sqrt(6 / (fan_in + fan_out)), fans of a conv kernel
/// counted with its receptive field), biases and betas zero, gammas and variances one. Same seed, same
/// weights, whatever the protocol.
inline std::vector<xt::xarray<double>> initial_weights(const architecture& arch, std::uint64_t seed) {
  init_rng rng(seed);
  std::vector<xt::xarray<double>> out;
  for (const auto& w : weight_specs(arch)) {
    const std::string kind = w.name.substr(w.name.rfind('/') + 1);
    xt::xarray<double> a = xt::zeros<double>(w.shape);
    if (kind == "kernel") {
      std::size_t receptive = 1;
      for (std::size_t d = 0; d + 2 < w.shape.size(); ++d) receptive *= w.shape[d];
      const double fan_in = static_cast<double>(receptive * w.shape[w.shape.size() - 2]);
      const double fan_out = static_cast<double>(receptive * w.shape.back());
      const double limit = std::sqrt(6.0 / (fan_in + fan_out));
      for (auto& v : a) v = (2.0 * rng.uniform() - 1.0) * limit;
    } else if (kind == "gamma" || kind == "moving_variance") {
      a.fill(1.0);
    }
    out.push_back(std::move(a));
  }
  return out;
}

// ---- JSON -----------------------------------------------------------------------------------------

inline nlohmann::json to_json(const layer_spec& l) {
  using nlohmann::json;
  json c = std::visit(
      detail::overloaded{[](const Dense& d) {
                           return json{{"units", d.units}, {"activation", d.activation}, {"use_bias", d.use_bias}};
                         },
                         [](const Conv2D& c) {
                           return json{{"filters", c.filters},       {"kernel_size", c.kernel_size},
                                       {"strides", c.strides},       {"padding", c.padding},
                                       {"activation", c.activation}, {"use_bias", c.use_bias}};
                         },
                         [](const MaxPooling2D& p) {
                           return json{{"pool_size", p.pool_size}, {"strides", p.strides}, {"padding", p.padding}};
                         },
                         [](const AveragePooling2D& p) {
                           return json{{"pool_size", p.pool_size}, {"strides", p.strides}, {"padding", p.padding}};
                         },
                         [](const Reshape& r) {
                           return json{{"target_shape", r.target_shape}};
                         },
                         [](const Activation& a) {
                           return json{{"activation", a.activation}};
                         },
                         [](const BatchNormalization& b) {
                           return json{{"epsilon", b.epsilon}};
                         },
                         [](const auto&) { return json::object(); }},
      l);
  c["name"] = layer_name(l);
  return json{{"class_name", type_name(l)}, {"config", c}};
}

inline nlohmann::json to_json(const architecture& arch) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : arch.layers) layers.push_back(to_json(l));
  return {{"format", "tfe.keras.Sequential"}, {"version", 1}, {"input_shape", arch.input_shape}, {"layers", layers}};
}

namespace detail {

template <class T>
void get_opt(const nlohmann::json& c, const char* key, T& out) {
  if (c.contains(key)) out = c.at(key).get<T>();
}

}  // namespace detail

/// Parses one layer; `where` (a file name) prefixes errors, which are config_error.
inline layer_spec layer_from_json(const nlohmann::json& j, const std::string& where) {
  try {
    const std::string cls = j.at("class_name").get<std::string>();
    const nlohmann::json c = j.contains("config") ? j.at("config") : nlohmann::json::object();
    using detail::get_opt;
    // Size options: non-negative integers within max_model_elements, else config_error naming the field.
    const std::string at = where + ": layer '" + c.value("name", std::string()) + "' (" + cls + ")";
    auto named = [&](auto spec) {
      get_opt(c, "name", spec.name);
      return layer_spec(std::move(spec));
    };
    if (cls == "Dense") {
      Dense d;
      d.units = detail::json_size(c.at("units"), at, "units");
      get_opt(c, "activation", d.activation);
      get_opt(c, "use_bias", d.use_bias);
      return named(d);
    }
    if (cls == "Conv2D") {
      Conv2D k;
      k.filters = detail::json_size(c.at("filters"), at, "filters");
      detail::json_pair_opt(c, "kernel_size", k.kernel_size, at);
      detail::json_pair_opt(c, "strides", k.strides, at);
      get_opt(c, "padding", k.padding);
      get_opt(c, "activation", k.activation);
      get_opt(c, "use_bias", k.use_bias);
      return named(k);
    }
    if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
      std::array<std::size_t, 2> pool{2, 2}, strides{0, 0};
      std::string pad = "valid";
      detail::json_pair_opt(c, "pool_size", pool, at);
      detail::json_pair_opt(c, "strides", strides, at);
      get_opt(c, "padding", pad);
      if (cls == "MaxPooling2D") return named(MaxPooling2D{pool, strides, pad, {}});
      return named(AveragePooling2D{pool, strides, pad, {}});
    }
    if (cls == "GlobalAveragePooling2D") return named(GlobalAveragePooling2D{});
    if (cls == "Flatten") return named(Flatten{});
    if (cls == "Reshape") {
      const auto& target = c.at("target_shape");
      TFE_ENFORCE(target.is_array() && target.size() <= max_model_axes, config_error, at,
                  ": field 'target_shape' must be a list of at most ", max_model_axes, " integers, got ",
                  target.dump());
      Reshape r;
      for (std::size_t i = 0; i < target.size(); ++i)
        r.target_shape.push_back(
            tfe::detail::json_integer<long>(target[i], at, "target_shape[" + std::to_string(i) + "]"));
      return named(std::move(r));
    }
    if (cls == "Activation") return named(Activation{c.at("activation").get<std::string>(), {}});
    if (cls == "ReLU") return named(ReLU{});
    if (cls == "BatchNormalization") {
      BatchNormalization b;
      get_opt(c, "epsilon", b.epsilon);
      return named(b);
    }
    throw config_error(where + ": unknown layer class_name '" + cls + "'");
  } catch (const nlohmann::json::exception& e) {
    throw config_error(where + ": malformed layer " + j.dump() + " (" + e.what() + ")");
  }
}

/// Parses an architecture (the format written by to_json); errors are config_error naming `where`.
inline architecture architecture_from_json(const nlohmann::json& j, const std::string& where) {
  try {
    TFE_ENFORCE(j.is_object() && j.value("format", "") == "tfe.keras.Sequential", config_error, where,
                ": not a tfe.keras.Sequential architecture");
    TFE_ENFORCE(j.contains("version"), config_error, where, ": no architecture 'version'");
    const auto version = tfe::detail::json_integer<std::int64_t>(j.at("version"), where, "version");
    TFE_ENFORCE(version == 1, config_error, where, ": unsupported architecture version ", version);
    architecture a;
    const auto& shape = j.at("input_shape");
    TFE_ENFORCE(shape.is_array() && shape.size() <= max_model_axes, config_error, where,
                ": field 'input_shape' must be a list of at most ", max_model_axes, " dimensions, got ", shape.dump());
    for (std::size_t i = 0; i < shape.size(); ++i)
      a.input_shape.push_back(detail::json_size(shape[i], where, "input_shape[" + std::to_string(i) + "]"));
    TFE_ENFORCE(shape_size_within(a.input_shape, max_model_elements).has_value(), config_error, where,
                ": field 'input_shape' ", shape_str(a.input_shape), " has more than ", max_model_elements, " elements");
    const auto& layers = j.at("layers");
    TFE_ENFORCE(layers.is_array() && layers.size() <= max_model_layers, config_error, where,
                ": field 'layers' must be a list of at most ", max_model_layers, " layers, got ",
                layers.is_array() ? std::to_string(layers.size()) + " layers" : layers.type_name());
    for (const auto& l : layers) a.layers.push_back(layer_from_json(l, where));
    return a;
  } catch (const nlohmann::json::exception& e) {
    throw config_error(where + ": malformed architecture (" + e.what() + ")");
  }
}

}  // namespace tfe::keras
