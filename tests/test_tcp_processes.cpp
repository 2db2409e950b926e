// tests/test_tcp_processes.cpp: one process per player on 127.0.0.1 (the player tool tfe_tcp_player,
// started with posix_spawn): the conformance sample (input, mul, matmul, relu, add, reveal) under every
// protocol (plain, Pond, and SecureNN and ABY3 when present) over TLS equals run_local bit for bit; scripts/launch_local.sh; and failures: a player that
// throws; each player in turn killed mid-computation or stopped (SIGSTOP), under every protocol, and
// a server leaving early: every surviving player must exit non-zero with an error naming the culprit
// soon after, none may hang, no child is left; and servers computing for many receive timeouts are
// waited for (liveness: heartbeats, not fixed waits).
#include <doctest/doctest.h>

#include "test_tcp_common.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_tcp_processes {

namespace {

using namespace std::chrono_literals;
using namespace tfe_tcp_test;
using clock_type = std::chrono::steady_clock;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct child {
  std::string name;
  pid_t pid = -1;
  std::filesystem::path log;
  bool done = false;
  int status = 0;
  clock_type::time_point ended{};

  bool exited_with(int code) const { return done && WIFEXITED(status) && WEXITSTATUS(status) == code; }
  std::string describe() const {
    if (!done) return name + ": still running";
    if (WIFEXITED(status)) return name + ": exit " + std::to_string(WEXITSTATUS(status)) + "; output: " + slurp(log);
    return name + ": signal " + std::to_string(WTERMSIG(status));
  }
};

/// Starts argv[0] with stdout and stderr into `log`.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

/// Reaps the children until all ended or the deadline passed; the rest are killed (SIGKILL) and the
/// function returns false.
bool wait_all(std::vector<child>& cs, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    bool all = true;
    for (auto& c : cs) {
      if (c.done) continue;
      int st = 0;
      if (::waitpid(c.pid, &st, WNOHANG) == c.pid) {
        c.done = true;
        c.status = st;
        c.ended = clock_type::now();
      } else {
        all = false;
      }
    }
    if (all) return true;
    if (clock_type::now() > deadline) {
      for (auto& c : cs)
        if (!c.done) {
          ::kill(c.pid, SIGKILL);
          ::waitpid(c.pid, &c.status, 0);
        }
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
}

/// One tfe_tcp_player per player of `hosts` (saved as dir/hosts.json).
std::vector<child> start_players(const tfe::hosts_config& hosts, const std::filesystem::path& dir,
                                 const std::vector<std::string>& extra) {
  tfe::save_hosts(hosts, dir / "hosts.json");
  std::vector<child> cs;
  for (const auto& p : hosts.players) {
    child c;
    c.name = p.name;
    c.log = dir / (p.name + ".log");
    std::vector<std::string> argv = {TFE_TCP_PLAYER, "--hosts", (dir / "hosts.json").string(), "--player",
                                     p.name,         "--out",   (dir / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    c.pid = spawn(argv, c.log);
    cs.push_back(std::move(c));
  }
  return cs;
}

xt::xarray<double> from_json(const nlohmann::json& j) {
  auto shape = j.at("shape").get<std::vector<std::size_t>>();
  auto values = j.at("values").get<std::vector<double>>();
  xt::xarray<double> v = xt::xarray<double>::from_shape(shape);
  std::copy(values.begin(), values.end(), v.begin());
  return v;
}

template <class P>
void check_sample_over_processes(const std::string& protocol) {
  const auto names = sample_players<P>();
  const auto dir = scratch_dir("tcp-proc-" + protocol);
  make_certs(dir / "certs", names);
  auto hosts = make_hosts(names, dir / "certs", "proc-" + protocol);
  std::vector<std::string> args = {"--scenario", "sample", "--protocol",        protocol, "--seed", "7",
                                   "--timeout",  "30",     "--connect-timeout", "30"};
  if (protocol == "plain") args.push_back("--insecure-plain-protocol");  // no secrecy: asked for by name
  auto cs = start_players(hosts, dir, args);
  REQUIRE(wait_all(cs, 90s));
  for (const auto& c : cs) CHECK_MESSAGE(c.exited_with(0), c.describe());

  tfe::run_options ro;
  ro.session.insecure_deterministic_seed = 7;
  auto ref = tfe::run_local<P>(
      names, [](auto& s) { return sample_program(s); }, ro);
  const auto expected = sample_expected();
  for (std::size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i]);
    auto j = nlohmann::json::parse(slurp(dir / ("out." + names[i] + ".json")));
    CHECK(from_json(j.at("public_matmul")) == ref[i].public_matmul);
    const auto& at_alice = j.at("at_alice");
    REQUIRE(at_alice.size() == ref[i].at_alice.size());
    for (std::size_t k = 0; k < at_alice.size(); ++k) {
      CAPTURE(k);
      const auto got = from_json(at_alice[k]);
      CHECK(got == ref[i].at_alice[k]);  // bit for bit: same seed, same protocol, other transport
      const double err = xt::amax(xt::abs(got - expected[k]))();
      CHECK(err < 1e-3);
    }
  }
  CHECK(nlohmann::json::parse(slurp(dir / "out.alice.json")).at("at_alice").size() == 5);
}

}  // namespace

TEST_CASE("processes over TLS: the conformance sample under every protocol equals run_local") {
  SUBCASE("plain") { check_sample_over_processes<tfe::plain<tfe::ring64>>("plain"); }
  SUBCASE("pond") { check_sample_over_processes<tfe::pond<tfe::ring64>>("pond"); }
#if TFE_TCP_TEST_HAS_SECURENN
  SUBCASE("securenn") { check_sample_over_processes<tfe::securenn<tfe::ring64>>("securenn"); }
#endif
#if TFE_TCP_TEST_HAS_ABY3
  SUBCASE("aby3") { check_sample_over_processes<tfe::aby3<tfe::ring64>>("aby3"); }
#endif
}

TEST_CASE("scripts/launch_local.sh: every player a process; a failing player makes the script fail") {
  const auto dir = scratch_dir("tcp-launch");
  auto run = [&](const std::string& script_args, const std::string& tool_args, const std::string& sub) {
    const auto out = dir / (sub + ".txt");
    const std::string cmd = "bash '" TFE_SOURCE_DIR "/scripts/launch_local.sh' --timeout 60 --dir '" +
                            (dir / sub).string() + "' " + script_args + " -- '" TFE_TCP_PLAYER "' --out '" +
                            (dir / sub / "out").string() + "' --timeout 20 " + tool_args + " > '" + out.string() +
                            "' 2>&1";
    const int rc = std::system(cmd.c_str());
    return std::make_pair(rc, slurp(out));
  };
  SUBCASE("TLS, players from --list-players") {
    auto [rc, text] = run("", "", "tls");
    CHECK_MESSAGE(rc == 0, text);
    CHECK_MESSAGE(contains(text, "launch_local: crypto-producer: exit 0"), text);
    CHECK(std::filesystem::exists(dir / "tls" / "certs" / "ca.pem"));
    CHECK(nlohmann::json::parse(slurp(dir / "tls" / "out.alice.json")).at("at_alice").size() == 5);
  }
  SUBCASE("plaintext, explicit players, plain protocol") {
    auto [rc, text] =
        run("--insecure-plaintext --players server0,alice,bob", "--protocol plain --insecure-plain-protocol", "plain");
    CHECK_MESSAGE(rc == 0, text);
    CHECK(!std::filesystem::exists(dir / "plain" / "certs"));
  }
  SUBCASE("a player fails: the script exits non-zero and the others name it") {
    auto [rc, t] = run("", "--scenario fail", "fail");
    CHECK(rc != 0);
    CHECK_MESSAGE(contains(t, "[bob] error: bob: bob gives up"), t);
    // bob's own message stays with bob: the others learn that he failed and the kind of error.
    CHECK_MESSAGE(contains(t, "player 'bob' aborted the computation: std::runtime_error"), t);
    CHECK_MESSAGE(!contains(t, "aborted the computation: bob gives up"), t);
    CHECK_MESSAGE(contains(t, "launch_local: FAILED"), t);
  }
  SUBCASE("an out-of-range private input: only its owner's error names the value") {
    auto [rc, t] = run("", "--scenario bad-input", "bad-input");
    CHECK(rc != 0);
    std::size_t alice_lines = 0, other_lines = 0, others_naming_alice = 0;
    std::istringstream lines(t);
    for (std::string line; std::getline(lines, line);) {
      if (!contains(line, "error")) continue;
      if (line.rfind("[alice]", 0) == 0) {
        ++alice_lines;
        CHECK_MESSAGE(contains(line, "123456789.5"), line);  // the owner sees the whole message
      } else if (line.rfind("[", 0) == 0) {
        ++other_lines;
        CHECK_MESSAGE(!contains(line, "123456789"), line);  // nobody else sees the value
        others_naming_alice += contains(line, "player 'alice' aborted the computation: tfe::encoding_error");
      }
    }
    CHECK_MESSAGE(alice_lines >= 1, t);
    CHECK_MESSAGE(other_lines >= 4, t);
    CHECK_MESSAGE(others_naming_alice >= 4, t);
  }
}

namespace {

/// Waits until every player wrote PREFIX.NAME.ready (after the set-up and the inputs).
bool wait_ready(const std::filesystem::path& dir, const std::vector<std::string>& names,
                std::chrono::milliseconds timeout) {
  const auto t0 = clock_type::now();
  for (;;) {
    bool all = true;
    for (const auto& n : names) all = all && std::filesystem::exists(dir / ("out." + n + ".ready"));
    if (all) return true;
    if (clock_type::now() - t0 > timeout) return false;
    std::this_thread::sleep_for(10ms);
  }
}

/// No child of this test process is left: every player was reaped (no zombie, none still running).
bool no_children_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

/// The fault runs of one protocol: each player in turn is killed (SIGKILL) or stopped (SIGSTOP: an
/// open socket, a silent peer) at one of two points of the loop scenario (just after the inputs, or
/// well inside the products; alice and bob wait for the result all along). Every other player must
/// exit with a channel_error (3) naming it, soon after: a killed peer is seen at once (its sockets
/// close), a stopped one after the 2 s silence of the receive timeout. Then one server ends its
/// program early (a proper goodbye, in the middle of the products): the others must fail naming it.
template <class P>
void check_fault_runs(const std::string& protocol) {
  const auto names = sample_players<P>();
  const auto dir = scratch_dir("tcp-faults-" + protocol);
  make_certs(dir / "certs", names);
  // The servers pause 2 ms before each product: still mid-computation when the fault hits (messages
  // moving, alice and bob waiting), without keeping both cores busy for the seconds until it is noticed.
  const std::vector<std::string> loop_args = {"--scenario", "loop", "--iterations",      "100000000",
                                              "--pace-ms",  "2",    "--protocol",        protocol,
                                              "--timeout",  "2",    "--connect-timeout", "30"};
  for (std::size_t victim = 0; victim < names.size(); ++victim)
    for (const std::string how : {"SIGKILL", "SIGSTOP"}) {
      const auto point = (victim + (how == "SIGKILL" ? 0 : 1)) % 2 == 0 ? 50ms : 700ms;
      CAPTURE(names[victim]);
      CAPTURE(how);
      CAPTURE(point.count());
      const auto sub = dir / (names[victim] + "-" + how);
      std::filesystem::create_directories(sub);
      auto hosts = make_hosts(names, dir / "certs", "fault-" + protocol + "-" + names[victim] + "-" + how);
      auto cs = start_players(hosts, sub, loop_args);
      const bool ready = wait_ready(sub, names, 60s);
      if (ready) std::this_thread::sleep_for(point);
      const auto hit = clock_type::now();
      ::kill(cs[victim].pid, how == "SIGKILL" ? SIGKILL : SIGSTOP);
      std::vector<child> others;
      for (std::size_t i = 0; i < cs.size(); ++i)
        if (i != victim) others.push_back(cs[i]);
      const bool ended = wait_all(others, 20s);
      ::kill(cs[victim].pid, SIGKILL);
      ::waitpid(cs[victim].pid, nullptr, 0);
      REQUIRE(ready);
      CHECK_MESSAGE(ended, "a player hung");
      CHECK(no_children_left());
      for (const auto& c : others) {
        CAPTURE(c.describe());
        CHECK(c.exited_with(3));
        const std::string log = slurp(c.log);
        CHECK_MESSAGE(contains(log, "'" + names[victim] + "'"), log);
        const double after = std::chrono::duration<double>(c.ended - hit).count();
        CHECK(after < (how == "SIGKILL" ? 2.0 : 5.0));
        if (how == "SIGSTOP") {  // whoever noticed first says why; the others pass its words on
          CHECK_MESSAGE(contains(log, "heard nothing from '" + names[victim] + "'"), log);
          CHECK_MESSAGE(contains(log, "not even a heartbeat"), log);
        }
      }
    }
  // A server that ends its program in the middle of the products (closing its channel properly).
  const std::string quitter = names[0];
  const auto sub = dir / "quit";
  std::filesystem::create_directories(sub);
  auto args = loop_args;
  args.insert(args.end(), {"--quit", quitter, "--quit-after-ms", "300"});
  auto cs = start_players(make_hosts(names, dir / "certs", "fault-" + protocol + "-quit"), sub, args);
  const bool ended = wait_all(cs, 60s);
  CHECK_MESSAGE(ended, "a player hung");
  CHECK(no_children_left());
  CHECK_MESSAGE(cs[0].exited_with(0), cs[0].describe());
  for (std::size_t i = 1; i < cs.size(); ++i) {
    CAPTURE(cs[i].describe());
    CHECK(cs[i].exited_with(3));
    CHECK_MESSAGE(contains(slurp(cs[i].log), "'" + quitter + "'"), slurp(cs[i].log));
  }
}

/// The servers compute for 2.5 s (five receive timeouts of 0.5 s) before alice and bob hear from
/// them: alive peers are waited for, however long they compute. Everybody succeeds, and alice and
/// bob receive x·y.
template <class P>
void check_long_wait(const std::string& protocol) {
  const auto names = sample_players<P>();
  const auto dir = scratch_dir("tcp-long-wait-" + protocol);
  make_certs(dir / "certs", names);
  auto cs = start_players(make_hosts(names, dir / "certs", "long-wait-" + protocol), dir,
                          {"--scenario", "loop", "--iterations", "20", "--busy-ms", "2500", "--protocol", protocol,
                           "--timeout", "0.5", "--connect-timeout", "30"});
  REQUIRE(wait_all(cs, 90s));
  for (const auto& c : cs) CHECK_MESSAGE(c.exited_with(0), c.describe());
  sample_inputs in;
  const xt::xarray<double> expected = in.x * in.y;
  for (const std::string receiver : {"alice", "bob"}) {
    CAPTURE(receiver);
    const auto got = from_json(nlohmann::json::parse(slurp(dir / ("out." + receiver + ".json"))).at("z"));
    REQUIRE(got.shape() == expected.shape());
    CHECK(xt::amax(xt::abs(got - expected))() < 1e-3);
  }
}

}  // namespace

TEST_CASE("processes: servers computing for five receive timeouts are waited for, under every protocol") {
  SUBCASE("pond") { check_long_wait<tfe::pond<tfe::ring64>>("pond"); }
#if TFE_TCP_TEST_HAS_SECURENN
  SUBCASE("securenn") { check_long_wait<tfe::securenn<tfe::ring64>>("securenn"); }
#endif
#if TFE_TCP_TEST_HAS_ABY3
  SUBCASE("aby3") { check_long_wait<tfe::aby3<tfe::ring64>>("aby3"); }
#endif
}

TEST_CASE("processes: each player in turn killed or stopped, or a server leaving early, ends every other player") {
  SUBCASE("pond") { check_fault_runs<tfe::pond<tfe::ring64>>("pond"); }
#if TFE_TCP_TEST_HAS_SECURENN
  SUBCASE("securenn") { check_fault_runs<tfe::securenn<tfe::ring64>>("securenn"); }
#endif
#if TFE_TCP_TEST_HAS_ABY3
  SUBCASE("aby3") { check_fault_runs<tfe::aby3<tfe::ring64>>("aby3"); }
#endif
}

}  // namespace test_tcp_processes
