// tfe_predict: private predictions with an ONNX model or a tfe model file, for people who don't write C++.
//
//   tfe_predict --model M.onnx --input X.npy --output Y.npy [--labels L.npy] [--protocol aby3]
//               [--batch N] [--hosts F --player NAME]
//
// The model owner reads M.onnx, or a tfe model file M.npz (nn/model_io.hpp, converted by nn/to_graph.hpp;
// its input is in Keras's layout, NHWC), and the graph becomes public, the weights its private inputs; the
// client reads X.npy (float32 or float64, shaped as the graph's input: NCHW for an NCHW model, the batch on
// axis 0), secret-shares it, and receives the outputs, which it writes to Y.npy (float32; a graph with
// several outputs also writes Y_1.npy, Y_2.npy, ...). With --labels (integer class labels) it prints the
// accuracy of the argmax of the first output. Every player runs in this process unless --hosts and
// --player say otherwise (scripts/launch_local.sh -- tfe_predict ARGS runs them as processes). It
// prints the time and every player's bytes and rounds, and a progress line per batch on long runs.
#include "graph_runner.hpp"

#include "tfe/io/npy.hpp"
#include "tfe/onnx/model_file.hpp"
#include "tfe/protocol/registry.hpp"
#include "tfe/runtime/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>

namespace {

struct options {
  std::string model, output, labels;
  std::vector<std::string> inputs;
  std::string protocol = "aby3";
  std::size_t batch = 0;
  bool quiet = false;
  tfe::launch_flags launch;
};

/// The inputs, each a float32/float64 .npy (checked here, at the client, naming the file).
std::vector<xt::xarray<double>> load_inputs(const std::vector<std::string>& paths) {
  std::vector<xt::xarray<double>> out;
  for (const auto& p : paths) {
    const std::string dtype = tfe::io::npy_dtype_of(p);
    if (dtype != "<f4" && dtype != "<f8" && dtype != "|f4" && dtype != "=f4" && dtype != "=f8")
      throw tfe::file_error(p, "holds dtype '" + dtype + "'; model inputs must be float32 or float64");
    out.push_back(tfe::io::load_npy(p));
  }
  return out;
}

std::string megabytes(std::uint64_t b) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << static_cast<double>(b) / 1e6 << " MB";
  return os.str();
}

std::string output_path(const std::string& first, std::size_t k) {
  if (k == 0) return first;
  const auto dot = first.rfind(".npy");
  const std::string stem = dot == std::string::npos ? first : first.substr(0, dot);
  return stem + "_" + std::to_string(k) + ".npy";
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    options o;
    CLI::App app{"tfe_predict: predictions of an ONNX model or a tfe model file on secret-shared inputs"};
    app.add_option("--model", o.model,
                   "the model: an .onnx file or a tfe model file (.npz); read by the model owner only")
        ->required();
    app.add_option("--input", o.inputs, "input .npy file(s), one per graph input, float32/float64 (client)")
        ->required();
    app.add_option("--output", o.output, "where the client writes the first output (.npy, float32)");
    app.add_option("--labels", o.labels, "integer labels (.npy): print the accuracy of argmax(output 0)");
    app.add_option("--protocol", o.protocol, tfe::protocol_names_str() + " (default aby3)");
    app.add_option("--batch", o.batch, "examples per batch (default: all at once)");
    app.add_flag("--quiet", o.quiet, "no progress line");
    o.launch.add_to(app);
    tfe::parse_command_line(app, o.launch, argc, argv);

    tfe::programs::graph_request rq;
    rq.protocol = o.protocol;
    rq.batch = o.batch;
    rq.launch = o.launch;
    rq.load_model = [&] { return tfe::graph::read_model_file(o.model); };
    rq.load_inputs = [&] { return load_inputs(o.inputs); };
    const auto start = std::chrono::steady_clock::now();
    if (!o.quiet && o.batch > 0)
      rq.progress = [&](std::size_t done, std::size_t all) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cerr << "\r  " << done << "/" << all << " examples, " << std::fixed << std::setprecision(1) << s << " s"
                  << (done == all ? "\n" : "") << std::flush;
      };
    auto r = tfe::programs::run_graph(rq);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::cout << "tfe_predict: " << o.model << " under " << o.protocol << ", " << std::fixed << std::setprecision(2)
              << seconds << " s\n";
    if (!r.outputs.empty()) {
      for (std::size_t k = 0; k < r.outputs.size(); ++k) {
        std::cout << "  output " << k << ": shape " << tfe::shape_str(tfe::shape_of(r.outputs[k]));
        if (!o.output.empty()) {
          tfe::io::save_npy(output_path(o.output, k), r.outputs[k]);
          std::cout << " -> " << output_path(o.output, k);
        }
        std::cout << "\n";
      }
      if (!o.labels.empty()) {
        const auto labels = tfe::io::load_npy(o.labels);
        const auto& y = r.outputs[0];
        TFE_ENFORCE(y.dimension() == 2 && labels.size() == y.shape()[0], tfe::shape_error, o.labels, ": ",
                    labels.size(), " labels for outputs of shape ", tfe::shape_str(tfe::shape_of(y)));
        auto pred = xt::argmax(y, 1);
        std::size_t right = 0;
        for (std::size_t i = 0; i < labels.size(); ++i) right += static_cast<double>(pred(i)) == labels.flat(i);
        std::cout << "  accuracy: " << std::setprecision(4) << static_cast<double>(right) / labels.size() << " ("
                  << right << "/" << labels.size() << ")\n";
      }
    }
    std::cout << "  " << std::left << std::setw(18) << "player" << std::setw(14) << "bytes sent" << std::setw(16)
              << "bytes received"
              << "rounds\n";
    for (std::size_t p = 0; p < r.players.size(); ++p) {
      if (!r.stats[p]) continue;
      const auto& t = r.stats[p]->total;
      std::cout << "  " << std::setw(18) << r.players[p] << std::setw(14) << megabytes(t.bytes_sent) << std::setw(16)
                << megabytes(t.bytes_received) << t.rounds << "\n";
    }
    double simulated = 0;
    for (const auto& t : r.simulated_seconds)
      if (t) simulated = std::max(simulated, *t);
    if (simulated > 0)
      std::cout << "  simulated network time (the slowest player's): " << std::setprecision(3) << simulated << " s\n";
    return 0;
  });
}
