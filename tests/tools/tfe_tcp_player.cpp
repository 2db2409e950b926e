// tests/tools/tfe_tcp_player.cpp: one player of a test program, for the tests that run every player as
// its own process over TCP/TLS (tests/test_tcp_processes.cpp, scripts/launch_local.sh). Built with the
// tests, never installed.
//
//   tfe_tcp_player --scenario sample --protocol pond --out PREFIX [--seed N] [launch flags]
//   tfe_tcp_player --scenario loop   --protocol pond --out PREFIX --iterations N [launch flags]
// launch flags (tfe::launch_flags): --hosts FILE --player NAME [--insecure-plaintext] [--timeout S] ...
// Without --hosts every player runs in this process (run_local).
//
// sample: the conformance sample of test_tcp_common.hpp (input, mul, matmul, relu, add, reveal);
//         every player here writes PREFIX.NAME.json: its outputs revealed to alice and the public matmul.
// fail:   bob throws "bob gives up" after giving his input; everybody else must fail naming bob.
// bad-input: alice's input holds 123456789.5 (out of the fixed-point range): she fails with an
//         encoding_error naming the value; everybody else must fail naming alice and the error's kind
//         only, never the value.
// loop:   after the set-up every player here writes PREFIX.NAME.ready, then the protocol's players run
//         N private products (one round each; alice and bob, who have no part in them, finish at once).
// Exit status: 0 done; 3 a tfe::channel_error; 4 any other error (message on stderr as "error: ...").
#include "test_tcp_common.hpp"

#include "tfe/runtime/cli.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

namespace {

struct settings {
  std::string scenario = "sample";
  std::string protocol = "pond";
  std::string out = "tfe_tcp_player";
  std::uint64_t seed = 7;
  long iterations = 1000;
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
          (void)s.reveal_to("alice", Y * Y);
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
          if (s.id() >= P::default_players().size()) return;  // alice and bob have no part in products
          for (long i = 0; i < cfg.iterations; ++i) {
            auto Z = X * Y;
            (void)Z;
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
