// tfe/scaleout/lanes_launch.hpp: running this process's lane of a scale-out run (docs/scaleout.md),
// the lanes' counterpart of tfe/runtime/launch.hpp.
//
//   int main(int argc, char** argv) {
//     return tfe::scaleout::lane_main(argc, argv, [&](tfe::scaleout::party_lanes& lanes) {
//       tfe::launch_flags launch;  ...parse...
//       tfe::scaleout::run_lane<P>(launch, lanes, players, [&](tfe::session<P>& s) { ... });
//     });
//   }
//
// A program is started once per party with `mpirun -np K PROGRAM --hosts H --player NAME ...`
// (scripts/launch_local.sh --lanes K does it for every party); rank i of the job is lane i. run_lane
// runs the lane's player over TCP/TLS with the lane's hosts and run id (lane_hosts.hpp), ends it with
// an agreement of every player of the lane and a barrier of the party's lanes, so that no process
// exits 0 while another fails; lane_main prints every error as "error: lane I of K of player 'NAME':
// ..." and, with K > 1, ends the party's other lanes (MPI_Abort). Without --hosts every player runs in
// this process (run_local), with K = 1 only. report_lane prints (and writes as JSON) a lane's bytes and
// rounds per phase and its party-internal bytes, which the tests compare with K = 1 runs.
#pragma once

#include "tfe/io/file_error.hpp"
#include "tfe/runtime/launch.hpp"
#include "tfe/scaleout/lane_hosts.hpp"
#include "tfe/scaleout/lanes.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace tfe::scaleout {

/// The end of a lane's run, at every player: each tells every other player of its lane that it is
/// done and waits for theirs (op scope "lanes.done": one round, N − 1 one-byte messages each way), so
/// that no player finishes while a peer of its lane still fails. Then (run_lane) the party's lanes
/// meet at a barrier: a process exits 0 only when its whole party finished, so a killed rank ends
/// every process of the run with an error.
template <class P>
void agree_on_the_end(session<P>& s) {
  auto scope = s.op_scope("lanes.done");
  for (std::size_t p = 0; p < s.num_players(); ++p)
    if (p != s.id()) s.net().send_bytes(p, std::vector<std::uint8_t>{1});
  for (std::size_t p = 0; p < s.num_players(); ++p)
    if (p != s.id())
      TFE_ENFORCE(s.net().recv_bytes(p) == std::vector<std::uint8_t>{1}, protocol_error, "'", s.name_of(p),
                  "' sent a malformed end-of-run message");
}

/// Runs `program(session)` as this process's lane: with --hosts, lane `lanes.lane()` of the player over
/// TCP/TLS (hosts and run id of that lane: tfe/scaleout/lane_hosts.hpp); without, every player here
/// (K = 1 only). `players` in role order.
template <class P, class F>
void run_lane(const launch_flags& launch, party_lanes& lanes, const std::vector<std::string>& players, F&& program) {
  if (launch.list_players) {
    for (const auto& p : players) std::cout << p << "\n";
    std::cout.flush();
    throw exit_request(0);
  }
  if (!launch.distributed()) {
    TFE_ENFORCE(lanes.lanes() == 1, config_error, lanes.lanes(),
                " lanes need one process per player: give --hosts and --player (or run without mpirun)");
    run_program<P>(launch, players, program);
    return;
  }
  hosts_config hosts = load_lane_hosts(launch.hosts, lanes.lane(), lanes.lanes());
  TFE_ENFORCE(hosts.names() == players, config_error, "the hosts file ", launch.hosts,
              " does not list the program's players in role order");
  launch_options opts = launch.options();
  opts.tcp.run_id = launch.run_id.empty() ? hosts.run_id : lane_run_id(launch.run_id, lanes.lane(), lanes.lanes());
  run_player<P>(
      hosts, launch.player,
      [&](session<P>& s) {
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
  mpi_environment mpi(argc, argv);
  std::string player = "all-players";  // without --player every player runs here (K = 1)
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--player") player = argv[i + 1];
  std::optional<party_lanes> lanes;
  try {
    // A collective waits at most 10 minutes for the party's other lanes (a lane may still be working:
    // at the end of the run, the slowest lane sets the pace); a dead rank ends the job at once.
    lanes.emplace(mpi.world(), player, std::chrono::minutes(10));
    run(*lanes);
    return 0;
  } catch (const exit_request& e) {
    return e.code();
  } catch (const std::exception& e) {
    // Named once: a lane_error already starts with the lane.
    const std::string where = lanes ? lanes->where() : "player '" + player + "'";
    const std::string what = e.what();
    // One write: the lanes of a job share mpirun's output, and their lines must not interleave.
    std::cerr << ("error: " + (what.rfind(where, 0) == 0 ? what : where + ": " + what) + "\n") << std::flush;
    int ranks = 1;
    MPI_Comm_size(mpi.world(), &ranks);
    if (ranks > 1) mpi.abort(2);
    return 2;
  }
}

/// A lane's bytes and rounds in one phase of the program (its own MPC instance's statistics).
inline nlohmann::json phase_json(const op_stats& s) {
  return {{"bytes_sent", s.bytes_sent}, {"bytes_received", s.bytes_received}, {"rounds", s.rounds}};
}

/// Prints the line of `player` in this lane (its statistics and party-internal bytes) and, with a
/// directory, writes them with the lane and K to DIR/PLAYER.lane-I.json.
inline void report_lane(const std::string& dir, const party_lanes& lanes, const std::string& player, nlohmann::json j) {
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
  if (!out) throw file_error(path, "cannot write the lane statistics");
  out << j.dump(2) << "\n";
}

}  // namespace tfe::scaleout
