// tfe_fine_tune: encrypted fine-tuning of an ONNX image classifier's last layers on private data.
//
//   tfe_fine_tune --model models/fashion_mnist_resnet.onnx --trainable layer3.,fc. --protocol aby3
//                 [--train 2000] [--train-offset 0] [--epochs 1] [--batch 50] [--lr 0.005] [--test 10000]
//
// Players: the protocol's servers, "model-owner" (reads the ONNX file; the graph is public, the weights
// its private inputs; it receives the fine-tuned weights at the end) and "data-owner" (holds the
// Fashion-MNIST training images and labels, secret-shared; nothing about them is revealed). The
// weights whose names start with a --trainable prefix train (SGD on softmax cross-entropy,
// graph/training.hpp); every other weight is frozen, and the layers before the first trainable one
// cost no backward pass. BatchNormalization is folded into tfe.ScaleShift by the owner, named after
// its scale tensor ("layer3.0.bn1.weight/folded_scale"), so a layer's prefix selects its normalization.
//
// The program then runs the SAME fine-tuning (same images, order, batches and learning rate) on the
// plain protocol (the plaintext reference: the same fixed point in the clear), and evaluates the
// original, the encrypted-tuned and the plaintext-tuned weights on the first --test test images in
// plaintext at the model owner. It prints the three accuracies, the difference, and the encrypted
// run's time, bytes and rounds per player. --check fails unless the two tuned accuracies are within
// --max-gap points.
#include "graph_runner.hpp"

#include "tfe/graph/compiled_kernels.hpp"  // the graph kernels: tfe_graph_kernels
#include "tfe/graph/model.hpp"
#include "tfe/graph/training.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/onnx/reader.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/runtime/cli.hpp"
#include "tfe/runtime/runner.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>

namespace {

struct options {
  std::string model, protocol = "aby3";
  std::vector<std::string> trainable;
  std::size_t train = 2000, offset = 0, epochs = 1, batch = 50, test = 10000;
  double lr = 0.005, max_gap = 0.5, timeout = 3600;
  bool check = false;
};

const std::string owner = "model-owner", data_owner = "data-owner";

struct tuned {
  tfe::graph::saved_graph model;  // the prepared graph and the fine-tuned weights (at the owner)
  double seconds = 0;
  std::vector<std::string> players;
  std::vector<tfe::statistics> stats;
};

/// Images (N, 1, 28, 28) and one-hot labels (N, 10) of the training examples [offset, offset + n).
std::pair<xt::xarray<double>, xt::xarray<double>> training_set(const options& o) {
  auto d = tfe::io::load_fashion_mnist("train", o.offset + o.train);
  TFE_ENFORCE(d.labels.size() >= o.offset + o.train, tfe::config_error, "--train-offset ", o.offset, " + --train ",
              o.train, " exceeds the ", d.labels.size(), " training images");
  xt::xarray<double> x = xt::view(xt::transpose(d.images, {0, 3, 1, 2}), xt::range(o.offset, o.offset + o.train));
  xt::xarray<double> y = xt::zeros<double>({o.train, std::size_t(10)});
  for (std::size_t i = 0; i < o.train; ++i) y(i, d.labels(o.offset + i)) = 1;
  return {x, y};
}

template <class P>
tuned fine_tune(const options& o) {
  tuned r;
  r.players = P::default_players();
  r.players.push_back(owner);
  r.players.push_back(data_owner);
  std::optional<tfe::graph::saved_graph> result;
  const auto t0 = std::chrono::steady_clock::now();
  tfe::run_options opt;
  // The owners wait, idle, through the whole training for the result: a fixed receive timeout must
  // cover it (issue 19: liveness instead of fixed waits).
  opt.channel.recv_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout * 1000));
  auto stats = tfe::run_local<P>(
      r.players,
      [&](tfe::session<P>& s) {
        auto model = tfe::graph::share_model(s, owner, [&] { return tfe::onnx::read_model(o.model); });
        tfe::graph::trainer<P> t(model, tfe::graph::name_starts_with(o.trainable));
        std::optional<std::pair<xt::xarray<double>, xt::xarray<double>>> data;
        if (s.name() == data_owner) data.emplace(training_set(o));
        for (std::size_t e = 0; e < o.epochs; ++e)
          for (std::size_t lo = 0; lo < o.train; lo += o.batch) {
            const std::size_t hi = std::min(o.train, lo + o.batch);
            auto x = s.define_private_input(
                data_owner, [&] { return xt::xarray<double>(xt::view(data->first, xt::range(lo, hi))); });
            auto y = s.define_private_input(
                data_owner, [&] { return xt::xarray<double>(xt::view(data->second, xt::range(lo, hi))); });
            t.step({x}, y, o.lr);
          }
        // The owner receives the fine-tuned weights (in the graph's order).
        tfe::graph::saved_graph out{model.spec(), {}};
        for (const auto& w : model.spec().weights) {
          auto v = s.reveal_to(owner, model.weights().at(w.name));
          if (v) out.weights.push_back(*v);
        }
        if (s.name() == owner) result.emplace(std::move(out));
        return s.stats();
      },
      opt);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.stats.assign(stats.begin(), stats.end());
  r.model = std::move(*result);
  return r;
}

tuned fine_tune(const options& o, const std::string& protocol) {
  if (protocol == "plain") return fine_tune<tfe::plain<tfe::ring64>>(o);
  if (protocol == "pond") return fine_tune<tfe::pond<tfe::ring64>>(o);
  if (protocol == "aby3") return fine_tune<tfe::aby3<tfe::ring64>>(o);
  throw tfe::config_error("--protocol must be aby3, pond or plain (ring64), got '" + protocol + "'");
}

/// Test accuracy of `m` on the first n test images, in plaintext (the plain protocol, batches of 500).
double accuracy(const tfe::graph::saved_graph& m, std::size_t n) {
  auto test = tfe::io::load_fashion_mnist("test", n);
  tfe::programs::graph_request rq;
  rq.protocol = "plain";
  rq.batch = 500;
  rq.load_model = [&] { return m; };
  rq.load_inputs = [&] {
    return std::vector<xt::xarray<double>>{xt::xarray<double>(xt::transpose(test.images, {0, 3, 1, 2}))};
  };
  auto out = tfe::programs::run_graph(rq).outputs.at(0);
  std::size_t ok = 0;
  for (std::size_t i = 0; i < out.shape()[0]; ++i) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < out.shape()[1]; ++k)
      if (out(i, k) > out(i, best)) best = k;
    ok += best == test.labels(i);
  }
  return static_cast<double>(ok) / static_cast<double>(out.shape()[0]);
}

std::string megabytes(std::uint64_t b) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << static_cast<double>(b) / 1e6 << " MB";
  return os.str();
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    options o;
    CLI::App app{"tfe_fine_tune: encrypted fine-tuning of an ONNX classifier's last layers on Fashion-MNIST"};
    app.add_option("--model", o.model, "the .onnx file (read by the model owner only)")->required();
    app.add_option("--trainable", o.trainable, "weight-name prefixes that train (e.g. layer3. fc.)")
        ->required()
        ->delimiter(',');
    app.add_option("--protocol", o.protocol, "aby3 (default), pond or plain, ring64");
    app.add_option("--train", o.train, "training examples (default 2000)")->check(CLI::PositiveNumber);
    app.add_option("--train-offset", o.offset, "first training example (default 0)");
    app.add_option("--epochs", o.epochs, "epochs (default 1)")->check(CLI::PositiveNumber);
    app.add_option("--batch", o.batch, "examples per SGD step (default 50)")->check(CLI::PositiveNumber);
    app.add_option("--lr", o.lr, "learning rate (default 0.005)");
    app.add_option("--test", o.test, "test images to evaluate on (default 10000)")->check(CLI::PositiveNumber);
    app.add_option("--timeout", o.timeout, "receive timeout in seconds (default 3600: the owners wait idle)")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-gap", o.max_gap, "--check: largest accuracy gap in points (default 0.5)");
    app.add_flag("--check", o.check, "fail unless encrypted and plaintext fine-tuning agree within --max-gap");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    const auto original = tfe::onnx::read_model(o.model);
    auto prepared = original;
    tfe::graph::prepare_for_sharing(prepared);
    std::cout << "fine-tuning " << o.model << ": weights starting with";
    for (const auto& p : o.trainable) std::cout << " '" << p << "'";
    std::cout << " on training images [" << o.offset << ", " << o.offset + o.train << "), " << o.epochs
              << " epoch(s), batch " << o.batch << ", lr " << o.lr << "\n";
    const auto enc = fine_tune(o, o.protocol);
    const auto ref = fine_tune(o, "plain");
    const double a0 = accuracy(prepared, o.test), ae = accuracy(enc.model, o.test), ap = accuracy(ref.model, o.test);
    double max_w = 0;
    for (std::size_t i = 0; i < enc.model.weights.size(); ++i)
      max_w = std::max(max_w, double(xt::amax(xt::abs(enc.model.weights[i] - ref.model.weights[i]))()));
    std::cout << std::fixed << std::setprecision(4) << "  test accuracy on " << o.test << " images: before " << a0
              << ", fine-tuned under " << o.protocol << " " << ae << ", fine-tuned in plaintext " << ap << " (gap "
              << std::setprecision(2) << 100 * std::abs(ae - ap) << " pt)\n"
              << std::setprecision(5) << "  largest weight difference, encrypted vs plaintext: " << max_w << "\n"
              << std::setprecision(1) << "  encrypted fine-tuning: " << enc.seconds << " s (" << ref.seconds
              << " s in plaintext)\n";
    for (std::size_t p = 0; p < enc.players.size(); ++p)
      std::cout << "    " << std::left << std::setw(14) << enc.players[p] << " sent "
                << megabytes(enc.stats[p].total.bytes_sent) << ", " << enc.stats[p].total.rounds << " rounds\n";
    if (o.check && 100 * std::abs(ae - ap) > o.max_gap) {
      std::cerr << "FAILED: encrypted and plaintext fine-tuning differ by " << 100 * std::abs(ae - ap)
                << " points (more than " << o.max_gap << ")\n";
      return 1;
    }
    return 0;
  });
}
