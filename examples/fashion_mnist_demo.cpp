// The flagship demo: private prediction of Fashion-MNIST test images with a pre-trained model.
//
//   build/examples/fashion_mnist_demo [--protocol aby3|pond|securenn|...]
//                                     [--model mlp|cnn|resnet|vit|PATH.onnx]
//                                     [--images N] [--batch B] [--models DIR] [--small] [--check]
//
// --model PATH.onnx runs any ONNX model of Fashion-MNIST (e.g. models/onnx/fashion_mnist_cnn.onnx,
// exported from PyTorch) through the graph runner (programs/, built with tfe::onnx): images go in as
// NCHW (N, 1, 28, 28) or flattened (N, 784), as the graph's input asks. --model resnet and --model
// vit are the zoo's models/fashion_mnist_{resnet,vit}.onnx (models/README.md). When the model has
// PyTorch's logits next to it (NAME_torch_logits.npy, the first 1000 test images), the demo also
// prints how many encrypted predictions agree with PyTorch's.
//
// The model owner holds a model file from models/ (architecture + weights, trained by
// scripts/train_models.sh); the prediction client holds test images. The owner shares the model
// (architecture public, weights private), the client its images (private), the servers compute the
// logits on shares, and only the client receives them. Every player runs in this process on its own
// thread, or each in its own process with --hosts/--player (bash scripts/launch_local.sh -- PROGRAM).
// The client then runs the same program on the plain protocol (the plaintext reference, a trusted
// party computing in the clear with the same fixed point) and prints both accuracies, how many
// predictions agree, the time, and the bytes and rounds of every player it ran.
// --check exits with status 1 unless at least 98% of the predictions agree with plaintext.
#include "common.hpp"

#include <tfe/nn/nn.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>

// The ONNX path needs the graph runner of programs/ (linked when tfe::onnx is built).
#if __has_include("graph_runner.hpp")
#include "graph_runner.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/onnx/reader.hpp"
#define TFE_DEMO_HAS_ONNX 1
#endif

#ifndef TFE_SOURCE_DIR
#define TFE_SOURCE_DIR "."
#endif

namespace {

namespace keras = tfe::keras;

/// The protocol the demo uses unless --protocol says otherwise.
constexpr const char* default_protocol = "aby3";

/// The model owner: holds the model file, provides the model (read at this player only).
struct model_owner : keras::player<model_owner> {
  explicit model_owner(std::string path) : player("model-owner"), path(std::move(path)) {}
  keras::saved_model provide_model() const { return keras::load_model_file(path); }
  std::string path;
};

/// The prediction client: provides its images, receives the logits; nobody else sees either.
struct prediction_client : keras::player<prediction_client> {
  prediction_client() : player("prediction-client") {}
  xt::xarray<double> provide_input() const { return images; }
  void receive_output(const xt::xarray<double>& l) { logits = l; }
  xt::xarray<double> images, logits;
};

/// The program every player runs.
template <class P>
void private_prediction(tfe::session<P>& s, model_owner& owner, prediction_client& client, std::size_t batch) {
  auto model = keras::share_model(s, owner.player_name(), [&] { return owner.provide_model(); });
  auto x = client.private_input(s, &prediction_client::provide_input);
  auto logits = model.predict(x, batch);
  client.private_output(s, &prediction_client::receive_output, logits);
}

struct run_result {
  xt::xarray<double> logits;
  std::vector<std::string> players;
  std::vector<tfe::statistics> stats;
  double seconds = 0;
  bool here = true;  // the prediction client (who gets the logits) ran in this process
};

template <class P>
run_result run(const examples::flags& f, model_owner& owner, const xt::xarray<double>& images, std::size_t batch) {
  prediction_client client;
  client.images = images;
  run_result r;
  r.players = examples::players<P>({owner.player_name(), client.player_name()});
  const auto t0 = std::chrono::steady_clock::now();
  auto stats = examples::run<P>(f, r.players, [&](auto& s) {
    private_prediction(s, owner, client, batch);
    return s.stats();
  });
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& st : stats) r.stats.push_back(st.value_or(tfe::statistics{}));
  r.here = f.runs_here(client.player_name());
  r.logits = std::move(client.logits);
  return r;
}

double accuracy(const std::vector<int>& pred, const xt::xarray<std::uint8_t>& labels) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) ok += pred[i] == labels(i);
  return static_cast<double>(ok) / static_cast<double>(pred.size());
}

struct options {
  examples::flags f;
  std::string model = "cnn", models_dir = TFE_SOURCE_DIR "/models";
  std::size_t images = 0, batch = 100;
};

options parse(int argc, char** argv) {
  options o;
  o.f = examples::flags::parse(
      argc, argv,
      [&](CLI::App& app) {
        app.add_option("--model", o.model,
                       "mlp, cnn (default), resnet, vit (models/fashion_mnist_*.onnx) or the path of an .onnx model");
        app.add_option("--images", o.images, "test images to classify (default 1000, --small 32)");
        app.add_option("--batch", o.batch, "prediction batch size (default 100)")->check(CLI::PositiveNumber);
        app.add_option("--models", o.models_dir, "directory of the model files (default: the source tree's models/)");
      },
      default_protocol);
  if (o.images == 0) o.images = o.f.small ? 32 : 1000;
  if (o.model == "resnet" || o.model == "vit") o.model = o.models_dir + "/fashion_mnist_" + o.model + ".onnx";
  return o;
}

std::string megabytes(std::uint64_t b) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << static_cast<double>(b) / 1e6 << " MB";
  return os.str();
}

}  // namespace

bool is_onnx(const std::string& m) { return m.size() > 5 && m.compare(m.size() - 5, 5, ".onnx") == 0; }

#ifdef TFE_DEMO_HAS_ONNX
/// The demo with an ONNX model: the same players and report, through the graph runner.
int run_onnx(const options& o, const tfe::io::image_dataset& test) {
  const auto file = tfe::onnx::read_model(o.model);  // to shape the images; the owner reads it again
  TFE_ENFORCE(file.g.inputs.size() == 1, tfe::config_error, o.model, ": the demo needs a model with one input");
  const auto& dims = file.g.inputs[0].dims;
  xt::xarray<double> x =
      dims.size() == 4 && dims[1] == 1 ? xt::xarray<double>(xt::transpose(test.images, {0, 3, 1, 2})) : test.images;
  if (dims.size() == 2) x.reshape({test.images.shape()[0], std::size_t(784)});
  auto request = [&](const std::string& protocol, const tfe::launch_flags& launch) {
    tfe::programs::graph_request rq;
    rq.protocol = protocol;
    rq.batch = o.batch;
    rq.launch = launch;
    rq.load_model = [&] { return tfe::onnx::read_model(o.model); };
    rq.load_inputs = [&] { return std::vector<xt::xarray<double>>{x}; };
    return rq;
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto enc = tfe::programs::run_graph(request(o.f.protocol, o.f.launch));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "Fashion-MNIST private prediction: " << o.model << " (ONNX, opset " << file.g.opset << ", "
            << file.g.nodes.size() << " nodes), " << test.labels.size() << " test images in batches of " << o.batch
            << ", " << o.f.protocol << "\n";
  if (enc.outputs.empty()) {
    std::cout << std::fixed << std::setprecision(2) << "  done in " << seconds << " s (the logits go to the client)\n";
    return 0;
  }
  const bool wide = o.f.protocol.find("128") != std::string::npos;
  auto ref = tfe::programs::run_graph(request(wide ? "plain128" : "plain", {}));
  auto pe = examples::argmax_rows(enc.outputs[0]), pr = examples::argmax_rows(ref.outputs[0]);
  std::size_t agree = 0;
  for (std::size_t i = 0; i < pe.size(); ++i) agree += pe[i] == pr[i];
  std::cout << std::fixed << std::setprecision(4) << "  accuracy: encrypted " << accuracy(pe, test.labels)
            << ", plaintext " << accuracy(pr, test.labels) << "\n  " << agree << "/" << pe.size()
            << " predictions agree; largest logit difference " << std::setprecision(5)
            << examples::max_abs_diff(enc.outputs[0], ref.outputs[0]) << "\n"
            << std::setprecision(2) << "  time: " << seconds << " s encrypted\n";
  // The exporter's own predictions, when the model ships with them (models/*_torch_logits.npy).
  const std::string torch_path = o.model.substr(0, o.model.size() - 5) + "_torch_logits.npy";
  if (std::filesystem::exists(torch_path)) {
    const auto torch_logits = tfe::io::load_npy(torch_path);
    if (torch_logits.dimension() == 2 && torch_logits.shape()[0] >= pe.size()) {
      const xt::xarray<double> head = xt::view(torch_logits, xt::range(0, pe.size()), xt::all());
      auto pt = examples::argmax_rows(head);
      std::size_t same = 0;
      for (std::size_t i = 0; i < pe.size(); ++i) same += pe[i] == pt[i];
      std::cout << std::setprecision(5) << "  PyTorch (" << torch_path << "): " << same << "/" << pe.size()
                << " predictions agree; largest logit difference " << examples::max_abs_diff(enc.outputs[0], head)
                << "\n";
    }
  }
  for (std::size_t p = 0; p < enc.players.size(); ++p)
    if (enc.stats[p])
      std::cout << "  " << std::left << std::setw(20) << enc.players[p] << std::setw(16)
                << megabytes(enc.stats[p]->total.bytes_sent) << std::setw(16)
                << megabytes(enc.stats[p]->total.bytes_received) << enc.stats[p]->total.rounds << " rounds\n";
  if (o.f.check && agree * 100 < pe.size() * 98) {
    std::cerr << "FAILED: only " << agree << "/" << pe.size() << " predictions agree with plaintext\n";
    return 1;
  }
  return 0;
}
#endif

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    const options o = parse(argc, argv);
    if (is_onnx(o.model)) {
#ifdef TFE_DEMO_HAS_ONNX
      return run_onnx(o, tfe::io::load_fashion_mnist("test", o.images));
#else
      throw tfe::config_error("--model " + o.model + ": this build has no ONNX support (install libonnx-dev)");
#endif
    }
    TFE_ENFORCE(o.model == "mlp" || o.model == "cnn", tfe::config_error,
                "--model must be mlp, cnn or an .onnx path, got '", o.model, "'");
    const std::string path = o.models_dir + "/fashion_mnist_" + o.model + ".npz";
    auto test = tfe::io::load_fashion_mnist("test", o.images);
    const auto file = keras::load_model_file(path);  // only to print the summary; the owner reads it again
    model_owner owner(path);
    int rc = 0;
    examples::with_protocol(o.f.protocol, [&]<class P>() {
      auto enc = run<P>(o.f, owner, test.images, o.batch);
      std::cout << "Fashion-MNIST private prediction: " << o.model << " model (" << path << ", "
                << keras::count_params(file.arch) << " parameters), " << test.labels.size()
                << " test images in batches of " << o.batch << ", " << P::name() << ", "
                << (o.f.all_here() ? "every player in this process\n"
                                   : "this process runs " + o.f.launch.player + "\n");
      if (!enc.here) {
        const std::size_t me =
            std::find(enc.players.begin(), enc.players.end(), o.f.launch.player) - enc.players.begin();
        const auto& t = enc.stats.at(me).total;
        std::cout << std::fixed << std::setprecision(2) << "  done in " << enc.seconds << " s; sent "
                  << megabytes(t.bytes_sent) << ", received " << megabytes(t.bytes_received) << ", " << t.rounds
                  << " rounds (the logits go to the prediction client)\n";
        return;
      }
      auto ref = run<examples::reference_of<P>>(o.f.local(), owner, test.images, o.batch);
      auto pe = examples::argmax_rows(enc.logits), pr = examples::argmax_rows(ref.logits);
      std::size_t agree = 0;
      for (std::size_t i = 0; i < pe.size(); ++i) agree += pe[i] == pr[i];
      std::cout << std::fixed << std::setprecision(4) << "  accuracy: encrypted " << accuracy(pe, test.labels)
                << ", plaintext " << accuracy(pr, test.labels) << " (" << examples::reference_of<P>::name()
                << ", the same fixed point in the clear)\n"
                << "  " << agree << "/" << pe.size() << " predictions agree; largest logit difference "
                << std::setprecision(5) << examples::max_abs_diff(enc.logits, ref.logits) << "\n"
                << std::setprecision(2) << "  time: " << enc.seconds << " s encrypted, " << ref.seconds
                << " s plaintext\n"
                << "  " << std::left << std::setw(20) << "player" << std::setw(16) << "bytes sent" << std::setw(16)
                << "bytes received"
                << "rounds\n";
      for (std::size_t p = 0; p < enc.players.size(); ++p) {
        if (!o.f.runs_here(enc.players[p])) continue;
        const auto& t = enc.stats[p].total;
        std::cout << "  " << std::setw(20) << enc.players[p] << std::setw(16) << megabytes(t.bytes_sent)
                  << std::setw(16) << megabytes(t.bytes_received) << t.rounds << "\n";
      }
      std::cout << std::right;
      if (o.f.check && agree * 100 < pe.size() * 98) {
        std::cerr << "FAILED: only " << agree << "/" << pe.size() << " predictions agree with plaintext\n";
        rc = 1;
      }
    });
    return rc;
  });
}
