// tfe/nn/model_io.hpp: weight files, model files, and sharing a model from its owner.
//
// Weight file (save_weights_file / load_weights_file): an .npz archive (numpy.load reads it) with one
// entry "<layer>/<weight>.npy" per weight, in model order, Keras's names and layouts (Dense kernel
// (inputs, units), Conv2D kernel HWIO, biases, BatchNormalization gamma/beta/moving_mean/
// moving_variance), float32 by default.
//
// Model file (save_model_file / load_model_file): the same archive plus an entry "architecture.json":
//   {"format": "tfe.keras.Sequential", "version": 1, "input_shape": [28, 28, 1],
//    "layers": [{"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 8, ...}}, ...]}
// (to_json in nn/specs.hpp writes it; class names and config keys are Keras's.)
//
// Reading checks everything and names the file: a file that is not a zip archive, lacks the
// architecture, has malformed JSON, a missing or unexpected entry -> tfe::file_error; a weight whose
// shape differs from what the architecture needs -> tfe::shape_error; an architecture whose layers do
// not fit together -> tfe::shape_error / tfe::config_error, each prefixed with the path.
// Sizes are capped (nn/spec_limits.hpp, docs/security.md): at most max_model_layers (4096) layers,
// max_model_axes (8) input axes, max_model_elements (2^28) elements per tensor and size option; the
// .npz reader caps declared sizes (io/npy.hpp). A JSON architecture from a peer gets the same checks.
//
// In a session, the owner of a model shares it: the architecture is public (every player needs the
// shapes to run the same program; the owner sends the JSON to everybody), the weights are private
// inputs of the owner:
//   auto model = tfe::keras::load_model(s, "model-owner", "models/fashion_mnist_cnn.npz");
// (the file is read at the model owner only).
#pragma once

#include "tfe/io/npy.hpp"
#include "tfe/nn/sequential.hpp"
#include "tfe/runtime/public_json.hpp"

#include <set>

namespace tfe::keras {

/// A model in plaintext, as its owner holds it: the architecture and the weights in file layout.
struct saved_model {
  architecture arch;
  std::vector<xt::xarray<double>> weights;
};

inline constexpr const char* architecture_entry = "architecture.json";

namespace detail {

/// Re-throws an architecture problem with the file's path in front, keeping the exception type.
template <class F>
auto with_path(const std::string& path, F&& f) {
  try {
    return f();
  } catch (const shape_error& e) {
    throw shape_error(path + ": " + e.what());
  } catch (const config_error& e) {
    throw config_error(path + ": " + e.what());
  }
}

inline std::vector<xt::xarray<double>> weights_from_entries(const std::string& path, const architecture& arch,
                                                            const io::named_arrays& arrays) {
  const auto specs = weight_specs(arch);
  std::set<std::string> expected;
  for (const auto& w : specs) expected.insert(w.name);
  for (const auto& [name, a] : arrays)
    if (!expected.count(name))
      throw file_error(path, "unexpected entry '" + name + ".npy' (not a weight of this model)");
  std::vector<xt::xarray<double>> out;
  for (const auto& w : specs) {
    auto it = std::find_if(arrays.begin(), arrays.end(), [&](const auto& e) { return e.first == w.name; });
    if (it == arrays.end())
      throw file_error(
          path, "missing weight '" + w.name + "' (an entry " + w.name + ".npy of shape " + shape_str(w.shape) + ")");
    TFE_ENFORCE(shape_of(it->second) == w.shape, shape_error, path, ": weight '", w.name, "' has shape ",
                shape_str(shape_of(it->second)), " but the architecture needs ", shape_str(w.shape));
    out.push_back(it->second);
  }
  return out;
}

inline io::named_arrays named(const architecture& arch, const std::vector<xt::xarray<double>>& weights) {
  const auto specs = weight_specs(arch);
  TFE_ENFORCE(specs.size() == weights.size(), shape_error, weights.size(), " weight tensors for a model with ",
              specs.size());
  io::named_arrays out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    TFE_ENFORCE(shape_of(weights[i]) == specs[i].shape, shape_error, "weight '", specs[i].name, "' has shape ",
                shape_str(shape_of(weights[i])), " but the model needs ", shape_str(specs[i].shape));
    out.emplace_back(specs[i].name, weights[i]);
  }
  return out;
}

}  // namespace detail

// ---- plaintext files --------------------------------------------------------------------------------

inline void save_weights_file(const std::string& path, const architecture& arch,
                              const std::vector<xt::xarray<double>>& weights, io::npy_dtype dtype = io::npy_dtype::f4) {
  io::save_npz(path, detail::named(resolve_names(arch), weights), dtype);
}

/// The weights of `arch` from an .npz weight file (or a model file), checked against the architecture.
inline std::vector<xt::xarray<double>> load_weights_file(const std::string& path, const architecture& arch) {
  return detail::weights_from_entries(path, resolve_names(arch), io::load_npz(path));
}

inline void save_model_file(const std::string& path, const architecture& arch,
                            const std::vector<xt::xarray<double>>& weights, io::npy_dtype dtype = io::npy_dtype::f4) {
  const architecture a = resolve_names(arch);
  (void)infer_shapes(a);
  io::save_npz(path, detail::named(a, weights), dtype, true, {{architecture_entry, to_json(a).dump(1) + "\n"}});
}

/// The model file whose bytes are `bytes` (architecture and weights, checked); `path` names it in
/// errors. load_model_file reads the file and calls it.
inline saved_model load_model_bytes(const std::string& bytes, const std::string& path) {
  auto entries = io::read_zip_bytes(bytes, path);
  auto it = std::find_if(entries.begin(), entries.end(), [](const auto& e) { return e.name == architecture_entry; });
  if (it == entries.end())
    throw file_error(path, std::string("no ") + architecture_entry +
                               " entry: not a tfe model file (a weights-only "
                               ".npz is read with load_weights_file)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->data);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string(architecture_entry) + " is not valid JSON (" + e.what() + ")");
  }
  saved_model m;
  m.arch = detail::with_path(path, [&] {
    auto a = resolve_names(architecture_from_json(j, architecture_entry));
    (void)infer_shapes(a);
    return a;
  });
  io::named_arrays arrays;
  for (const auto& e : entries) {
    if (e.name == architecture_entry) continue;
    if (e.name.size() < 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0)
      throw file_error(path, "unexpected entry '" + e.name + "'");
    arrays.emplace_back(e.name.substr(0, e.name.size() - 4), io::from_npy(e.data, path + ":" + e.name));
  }
  m.weights = detail::weights_from_entries(path, m.arch, arrays);
  return m;
}

inline saved_model load_model_file(const std::string& path) {
  return load_model_bytes(io::read_file_bytes(path), path);
}

// ---- in a session -----------------------------------------------------------------------------------

/// `owner` provides a saved_model (provider runs there only): its architecture is sent to every
/// player (public), its weights are shared as the owner's private inputs.
template <class P, class F>
Sequential<P> share_model(session<P>& s, const std::string& owner, F&& provider) {
  std::optional<saved_model> m;
  const auto j = share_public_json(s, owner, "keras.architecture", "architecture", [&] {
    m.emplace(provider());
    return to_json(resolve_names(m->arch));
  });
  Sequential<P> model(s, architecture_from_json(j, "architecture from '" + owner + "'"));
  model.set_weights(owner, [&] { return std::move(m->weights); });
  return model;
}

/// The model file at `path`, read at `owner` only, shared as above.
template <class P>
Sequential<P> load_model(session<P>& s, const std::string& owner, const std::string& path) {
  return share_model(s, owner, [&] { return load_model_file(path); });
}

/// Reads a weight file at `owner` and shares the weights into `model` (same architecture).
template <class P>
void load_weights(Sequential<P>& model, const std::string& owner, const std::string& path) {
  model.set_weights(owner, [&] { return load_weights_file(path, model.arch()); });
}

/// Reveals the weights to `receiver` only, who writes the model file (architecture + weights).
template <class P>
void save_model(Sequential<P>& model, const std::string& receiver, const std::string& path) {
  model.get_weights(receiver,
                    [&](const std::vector<xt::xarray<double>>& w) { save_model_file(path, model.arch(), w); });
}

/// Reveals the weights to `receiver` only, who writes the weight file.
template <class P>
void save_weights(Sequential<P>& model, const std::string& receiver, const std::string& path) {
  model.get_weights(receiver,
                    [&](const std::vector<xt::xarray<double>>& w) { save_weights_file(path, model.arch(), w); });
}

}  // namespace tfe::keras
