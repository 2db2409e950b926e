// examples/scaleout/lanes_common.hpp: what the scale-out programs share (docs/scaleout.md): running
// this process's lane of the run (its hosts, its run id, its own TCP/TLS session), naming the lane in
// every error and ending the party's other lanes when it fails, and the per-lane statistics file.
//
// A program is started once per party with `mpirun -np K PROGRAM --hosts H --player NAME ...`
// (scripts/launch_local.sh --lanes K does it for every party); rank i of the job is lane i. Without
// --hosts every player runs in this process (run_local), with K = 1 only.
#pragma once

#include <tfe/keras.hpp>
#include <tfe/runtime/cli.hpp>
#include <tfe/runtime/launch.hpp>
#include <tfe/scaleout/lane_hosts.hpp>
#include <tfe/scaleout/lanes.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace examples::scaleout {

/// --protocol: the protocols the lane programs are compiled for (ring64).
template <class F>
void with_lane_protocol(const std::string& name, F&& f) {
  if (name == "aby3") return f.template operator()<tfe::aby3<tfe::ring64>>();
  if (name == "pond") return f.template operator()<tfe::pond<tfe::ring64>>();
  throw tfe::config_error("--protocol " + name + ": the lane programs run aby3 or pond (64-bit ring)");
}

/// The players of a lane program under P: the protocol's, then the model owner and the data owner.
template <class P>
std::vector<std::string> lane_players(const std::string& data_owner) {
  auto p = P::default_players();
  p.push_back("model-owner");
  p.push_back(data_owner);
  return p;
}

/// A lane's bytes and rounds in one phase of the program (its own MPC instance's statistics).
inline nlohmann::json phase_json(const tfe::op_stats& s) {
  return {{"bytes_sent", s.bytes_sent}, {"bytes_received", s.bytes_received}, {"rounds", s.rounds}};
}

/// Prints the line of `player` in this lane (its statistics and party-internal bytes) and, with a
/// directory, writes them with the lane and K to DIR/PLAYER.lane-I.json.
inline void report_lane(const std::string& dir, const tfe::scaleout::party_lanes& lanes, const std::string& player,
                        nlohmann::json j) {
  j["player"] = player;
  j["lane"] = lanes.lane();
  j["lanes"] = lanes.lanes();
  j["party_internal"] = {{"bytes_sent", lanes.traffic().bytes_sent},
                         {"bytes_received", lanes.traffic().bytes_received}};
  std::cout << "lane " << lanes.lane() << " of " << lanes.lanes() << " of player '" << player << "': " << j.dump()
            << std::endl;
  if (dir.empty()) return;
  const std::string path = dir + "/" + player + ".lane-" + std::to_string(lanes.lane()) + ".json";
  std::ofstream out(path);
  if (!out) throw tfe::file_error(path, "cannot write the lane statistics");
  out << j.dump(2) << "\n";
}

/// The end of a lane's run, at every player: each tells every other player of its lane that it is
/// done and waits for theirs (op scope "lanes.done": one round, N − 1 one-byte messages each way), so
/// that no player finishes while a peer of its lane still fails. Then (run_lane) the party's lanes
/// meet at a barrier: a process exits 0 only when its whole party finished, so a killed rank ends
/// every process of the run with an error.
template <class P>
void agree_on_the_end(tfe::session<P>& s) {
  auto scope = s.op_scope("lanes.done");
  for (std::size_t p = 0; p < s.num_players(); ++p)
    if (p != s.id()) s.net().send_bytes(p, std::vector<std::uint8_t>{1});
  for (std::size_t p = 0; p < s.num_players(); ++p)
    if (p != s.id())
      TFE_ENFORCE(s.net().recv_bytes(p) == std::vector<std::uint8_t>{1}, tfe::protocol_error, "'", s.name_of(p),
                  "' sent a malformed end-of-run message");
}

/// Runs `program(session)` as this process's lane: with --hosts, lane `lanes.lane()` of the player over
/// TCP/TLS (hosts and run id of that lane: tfe/scaleout/lane_hosts.hpp); without, every player here
/// (K = 1 only). `players` in role order.
template <class P, class F>
void run_lane(const tfe::launch_flags& launch, tfe::scaleout::party_lanes& lanes,
              const std::vector<std::string>& players, F&& program) {
  if (launch.list_players) {
    for (const auto& p : players) std::cout << p << "\n";
    std::cout.flush();
    throw tfe::exit_request(0);
  }
  if (!launch.distributed()) {
    TFE_ENFORCE(lanes.lanes() == 1, tfe::config_error, lanes.where(),
                ": lanes need one process per player: give --hosts and --player");
    tfe::run_program<P>(launch, players, program);
    return;
  }
  tfe::hosts_config hosts = tfe::scaleout::load_lane_hosts(launch.hosts, lanes.lane(), lanes.lanes());
  TFE_ENFORCE(hosts.names() == players, tfe::config_error, "the hosts file ", launch.hosts,
              " does not list the program's players in role order");
  tfe::launch_options opts = launch.options();
  opts.tcp.run_id =
      launch.run_id.empty() ? hosts.run_id : tfe::scaleout::lane_run_id(launch.run_id, lanes.lane(), lanes.lanes());
  tfe::run_player<P>(
      hosts, launch.player,
      [&](tfe::session<P>& s) {
        program(s);
        agree_on_the_end(s);
      },
      opts);
  lanes.barrier("end of the run");
}

/// main() of a lane program: MPI for the process, the party's lanes, then run(lanes). Any error is
/// printed as "error: lane I of K of player 'NAME': ..." and, with K > 1, ends every lane of the
/// party (MPI_Abort): a failed lane never leaves the others waiting. Returns the exit code.
template <class Run>
int lane_main(int& argc, char**& argv, Run&& run) {
  tfe::scaleout::mpi_environment mpi(argc, argv);
  std::string player = "all-players";  // without --player every player runs here (K = 1)
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--player") player = argv[i + 1];
  std::optional<tfe::scaleout::party_lanes> lanes;
  try {
    // A collective waits at most 10 minutes for the party's other lanes (a lane may still be working:
    // at the end of the run, the slowest lane sets the pace); a dead rank ends the job at once.
    lanes.emplace(mpi.world(), player, std::chrono::minutes(10));
    run(*lanes);
    return 0;
  } catch (const tfe::exit_request& e) {
    return e.code();
  } catch (const std::exception& e) {
    const std::string where = lanes ? lanes->where() : "player '" + player + "'";
    std::cerr << "error: " << where << ": " << e.what() << std::endl;
    int ranks = 1;
    MPI_Comm_size(mpi.world(), &ranks);
    if (ranks > 1) mpi.abort(2);
    return 2;
  }
}

}  // namespace examples::scaleout
