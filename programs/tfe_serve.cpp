// tfe_serve: long-running servers that hold a secret-shared model and answer private predictions of
// any number of clients (docs/serving.md).
//
//   tfe_serve --hosts H.json --player server0 [--protocol aby3] [--batch 64] [--batch-delay-ms 2] ...
//   tfe_serve --hosts H.json --player model-owner --model M.onnx      (shares the model, then leaves)
//
// The players of the hosts file are the protocol's (aby3: server0, server1, server2; pond: server0,
// server1, crypto-producer) then "model-owner", in that order; each client-facing server has a
// "client_port" (serve/endpoints.hpp). Every server starts once, receives the model from the owner
// (the owner's process exits once the weights are shared), opens its TLS listener for clients and
// runs batches (serve/batch_loop.hpp) until SIGTERM or SIGINT at any server: then the round in flight
// is finished, every waiting request is refused ("the servers are shutting down"), and every server
// exits 0. A server that loses a peer stops taking requests, refuses the waiting ones with the
// reason, prints it and exits 2.
#include "serve_models.hpp"
#include "tfe/onnx/model_file.hpp"
#include "tfe/runtime/cli.hpp"
#include "tfe/runtime/launch.hpp"
#include "tfe/serve/batch_loop.hpp"
#include "tfe/serve/endpoints.hpp"
#include "tfe/serve/listener.hpp"
#include "tfe/serve/prepare.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

const std::string owner = "model-owner";

struct options {
  std::string hosts, player, model, protocol = "aby3";
  std::size_t max_rows = 1024;
  double batch_delay_ms = 2, tick_ms = 100, request_timeout_s = 10;
  double connect_timeout = 60, recv_timeout = 60;
  std::size_t threads = 0;
  long spin_us = 50;
  tfe::serve::batch_options batch;
};

/// The stop flag and what wakes the batch loop, shared with the signal thread.
struct stop_control {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::function<void()> wake;

  void set_wake(std::function<void()> f) {
    std::lock_guard lock(mutex);
    wake = std::move(f);
  }
  void signal() {
    stop = true;
    std::lock_guard lock(mutex);
    if (wake) wake();
  }
};

/// Serving needs one input with a free batch axis 0 and fixed other axes, and one output.
void check_servable(const tfe::graph::graph& g) {
  TFE_ENFORCE(g.inputs.size() == 1 && g.outputs.size() == 1, tfe::config_error, g.source, ": serving needs a ",
              "model with one input and one output, this one has ", g.inputs.size(), " and ", g.outputs.size());
  const auto& dims = g.inputs[0].dims;
  bool fixed = !dims.empty() && dims[0] < 0;
  for (std::size_t i = 1; i < dims.size(); ++i) fixed = fixed && dims[i] >= 0;
  TFE_ENFORCE(fixed, tfe::config_error, g.source, ": serving needs an input with a free batch axis 0 and ",
              "fixed other axes; input '", g.inputs[0].name, "' has ", tfe::graph::dims_str(dims));
}

template <class P>
int serve(const options& o, stop_control& ctl) {
  const auto cfg = tfe::serve::load_serving_config(o.hosts);
  std::vector<std::string> players = P::default_players();
  players.push_back(owner);
  TFE_ENFORCE(cfg.hosts.names() == players, tfe::config_error, "the hosts file ", o.hosts, " lists the players ",
              tfe::detail::wire::list_str(cfg.hosts.names()), " but serving under ", o.protocol, " needs ",
              tfe::detail::wire::list_str(players), " (same names, same order)");
  const auto layout = tfe::serve::layout_of(o.protocol);
  TFE_ENFORCE(cfg.servers.size() == layout.servers, tfe::config_error, "hosts file ", o.hosts, ": ", cfg.servers.size(),
              " players have a client_port, but ", o.protocol, " has ", layout.servers,
              " client-facing servers (the first ", layout.servers, " players)");
  tfe::launch_options lo;
  lo.tcp.run_id = cfg.hosts.run_id;
  lo.tcp.program = "tfe_serve " + P::name();
  lo.tcp.connect_timeout = std::chrono::milliseconds(static_cast<long long>(o.connect_timeout * 1000));
  lo.channel.recv_timeout = std::chrono::milliseconds(static_cast<long long>(o.recv_timeout * 1000));
  lo.session.threads = o.threads;
  lo.tcp.spin_wait = std::chrono::microseconds(o.spin_us);
  auto log = [&](const std::string& line) { std::cerr << "tfe_serve " << o.player << ": " << line << std::endl; };

  if (o.player == owner) {
    TFE_ENFORCE(!o.model.empty(), tfe::config_error,
                "the model owner needs --model (an ONNX file or a tfe model file)");
    tfe::run_player<P>(
        cfg.hosts, o.player,
        [&](tfe::session<P>& s) {
          tfe::programs::serve_model_provider provider = [&] {
            auto m = tfe::graph::read_model_file(o.model);
            check_servable(m.g);  // at the owner, before anything is sent
            return m;
          };
          (void)tfe::graph::share_model<P>(s, owner, std::move(provider));
        },
        lo);
    log("shared the model " + o.model + " and leaves");
    return 0;
  }
  TFE_ENFORCE(o.model.empty(), tfe::config_error, "--model is for the model owner ('", owner, "') only");
  tfe::run_player<P>(
      cfg.hosts, o.player,
      [&](tfe::session<P>& s) {
        tfe::programs::serve_model_provider none = [] { return tfe::graph::saved_graph{}; };  // runs at the owner only
        auto shared = tfe::graph::share_model<P>(s, owner, std::move(none));
        auto model = tfe::serve::pretranspose_gemm_weights(s, shared);  // once, not per batch
        const auto& g = model.spec();
        check_servable(g);
        const auto& dims = g.inputs[0].dims;
        tfe::serve::request_board board;
        ctl.set_wake([&] { board.wake(); });
        struct clear_wake {
          stop_control& c;
          ~clear_wake() { c.set_wake(nullptr); }
        } clear{ctl};
        const std::size_t me = s.id();
        std::optional<tfe::serve::client_listener> listener;
        if (me < layout.servers) {
          const auto& ep = cfg.servers.at(me);
          TFE_ENFORCE(ep.name == o.player, tfe::config_error, "hosts file ", o.hosts, ": the ", me + 1,
                      "-th server with a client_port is '", ep.name, "', not '", o.player, "'");
          const auto& self = cfg.hosts.at(o.player);
          tfe::serve::request_rules rules{layout.protocol,
                                          tfe::ring_traits<tfe::serve::ring>::name(),
                                          s.fixed_point().frac_bits,
                                          layout.parts,
                                          dims,
                                          o.max_rows};
          nlohmann::json info = {{"type", "info"},
                                 {"protocol", layout.protocol},
                                 {"ring", rules.ring},
                                 {"frac_bits", s.fixed_point().frac_bits},
                                 {"int_bits", s.fixed_point().int_bits},
                                 {"server", me},
                                 {"servers", layout.servers},
                                 {"name", o.player},
                                 {"input", dims},
                                 {"output", g.outputs[0]},
                                 {"max_rows", o.max_rows},
                                 {"batch", o.batch.batch}};
          tfe::serve::listener_options lopt;
          lopt.host = ep.host;
          lopt.port = ep.client_port;
          lopt.tls = {cfg.hosts.ca, self.cert, self.key};
          lopt.allowed = cfg.clients;
          lopt.server_name = o.player;
          listener.emplace(lopt, board, rules, info);
          log(tfe::detail::concat("serving ", g.source, " under ", o.protocol, " to clients on ", ep.host, ":",
                                  ep.client_port));
        }
        tfe::serve::batch_loop<P> loop(s, model, board, P::default_players().size(), layout.servers, o.batch, ctl.stop);
        try {
          loop.run();
        } catch (const std::exception& e) {
          const std::string why = "the servers stopped: " + std::string(e.what());
          board.close(why);
          if (listener) listener->stop();
          log("stops serving: " + std::string(e.what()));
          throw;
        }
        board.close("the servers are shutting down");
        if (listener) listener->stop();
        log(tfe::detail::concat("stopped cleanly after ", loop.batches(), " batches (", loop.rows(), " predictions, ",
                                loop.compute_seconds(), " s computing)"));
      },
      lo);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  stop_control ctl;
  // First, before any thread: SIGTERM and SIGINT only set the stop flag (and wake the batch loop).
  tfe::serve::signal_watch signals([&](int) { ctl.signal(); });
  return tfe::guarded_main([&] {
    options o;
    CLI::App app{"tfe_serve: private predictions for many clients from a secret-shared model"};
    app.add_option("--hosts", o.hosts, "hosts file (JSON) with a client_port per server")->required();
    app.add_option("--player", o.player, "the player this process runs (a server, or model-owner)")->required();
    app.add_option("--protocol", o.protocol, "aby3 or pond (ring64; default aby3)");
    app.add_option("--model", o.model, "the model: an .onnx file or a tfe model file (.npz); model owner only");
    app.add_option("--batch", o.batch.batch, "rows (predictions) per batch, at most (default 64)");
    app.add_option("--batch-delay-ms", o.batch_delay_ms, "longest wait of a request for others (default 2)");
    app.add_option("--max-rows", o.max_rows, "rows per request, at most (default 1024)");
    app.add_option("--request-timeout", o.request_timeout_s, "refuse a request not run within this (s, default 10)");
    app.add_option("--tick-ms", o.tick_ms, "idle round interval (ms, default 100)");
    app.add_option(
        "--threads", o.threads,
        "threads for this server's large kernels (default 0: the machine's cores; 1 when servers share a machine)");
    app.add_option("--spin-us", o.spin_us, "a receive polls this long before sleeping (µs, default 50)");
    app.add_option("--connect-timeout", o.connect_timeout, "seconds to connect to every player (default 60)");
    app.add_option("--timeout", o.recv_timeout, "a silent peer is lost after this (s, default 60)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      throw tfe::exit_request(app.exit(e));
    }
    TFE_ENFORCE(
        o.batch.batch >= 1 && o.max_rows >= 1 && o.batch_delay_ms >= 0 && o.tick_ms > 0 && o.request_timeout_s > 0,
        tfe::config_error, "--batch, --max-rows, --tick-ms and --request-timeout must be positive");
    o.batch.batch_delay = std::chrono::microseconds(static_cast<long long>(o.batch_delay_ms * 1000));
    o.batch.tick = std::chrono::milliseconds(static_cast<long long>(o.tick_ms));
    o.batch.request_timeout = std::chrono::milliseconds(static_cast<long long>(o.request_timeout_s * 1000));
    if (o.protocol == "aby3") return serve<tfe::aby3<tfe::ring64>>(o, ctl);
    if (o.protocol == "pond") return serve<tfe::pond<tfe::ring64>>(o, ctl);
    throw tfe::config_error("tfe_serve serves the protocols aby3 and pond (ring64), not '" + o.protocol + "'");
  });
}
