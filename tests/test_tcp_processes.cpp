// tests/test_tcp_processes.cpp: one process per player on 127.0.0.1 (the player tool tfe_tcp_player,
// started with posix_spawn): the conformance sample (input, mul, matmul, relu, add, reveal) under every
// protocol (plain, Pond, and SecureNN and ABY3 when present) over TLS equals run_local bit for bit; scripts/launch_local.sh; and failures: a player that
// throws, a player killed mid-computation, a player that stops answering (SIGSTOP). Every surviving
// player must exit non-zero with an error naming the culprit within the timeout; none may hang.
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
  auto cs = start_players(
      hosts, dir,
      {"--scenario", "sample", "--protocol", protocol, "--seed", "7", "--timeout", "30", "--connect-timeout", "30"});
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
    auto [rc, text] = run("--insecure-plaintext --players server0,alice,bob", "--protocol plain", "plain");
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

TEST_CASE("processes: a player killed mid-computation, or one that stops answering, ends every other player") {
  using P = tfe::pond<tfe::ring64>;
  const auto names = sample_players<P>();
  const auto dir = scratch_dir("tcp-kill");
  make_certs(dir / "certs", names);
  auto ready = [&](const std::filesystem::path& d) {
    for (const auto& n : names)
      if (!std::filesystem::exists(d / ("out." + n + ".ready"))) return false;
    return true;
  };
  for (const std::string how : {"SIGKILL", "SIGSTOP"}) {
    CAPTURE(how);
    const auto sub = dir / how;
    std::filesystem::create_directories(sub);
    auto hosts = make_hosts(names, dir / "certs", "kill-" + how);
    auto cs = start_players(hosts, sub,
                            {"--scenario", "loop", "--iterations", "100000000", "--protocol", "pond", "--timeout", "2",
                             "--connect-timeout", "30"});
    const auto t0 = clock_type::now();
    while (!ready(sub) && clock_type::now() - t0 < 60s) std::this_thread::sleep_for(10ms);
    REQUIRE(ready(sub));
    std::this_thread::sleep_for(300ms);  // well inside the loop
    const auto hit = clock_type::now();
    ::kill(cs[1].pid, how == "SIGKILL" ? SIGKILL : SIGSTOP);  // server1
    std::vector<child> others;
    for (std::size_t i = 0; i < cs.size(); ++i)
      if (i != 1) others.push_back(cs[i]);
    const bool ended = wait_all(others, 20s);
    ::kill(cs[1].pid, SIGKILL);
    ::waitpid(cs[1].pid, nullptr, 0);
    CHECK_MESSAGE(ended, "a player hung");
    for (const auto& c : others) {
      CAPTURE(c.describe());
      if (c.name == "alice" || c.name == "bob") {  // idle in the loop: they may have finished before
        const bool fine = c.exited_with(0) || c.exited_with(3);
        CHECK(fine);
        continue;
      }
      CHECK(c.exited_with(3));
      const std::string log = slurp(c.log);
      CHECK_MESSAGE(contains(log, "'server1'"), log);
      const double after = std::chrono::duration<double>(c.ended - hit).count();
      // SIGKILL: the kernel closes server1's sockets, the readers see it at once. SIGSTOP: the receive
      // timeout (2 s) fires at the first waiting player, whose abort ends the others.
      CHECK(after < (how == "SIGKILL" ? 2.0 : 5.0));
      if (how == "SIGSTOP") CHECK_MESSAGE(contains(log, "received nothing from 'server1' within 2000 ms"), log);
      if (how == "SIGKILL") {
        const bool names_it =
            contains(log, "lost its connection to 'server1'") || contains(log, "sending to 'server1'");
        CHECK_MESSAGE(names_it, log);
      }
    }
  }
}
