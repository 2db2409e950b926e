// tfe/runtime/launch.hpp: running one player of a program in this process over TCP (run_player), and the
// command-line flags that let any program run either every player here or just one of them.
//
//   // one process per player: the same binary started once per player
//   auto r = tfe::run_player<tfe::pond<tfe::ring64>>("hosts.json", "server1", [](auto& s) { ... });
//
//   // a program that does both, driven by flags (CLI11):
//   tfe::launch_flags launch;
//   CLI::App app;  launch.add_to(app);  CLI11_PARSE(app, argc, argv);
//   auto results = tfe::run_program<P>(launch, players, program);
//     // no --hosts: every player on its own thread here (run_local); results[i] for every player
//     // --hosts FILE --player NAME: only NAME here, over TCP/TLS; results[i] only for NAME
//
// run_player builds the tcp_channel (and the simulated network decorator when asked), the session,
// runs the program, and closes the channel with a goodbye. When the program throws, it aborts the
// channel, so every other player fails at once with "player 'NAME' aborted the computation: KIND
// (...)", and rethrows the original exception. Peers learn only the kind of error (config.hpp,
// public_failure_reason): the message may hold a private value and stays with this player.
//
// Anything insecure is opt-in and named so (docs/security.md). run_player refuses a protocol without
// secrecy (tfe::plain, where player 0 sees everything) unless launch_options::
// allow_insecure_plain_protocol is set (--insecure-plain-protocol), and then every player prints an
// "INSECURE: ..." line on stderr; so does every player of a plain-TCP run (--insecure-plaintext,
// tcp_mesh.hpp). In-process runs (run_local) need neither: nothing leaves the process.
//
// Flags (launch_flags::add_to):
//   --hosts FILE            hosts file (net/hosts.hpp); without it every player runs in this process
//   --player NAME           the player this process runs (with --hosts)
//   --run-id ID             the computation's run id (default: the hosts file's "run_id")
//   --insecure-plaintext    plain TCP: no TLS, no authentication (loopback benchmarks only)
//   --insecure-plain-protocol  allow the plain protocol (no secrecy at all) over TCP (tests only)
//   --connect-timeout SEC   deadline for connecting to every player (default 30)
//   --timeout SEC           receive timeout (default 60)
//   --simulate NET          simulated network: lan, wan, or RTT_MS:MBITS (virtual clock, no sleeping)
//   --list-players          print the program's players, one per line, and throw exit_request(0)
#pragma once

#include "tfe/net/hosts.hpp"
#include "tfe/net/tcp_channel.hpp"
#include "tfe/runtime/runner.hpp"
#include "tfe/runtime/simulated_network.hpp"
#include "tfe/session.hpp"

#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace tfe {

/// Thrown instead of exiting when the command line asks only for information (--help,
/// --list-players): the program's main catches it and returns code(). Library code never calls
/// std::exit, so a program (or a test) that embeds tfe keeps control of its process.
class exit_request : public std::exception {
 public:
  explicit exit_request(int code) : m_code(code) {}
  int code() const noexcept { return m_code; }
  const char* what() const noexcept override { return "the command line asked only for information"; }

 private:
  int m_code;
};

/// The body of a program's main(): returns body()'s exit code; --help and --list-players
/// (exit_request) return theirs; any other exception prints "error: MESSAGE" on stderr and returns 2.
///   int main(int argc, char** argv) { return tfe::guarded_main([&] { ...; return 0; }); }
template <class F>
int guarded_main(F&& body) {
  try {
    return body();
  } catch (const exit_request& e) {
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}

struct launch_options {
  session_options session;
  channel_options channel;
  tcp_options tcp;
  /// Wrap the channel in a simulated network (simulated_network.hpp).
  std::optional<simulation_options> simulate;
  /// Optional: the player's op scopes are recorded here (Chrome trace events), not owned.
  trace_recorder* trace = nullptr;
  /// INSECURE: let run_player run a protocol that provides no secrecy (tfe::plain: player 0 sees every
  /// private value in the clear) over TCP. For tests that compare transports only.
  bool allow_insecure_plain_protocol = false;
};

/// Whether protocol P provides no secrecy at all (it declares `insecure_no_secrecy`, as tfe::plain does).
template <class P>
inline constexpr bool provides_no_secrecy = requires {
  requires P::insecure_no_secrecy;
};

namespace detail {

/// run_player's check of the protocol: a protocol without secrecy needs allow_insecure_plain_protocol
/// (config_error naming the flag otherwise); when allowed, the warning line for stderr, else "".
template <class P>
std::string insecure_protocol_warning(const hosts_config& hosts, const std::string& player,
                                      const launch_options& options) {
  if constexpr (!provides_no_secrecy<P>) {
    return {};
  } else {
    const std::string& trusted = hosts.players.empty() ? player : hosts.players[0].name;
    TFE_ENFORCE(options.allow_insecure_plain_protocol, config_error, "'", player, "' refuses to run the protocol ",
                P::name(), " over TCP: it provides no secrecy at all ('", trusted,
                "' sees every private value in the clear; it is the test reference). Choose a secure protocol, or "
                "pass --insecure-plain-protocol (launch_options::allow_insecure_plain_protocol) to run it anyway");
    return concat("INSECURE: protocol ", P::name(), " over TCP (--insecure-plain-protocol): no secrecy at all, '",
                  trusted, "' sees every private value in the clear; for tests only");
  }
}

}  // namespace detail

/// Runs `program(session)` as `player` of the program described by `hosts`, in this process, over
/// TCP (TLS unless tcp.insecure_plaintext). Returns the program's result. Every other player must run
/// the same program with the same player list, run id and protocol at the same time.
template <class P, class F>
auto run_player(const hosts_config& hosts, const std::string& player, F&& program, launch_options options = {}) {
  using result_t = std::invoke_result_t<F&, session<P>&>;
  const std::string warning = detail::insecure_protocol_warning<P>(hosts, player, options);
  if (!warning.empty()) std::cerr << warning << std::endl;  // (the mesh warns of plain TCP itself)
  if (options.tcp.program.empty()) options.tcp.program = P::name();
  tcp_channel ch(hosts, player, options.tcp, options.channel);
  std::optional<simulated_channel> sim;
  if (options.simulate) sim.emplace(ch, *options.simulate);
  channel& use = sim ? static_cast<channel&>(*sim) : static_cast<channel&>(ch);
  use.set_trace(options.trace);
  try {
    session<P> s(use, options.session);
    const block_cache::scope blocks(&s.blocks());  // both end before the session does
    const memory_meter::scope meter(&s.memory());
    if constexpr (std::is_void_v<result_t>) {
      program(s);
      ch.close();
    } else {
      result_t r = program(s);
      ch.close();
      return r;
    }
  } catch (const std::exception& e) {
    ch.abort(public_failure_reason(e));  // peers learn the kind of error, never the message
    throw;
  } catch (...) {
    ch.abort("unknown exception");
    throw;
  }
}

template <class P, class F>
auto run_player(const std::string& hosts_file, const std::string& player, F&& program, launch_options options = {}) {
  return run_player<P>(load_hosts(hosts_file), player, std::forward<F>(program), std::move(options));
}

/// Command-line flags to run a program as one player or as all of them (see the top of this header).
struct launch_flags {
  std::string hosts;
  std::string player;
  std::string run_id;
  bool insecure_plaintext = false;
  bool insecure_plain_protocol = false;
  double connect_timeout = 30;
  double recv_timeout = 60;
  std::string simulate;
  std::string truncation;
  bool list_players = false;

  /// Adds the flags to a CLI11 app (any type with CLI::App's add_option / add_flag).
  template <class App>
  void add_to(App& app) {
    app.add_option("--hosts", hosts,
                   "hosts file (JSON): run one player in this process over TCP/TLS; without it every player runs "
                   "in this process");
    app.add_option("--player", player, "the player this process runs (with --hosts)");
    app.add_option("--run-id", run_id, "run id of the computation (default: the hosts file's run_id)");
    app.add_flag("--insecure-plaintext", insecure_plaintext,
                 "INSECURE: plain TCP without TLS or authentication (loopback benchmarks only)");
    app.add_flag("--insecure-plain-protocol", insecure_plain_protocol,
                 "INSECURE: allow the plain protocol (no secrecy: player 0 sees everything) over TCP (tests only)");
    app.add_option("--connect-timeout", connect_timeout, "seconds to connect to every player (default 30)");
    app.add_option("--timeout", recv_timeout, "receive timeout in seconds (default 60)");
    app.add_option("--simulate", simulate, "simulated network: lan, wan, or RTT_MS:MBITS (virtual clock)");
    app.add_option("--truncation", truncation,
                   "after products: probabilistic (default; fails about 2^(b+1-l) per value of 2^b) or exact "
                   "(one more round, never fails: ring/fixed_point.hpp)");
    app.add_flag("--list-players", list_players, "print the program's players, one per line, and exit");
  }

  /// One player of several processes (true) or every player here (false). Checks the combination.
  bool distributed() const {
    TFE_ENFORCE(hosts.empty() == player.empty(), config_error,
                "--hosts and --player go together (one process per player); give both or neither");
    return !hosts.empty();
  }

  /// The launch options these flags ask for (on top of `base`).
  launch_options options(launch_options base = {}) const {
    auto ms = [](double s) { return std::chrono::milliseconds(static_cast<long long>(s * 1000)); };
    TFE_ENFORCE(connect_timeout > 0 && recv_timeout > 0, config_error, "timeouts must be positive");
    base.tcp.insecure_plaintext = base.tcp.insecure_plaintext || insecure_plaintext;
    base.allow_insecure_plain_protocol = base.allow_insecure_plain_protocol || insecure_plain_protocol;
    if (!run_id.empty()) base.tcp.run_id = run_id;
    base.tcp.connect_timeout = ms(connect_timeout);
    base.channel.recv_timeout = ms(recv_timeout);
    if (!truncation.empty()) {
      TFE_ENFORCE(truncation == "exact" || truncation == "probabilistic", config_error,
                  "--truncation: expected exact or probabilistic, got '", truncation, "'");
      base.session.truncation = truncation == "exact" ? truncation_mode::exact : truncation_mode::probabilistic;
    }
    if (!simulate.empty() && simulate != "none") {
      simulation_options sim = base.simulate.value_or(simulation_options{});
      sim.model = network_model::parse(simulate);
      base.simulate = sim;
    }
    return base;
  }

  /// Counts the computations run with these flags: the k-th (k > 0) gets run id "<id>#k", so a
  /// program that runs several computations in sequence never mixes them up.
  mutable std::size_t computations = 0;
};

/// Runs `program` for every player in this process (no --hosts), or for the --player only, over TCP.
/// Returns one optional result per player (in player order): all present in the first case, only the
/// local player's in the second. With --list-players, prints the players and throws exit_request(0).
template <class P, class F>
auto run_program(const launch_flags& flags, const std::vector<std::string>& players, F&& program,
                 launch_options base = {}) {
  using result_t = std::invoke_result_t<F&, session<P>&>;
  if (flags.list_players) {
    for (const auto& p : players) std::cout << p << "\n";
    std::cout.flush();
    throw exit_request(0);
  }
  launch_options opts = flags.options(std::move(base));
  const std::size_t k = flags.computations++;
  if (flags.distributed()) {
    hosts_config hosts = load_hosts(flags.hosts);
    TFE_ENFORCE(hosts.names() == players, config_error, "the hosts file ", flags.hosts, " lists the players ",
                detail::wire::list_str(hosts.names()), " but the program needs ", detail::wire::list_str(players),
                " (same names, same order)");
    if (opts.tcp.run_id.empty()) opts.tcp.run_id = hosts.run_id;
    if (k > 0) opts.tcp.run_id += "#" + std::to_string(k);
    const std::size_t me = hosts.index_of(flags.player);
    if constexpr (std::is_void_v<result_t>) {
      run_player<P>(hosts, flags.player, program, opts);
    } else {
      std::vector<std::optional<result_t>> out(players.size());
      out[me].emplace(run_player<P>(hosts, flags.player, program, opts));
      return out;
    }
  } else {
    run_options ro{opts.session, opts.channel, opts.trace};
    if constexpr (std::is_void_v<result_t>) {
      if (opts.simulate)
        run_local_simulated<P>(players, program, *opts.simulate, ro);
      else
        run_local<P>(players, program, ro);
    } else {
      auto all = opts.simulate ? run_local_simulated<P>(players, program, *opts.simulate, ro)
                               : run_local<P>(players, program, ro);
      std::vector<std::optional<result_t>> out;
      out.reserve(all.size());
      for (auto& r : all) out.emplace_back(std::move(r));
      return out;
    }
  }
}

}  // namespace tfe
