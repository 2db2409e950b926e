// bench_serve: throughput and latency of tfe_serve (issue 20): the servers as processes on 127.0.0.1
// over TLS (tfe::testing::local_serving), and 1, 8, 64 concurrent clients as threads of this process,
// each with its own serve::client (its own TLS connections) sending one Fashion-MNIST image per
// request, back to back, for --seconds. Prints one Markdown row per (model, protocol, clients):
// predictions per second, and the p50 / p99 latency of a request (send to answer, at the client).
//
//   bench_serve [--models mlp,cnn] [--protocols aby3,pond] [--clients 1,8,64] [--seconds 5]
//               [--batch 64] [--batch-delay-ms 2] [--serve PATH]
#include "check_build.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/testing/serve_local.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, ',');) out.push_back(t);
  return out;
}

struct figures {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
  std::size_t requests = 0;
};

/// `n` clients, each sending single images for `seconds` (after one warm-up request each).
figures measure(tfe::testing::local_serving& d, std::size_t n, double seconds, const xt::xarray<double>& images) {
  std::vector<std::unique_ptr<tfe::serve::client>> clients;
  for (std::size_t i = 0; i < n; ++i)
    clients.push_back(std::make_unique<tfe::serve::client>(d.client_options("bench")));
  std::vector<std::vector<double>> lat(n);
  std::atomic<bool> go{false}, failed{false};
  std::atomic<std::size_t> ready{0};
  std::string failure;
  std::mutex m;
  const auto run_for = std::chrono::duration<double>(seconds);
  std::chrono::steady_clock::time_point start, end;
  std::vector<std::thread> ts;
  for (std::size_t i = 0; i < n; ++i)
    ts.emplace_back([&, i] {
      try {
        const std::size_t count = images.shape()[0];
        auto one = [&](std::size_t k) {
          return clients[i]->predict(xt::view(images, xt::range(k % count, k % count + 1)));
        };
        one(i);  // warm-up
        ++ready;
        while (!go.load()) std::this_thread::yield();
        for (std::size_t k = i;; k += n) {
          const auto t0 = std::chrono::steady_clock::now();
          if (t0 - start >= run_for) break;
          one(k);
          lat[i].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        failed = true;
        failure = e.what();
      }
    });
  while (ready.load() < n && !failed.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  start = std::chrono::steady_clock::now();
  go = true;
  for (auto& t : ts) t.join();
  end = std::chrono::steady_clock::now();
  TFE_ENFORCE(!failed.load(), tfe::serve::serve_error, "a client failed: ", failure);
  std::vector<double> all;
  for (const auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  figures f;
  f.requests = all.size();
  f.per_second = static_cast<double>(all.size()) / std::chrono::duration<double>(end - start).count();
  auto pct = [&](double q) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, std::size_t(q * all.size()))]; };
  f.p50_ms = pct(0.50);
  f.p99_ms = pct(0.99);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string models = "mlp,cnn", protocols = "aby3,pond", counts = "1,8,64";
    double seconds = 5, batch_delay_ms = 2;
    std::size_t batch = 64;
    std::string extra;
    std::string serve_bin =
#ifdef TFE_SERVE_BIN
        TFE_SERVE_BIN;
#else
        "tfe_serve";
#endif
    CLI::App app{"bench_serve: tfe_serve's throughput and latency with concurrent clients on loopback"};
    app.add_option("--models", models, "mlp,cnn (Fashion-MNIST, models/onnx)");
    app.add_option("--protocols", protocols, "aby3,pond");
    app.add_option("--clients", counts, "concurrent clients, comma-separated");
    app.add_option("--seconds", seconds, "measuring time per row");
    app.add_option("--batch", batch, "tfe_serve --batch");
    app.add_option("--batch-delay-ms", batch_delay_ms, "tfe_serve --batch-delay-ms");
    app.add_option("--serve", serve_bin, "the tfe_serve executable");
    app.add_option("--server-args", extra, "more tfe_serve flags, space-separated");
    CLI11_PARSE(app, argc, argv);
    bench::warn_if_check_build();
    auto data = tfe::io::load_fashion_mnist("test", 256);
    xt::xarray<double> images = data.images;
    images.reshape({images.shape()[0], 1, 28, 28});
    std::cout << "| model | protocol | clients | predictions/s | p50 latency | p99 latency | requests |\n"
              << "|---|---|---:|---:|---:|---:|---:|\n";
    for (const auto& model : split(models)) {
      for (const auto& protocol : split(protocols)) {
        tfe::testing::serving_setup setup;
        setup.serve_bin = serve_bin;
        setup.source_dir = TFE_SOURCE_DIR;
        char tmpl[] = "/tmp/tfe-bench-serve-XXXXXX";
        TFE_ENFORCE(::mkdtemp(tmpl) != nullptr, tfe::config_error, "mkdtemp failed");
        setup.dir = tmpl;
        setup.protocol = protocol;
        setup.model = std::string(TFE_SOURCE_DIR) + "/models/onnx/fashion_mnist_" + model + ".onnx";
        setup.clients = {"bench"};
        // Every server on this machine: one kernel thread each (the cores are shared anyway).
        setup.server_args = {
            "--batch", std::to_string(batch), "--batch-delay-ms", std::to_string(batch_delay_ms), "--threads", "1"};
        std::stringstream words(extra);
        for (std::string w; words >> w;) setup.server_args.push_back(w);
        tfe::testing::local_serving d(setup);
        for (const auto& c : split(counts)) {
          const auto f = measure(d, std::stoul(c), seconds, images);
          std::cout << "| " << model << " | " << protocol << " | " << c << " | " << std::fixed << std::setprecision(0)
                    << f.per_second << " | " << std::setprecision(1) << f.p50_ms << " ms | " << f.p99_ms << " ms | "
                    << f.requests << " |" << std::endl;
        }
        for (auto& s : d.servers) s.signal(SIGTERM);
        for (auto& s : d.servers)
          TFE_ENFORCE(s.wait(std::chrono::seconds(30)) == 0, tfe::config_error,
                      "a server did not stop cleanly: ", s.output());
        const std::string log = d.servers[0].output();  // its last line: batches, predictions, compute time
        const auto from = log.rfind('\n', log.size() >= 2 ? log.size() - 2 : 0);
        std::cerr << model << " " << protocol << ": " << log.substr(from == std::string::npos ? 0 : from + 1);
        std::filesystem::remove_all(setup.dir);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
