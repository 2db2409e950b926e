// tfe_predict_lanes: tfe_predict with every party split into K lanes (docs/scaleout.md): private
// predictions of an ONNX model on a large batch, each party on K machines.
//
//   mpirun -np K tfe_predict_lanes --hosts H --player NAME --model M.onnx --input X.npy [--output Y.npy]
//                                  [--batch N] [--protocol aby3|pond] [--expect REF.npy --bound D]
//   bash scripts/launch_local.sh --lanes K -- build/programs/tfe_predict_lanes --model M.onnx --input X.npy
//
// The players are tfe_predict's (the protocol's, "model-owner", "client"), so a hosts file serves
// both. Lane i of every party is one MPC instance: the model owner shares the graph once, in lane 0's
// instance, and every party's lane 0 broadcasts it to its other lanes (tfe/scaleout/lanes_graph.hpp);
// lane i's client reads the inputs (every machine of the client's party reads the same files), shares
// rows ⌊n·i/K⌋ to ⌊n·(i+1)/K⌋ of them, receives their outputs, and the client's lanes gather them at
// its lane 0, which writes Y.npy (float32; more outputs: Y_1.npy, ...) and compares them with --expect.
// Every lane prints its bytes and rounds (model sharing, prediction) and its party-internal bytes.
#include "tfe/graph/compiled_kernels.hpp"  // the graph kernels: tfe_graph_kernels
#include "tfe/io/npy.hpp"
#include "tfe/onnx/model_file.hpp"
#include "tfe/runtime/cli.hpp"
#include "tfe/scaleout/lanes_graph.hpp"
#include "tfe/scaleout/lanes_launch.hpp"
#include "tfe/tfe.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

namespace {

struct options {
  std::string model, output, expect, protocol = "aby3";
  std::vector<std::string> inputs;
  std::size_t batch = 0;
  double bound = 1e-3;
  tfe::launch_flags launch;
};

std::string output_path(const std::string& first, std::size_t k) {
  if (k == 0) return first;
  const auto dot = first.rfind(".npy");
  return (dot == std::string::npos ? first : first.substr(0, dot)) + "_" + std::to_string(k) + ".npy";
}

/// The rows [lo, hi) of an array along axis 0 (a 0-d array stays whole).
xt::xarray<double> rows(const xt::xarray<double>& a, std::size_t lo, std::size_t hi) {
  if (a.dimension() == 0) return a;
  return xt::view(a, xt::range(lo, hi));
}

/// Arrays of equal trailing shape stacked along axis 0, in order.
xt::xarray<double> stack_rows(const std::vector<xt::xarray<double>>& parts) {
  if (parts.size() == 1) return parts[0];
  tfe::shape_t shape = tfe::shape_of(parts.at(0));
  shape[0] = 0;
  for (const auto& a : parts) shape[0] += a.shape()[0];
  xt::xarray<double> all = xt::xarray<double>::from_shape(shape);
  std::size_t at = 0;
  for (const auto& a : parts)
    at = static_cast<std::size_t>(std::copy(a.begin(), a.end(), all.data() + at) - all.data());
  return all;
}

template <class P>
void run(const options& o, tfe::scaleout::party_lanes& lanes) {
  auto players = P::default_players();
  players.push_back("model-owner");
  players.push_back("client");
  tfe::scaleout::run_lane<P>(o.launch, lanes, players, [&](tfe::session<P>& s) {
    std::optional<tfe::graph::model<P>> model;
    {
      auto scope = s.op_scope("lanes.model");
      model.emplace(tfe::scaleout::share_graph_once(lanes, s, "model-owner", [&] {
        auto m = tfe::graph::read_model_file(o.model);  // .onnx or a tfe model file, as tfe_predict
        tfe::graph::store_linear_weights_transposed(m);
        return m;
      }));
    }
    auto scope = s.op_scope("lanes.predict");
    // The client's lane: its slice of the rows, and their count, which it tells the lane's players
    // (public: the shapes of the shared batches show it anyway).
    std::vector<xt::xarray<double>> inputs;
    std::uint64_t n = 0;
    const std::size_t client = s.id_of("client");
    if (s.id() == client) {
      for (const auto& path : o.inputs) inputs.push_back(tfe::io::load_npy(path));
      TFE_ENFORCE(inputs.size() == model->spec().inputs.size(), tfe::shape_error, inputs.size(),
                  " input files for a graph with ", model->spec().inputs.size(), " inputs");
      const std::size_t all = inputs.empty() || inputs[0].dimension() == 0 ? 1 : inputs[0].shape()[0];
      const auto [lo, hi] = lanes.slice_of(all);
      for (auto& x : inputs) x = rows(x, lo, hi);
      n = hi - lo;
      std::vector<std::uint8_t> b(8);
      for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
      for (std::size_t p = 0; p < s.num_players(); ++p)
        if (p != client) s.net().send_bytes(p, b);
    } else {
      const auto b = s.net().recv_bytes(client);
      TFE_ENFORCE(b.size() == 8, tfe::protocol_error, "the row count from 'client' is malformed");
      for (int i = 0; i < 8; ++i) n |= std::uint64_t(b[i]) << (8 * i);
      TFE_ENFORCE(n <= (std::uint64_t(1) << 40), tfe::protocol_error, "row count ", n, " from 'client'");
    }
    const std::size_t step = o.batch == 0 ? std::max<std::size_t>(n, 1) : o.batch;
    std::vector<std::vector<xt::xarray<double>>> parts(model->spec().outputs.size());
    for (std::size_t lo = 0; lo < std::max<std::size_t>(n, 1); lo += step) {
      const std::size_t hi = std::min<std::size_t>(n, lo + step);
      std::vector<tfe::private_tensor<P>> xs;
      for (std::size_t i = 0; i < model->spec().inputs.size(); ++i)
        xs.push_back(s.define_private_input("client", [&] { return rows(inputs[i], lo, hi); }));
      auto ys = model->predict(xs);
      for (std::size_t k = 0; k < ys.size(); ++k)
        s.define_output(
            "client", [&](const xt::xarray<double>& v) { parts[k].push_back(v); }, ys[k]);
    }
    nlohmann::json j = {{"rows", n},
                        {"model", tfe::scaleout::phase_json(s.stats().tag("lanes.model"))},
                        {"predict", tfe::scaleout::phase_json(s.stats().tag("lanes.predict"))}};
    if (s.id() == client)
      for (std::size_t k = 0; k < parts.size(); ++k) {
        // This lane's batches in order, then every lane's rows at the client's lane 0.
        auto all = lanes.gather_rows(stack_rows(parts[k]), "output " + std::to_string(k));
        if (!all) continue;
        std::cout << "client: output " << k << ": shape " << tfe::shape_str(tfe::shape_of(*all)) << " over "
                  << lanes.lanes() << " lane(s)\n";
        if (!o.output.empty()) tfe::io::save_npy(output_path(o.output, k), *all);
        if (k == 0 && !o.expect.empty()) {
          const auto ref = tfe::io::load_npy(o.expect);
          TFE_ENFORCE(ref.shape() == all->shape(), tfe::shape_error, o.expect, " has shape ",
                      tfe::shape_str(tfe::shape_of(ref)), " but the outputs have ",
                      tfe::shape_str(tfe::shape_of(*all)));
          double diff = 0;
          for (std::size_t i = 0; i < ref.size(); ++i) diff = std::max(diff, std::abs(ref.flat(i) - all->flat(i)));
          std::cout << "client: largest difference from " << o.expect << ": " << diff << " (bound " << o.bound << ")\n";
          TFE_ENFORCE(diff <= o.bound, tfe::error, "the outputs differ from ", o.expect, " by ", diff, " (bound ",
                      o.bound, ")");
        }
      }
    tfe::scaleout::report_lane("", lanes, s.name(), std::move(j));
  });
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::scaleout::lane_main(argc, argv, [&](tfe::scaleout::party_lanes& lanes) {
    options o;
    CLI::App app{"tfe_predict_lanes: predictions of an ONNX model with K lanes per party (mpirun -np K)"};
    app.add_option("--model", o.model, "the .onnx file (read by the model owner's lane 0 only)")->required();
    app.add_option("--input", o.inputs, "input .npy file(s), one per graph input (read by the client's lanes)")
        ->required();
    app.add_option("--output", o.output, "where the client's lane 0 writes the first output (.npy, float32)");
    app.add_option("--protocol", o.protocol, "aby3 (default) or pond");
    app.add_option("--batch", o.batch, "examples per batch in each lane (default: the lane's slice at once)");
    app.add_option("--expect", o.expect, "outputs of another run (.npy) the client's lane 0 compares with");
    app.add_option("--bound", o.bound, "largest difference from --expect (default 1e-3)");
    o.launch.add_to(app);
    tfe::parse_command_line(app, o.launch, argc, argv);
    if (o.protocol == "aby3")
      run<tfe::aby3<tfe::ring64>>(o, lanes);
    else if (o.protocol == "pond")
      run<tfe::pond<tfe::ring64>>(o, lanes);
    else
      throw tfe::config_error("--protocol " + o.protocol + ": tfe_predict_lanes runs aby3 or pond (64-bit ring)");
  });
}
