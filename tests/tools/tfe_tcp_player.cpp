// tests/tools/tfe_tcp_player.cpp: one player of a test program, for the tests that run every player as
// its own process over TCP/TLS (tests/test_tcp_processes.cpp, scripts/launch_local.sh). Built with the
// tests, never installed.
//
//   tfe_tcp_player --scenario sample --protocol pond --out PREFIX [--seed N] [launch flags]
//   tfe_tcp_player --scenario loop   --protocol pond --out PREFIX --iterations N [--busy-ms MS]
//                  [--pace-ms MS] [--quit NAME --quit-after-ms MS] [launch flags]
// launch flags (tfe::launch_flags): --hosts FILE --player NAME [--insecure-plaintext]
//   [--insecure-plain-protocol] [--timeout S] ...
// Without --hosts every player runs in this process (run_local).
//
// sample: the conformance sample of test_tcp_common.hpp (input, mul, matmul, relu, add, reveal);
//         every player here writes PREFIX.NAME.json: its outputs revealed to alice and the public matmul.
// fail:   bob throws "bob gives up" after giving his first input and before his second, which the
//         servers wait for; everybody else must fail naming bob. (Only a message the others wait for
//         makes this deterministic: Y * Y revealed to alice does not need bob, and the others could
//         finish before his abort arrives.)
// bad-input: alice's input holds 123456789.5 (out of the fixed-point range): she fails with an
//         encoding_error naming the value; everybody else must fail naming alice and the error's kind
//         only, never the value.
// loop:   after the set-up every player here writes PREFIX.NAME.ready; the protocol's players compute
//         for MS milliseconds without a message (a sleep), then run N private products (one round
//         each), and the last product is revealed to alice and bob, who wait for it all along; each
//         writes PREFIX.NAME.json with it. --pace-ms MS: the protocol's players pause MS milliseconds
//         before each product (the fault runs: mid-computation, with messages moving, without keeping
//         both cores busy for the seconds a fault takes to be noticed). --quit NAME: that server ends
//         its program (closing its channel properly) after --quit-after-ms, in the middle of the products.
// Exit status: 0 done; 3 a tfe::channel_error; 4 any other error (message on stderr as "error: ...").
#include "test_tcp_common.hpp"

#include "tfe/runtime/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

namespace {

struct settings {
  std::string scenario = "sample";
  std::string protocol = "pond";
  std::string out = "tfe_tcp_player";
  std::uint64_t seed = 7;
  long iterations = 1000;
  long busy_ms = 0;
  long pace_ms = 0;
  std::string quit;
  long quit_after_ms = 0;
};

nlohmann::json to_json(const xt::xarray<double>& v) {
  return {{"shape", std::vector<std::size_t>(v.shape().begin(), v.shape().end())},
          {"values", std::vector<double>(v.begin(), v.end())}};
}

template <class P>
void run(const settings& cfg, const tfe::launch_flags& flags) {
  using namespace tfe_tcp_test;
  tfe::launch_options base;
  base.session.insecure_deterministic_seed = cfg.seed;  // reproducible: a test compares with run_local
  const auto players = sample_players<P>();
  if (cfg.scenario == "sample") {
    auto results = tfe::run_program<P>(
        flags, players, [](auto& s) { return sample_program(s); }, base);
    for (std::size_t i = 0; i < players.size(); ++i) {
      if (!results[i]) continue;
      nlohmann::json j = {{"player", players[i]}, {"public_matmul", to_json(results[i]->public_matmul)}};
      j["at_alice"] = nlohmann::json::array();
      for (const auto& v : results[i]->at_alice) j["at_alice"].push_back(to_json(v));
      std::ofstream(cfg.out + "." + players[i] + ".json") << j.dump() << "\n";
    }
  } else if (cfg.scenario == "fail") {
    tfe::run_program<P>(
        flags, players,
        [](auto& s) {
          sample_inputs in;
          auto Y = s.define_private_input("bob", [&] { return in.y; });
          if (s.name() == "bob") throw std::runtime_error("bob gives up");
          auto Z = s.define_private_input("bob", [&] { return in.y; });
          (void)s.reveal_to("alice", Y * Z);
        },
        base);
  } else if (cfg.scenario == "bad-input") {
    tfe::run_program<P>(
        flags, players,
        [](auto& s) {
          auto X = s.define_private_input("alice", [] { return xt::xarray<double>{1.0, -2.0, 3.0, 123456789.5}; });
          (void)s.reveal_to("bob", X * X);
        },
        base);
  } else if (cfg.scenario == "loop") {
    tfe::run_program<P>(
        flags, players,
        [&](auto& s) {
          sample_inputs in;
          auto X = s.define_private_input("alice", [&] { return in.x; });
          auto Y = s.define_private_input("bob", [&] { return in.y; });
          std::ofstream(cfg.out + "." + s.name() + ".ready") << "ready\n";
          auto Z = X * Y;
          if (s.id() < P::default_players().size()) {  // alice and bob have no part in products
            std::this_thread::sleep_for(std::chrono::milliseconds(cfg.busy_ms));
            const auto start = std::chrono::steady_clock::now();
            for (long i = 1; i < cfg.iterations; ++i) {
              if (s.name() == cfg.quit &&
                  std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(cfg.quit_after_ms))
                return;
              if (cfg.pace_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(cfg.pace_ms));
              Z = X * Y;
            }
          }
          for (const char* receiver : {"alice", "bob"}) {
            auto z = s.reveal_to(receiver, Z);
            if (z)
              std::ofstream(cfg.out + "." + s.name() + ".json") << nlohmann::json{{"z", to_json(*z)}}.dump() << "\n";
          }
        },
        base);
  } else {
    throw std::invalid_argument("unknown scenario '" + cfg.scenario + "' (sample, fail, bad-input, loop)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  settings cfg;
  tfe::launch_flags flags;
  CLI::App app{"one player of a tfe test program"};
  app.add_option("--scenario", cfg.scenario, "sample, fail, bad-input or loop");
  app.add_option("--protocol", cfg.protocol, "plain, pond, securenn or aby3 (ring64)");
  app.add_option("--out", cfg.out, "prefix of the output files");
  app.add_option("--seed", cfg.seed, "insecure deterministic PRG seed (tests only)");
  app.add_option("--iterations", cfg.iterations, "products in the loop scenario");
  app.add_option("--busy-ms", cfg.busy_ms, "loop scenario: the servers compute (sleep) this long first");
  app.add_option("--pace-ms", cfg.pace_ms, "loop scenario: the servers pause this long before each product");
  app.add_option("--quit", cfg.quit, "loop scenario: this server ends its program early");
  app.add_option("--quit-after-ms", cfg.quit_after_ms, "loop scenario: when --quit's server ends");
  flags.add_to(app);
  try {
    tfe::parse_command_line(app, flags, argc, argv);
    if (cfg.protocol == "pond")
      run<tfe::pond<tfe::ring64>>(cfg, flags);
    else if (cfg.protocol == "plain")
      run<tfe::plain<tfe::ring64>>(cfg, flags);
#if TFE_TCP_TEST_HAS_SECURENN
    else if (cfg.protocol == "securenn")
      run<tfe::securenn<tfe::ring64>>(cfg, flags);
#endif
#if TFE_TCP_TEST_HAS_ABY3
    else if (cfg.protocol == "aby3")
      run<tfe::aby3<tfe::ring64>>(cfg, flags);
#endif
    else
      throw std::invalid_argument("unknown protocol '" + cfg.protocol + "' (plain, pond, securenn, aby3)");
    return 0;
  } catch (const tfe::exit_request& e) {  // --help, --list-players
    return e.code();
  } catch (const tfe::channel_error& e) {
    std::cerr << "error: " << (flags.player.empty() ? "" : flags.player + ": ") << e.what() << std::endl;
    return 3;
  } catch (const tfe::player_error& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 4;
  } catch (const std::exception& e) {
    std::cerr << "error: " << (flags.player.empty() ? "" : flags.player + ": ") << e.what() << std::endl;
    return 4;
  }
}
