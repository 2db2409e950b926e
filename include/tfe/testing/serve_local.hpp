// tfe/testing/serve_local.hpp: tfe_serve's servers as processes on 127.0.0.1, for the serving tests
// (tests/test_serve_processes.cpp) and benchmark (benchmarks/bench_serve.cpp).
//
//   tfe::testing::local_serving d({.serve_bin = ..., .source_dir = ..., .dir = ..., .protocol = "aby3",
//                                  .model = "m.onnx", .clients = {"alice"}});
//   // the servers run and hold the model (the owner has shared it and exited)
//   d.client_options("alice")    // serve::client_options for that client's certificate
//
// It makes the certificates (scripts/make_certs.sh: every player, every client, and "mallory", signed
// by the same CA but on no list), a hosts file with a fresh port per player and a client_port per
// client-facing server ("clients": the given names), starts one tfe_serve per server (their output in
// dir/NAME.log) and runs the model owner to its end. child_process kills (SIGKILL) what still runs
// when it is destroyed, so nothing outlives a failed test.
#pragma once

#include "tfe/config.hpp"
#include "tfe/net/hosts.hpp"
#include "tfe/serve/client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace tfe::testing {

/// A child process with its stdout and stderr in a log file.
class child_process {
 public:
  child_process(const std::vector<std::string>& argv, std::filesystem::path log) : m_log(std::move(log)) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&m_pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    TFE_ENFORCE(rc == 0, config_error, "cannot start ", argv[0], ": ", std::strerror(rc));
  }
  child_process(child_process&& o) noexcept
      : m_log(std::move(o.m_log)), m_pid(std::exchange(o.m_pid, -1)), m_status(o.m_status) {}
  child_process& operator=(child_process&&) = delete;
  ~child_process() {
    if (m_pid > 0 && !m_status) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
    }
  }
  void signal(int sig) const { ::kill(m_pid, sig); }
  /// Waits up to `timeout` for the exit: its code, or -1 when killed by a signal or still running.
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_status) {
      int st = 0;
      if (::waitpid(m_pid, &st, WNOHANG) == m_pid) {
        m_status = st;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(*m_status) ? WEXITSTATUS(*m_status) : -1;
  }
  std::string output() const {
    std::ifstream in(m_log);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path m_log;
  pid_t m_pid = -1;
  std::optional<int> m_status;
};

struct serving_setup {
  std::string serve_bin;   ///< the tfe_serve executable
  std::string source_dir;  ///< tfe's source tree (scripts/make_certs.sh)
  std::filesystem::path dir;
  std::string protocol = "aby3";
  std::string model;
  std::vector<std::string> clients;
  std::vector<std::string> server_args;  ///< more tfe_serve flags for every server (--batch, ...)
};

/// Servers of setup.protocol serving setup.model on 127.0.0.1 (see the top of this header).
class local_serving {
 public:
  explicit local_serving(serving_setup setup) : m_setup(std::move(setup)) {
    const auto layout = serve::layout_of(m_setup.protocol);
    m_servers_names = layout.protocol == "aby3" ? std::vector<std::string>{"server0", "server1", "server2"}
                                                : std::vector<std::string>{"server0", "server1", "crypto-producer"};
    auto players = m_servers_names;
    players.push_back("model-owner");
    std::string cmd =
        "bash '" + m_setup.source_dir + "/scripts/make_certs.sh' '" + (m_setup.dir / "certs").string() + "'";
    for (const auto& n : players) cmd += " '" + n + "'";
    for (const auto& n : m_setup.clients) cmd += " '" + n + "'";
    cmd += " mallory >/dev/null";
    TFE_ENFORCE(std::system(cmd.c_str()) == 0, config_error, "make_certs.sh failed: ", cmd);
    auto j = to_json(loopback_hosts(players, m_setup.dir / "certs", "serve-" + m_setup.protocol));
    const auto ports = free_loopback_ports(players.size() + layout.servers);  // all distinct: one call
    for (std::size_t i = 0; i < players.size(); ++i) j["players"][i]["port"] = ports[i];
    for (std::size_t i = 0; i < layout.servers; ++i) j["players"][i]["client_port"] = ports[players.size() + i];
    j["clients"] = m_setup.clients;
    std::ofstream(m_setup.dir / "hosts.json") << j.dump(2);
    for (const auto& n : m_servers_names) {
      std::vector<std::string> argv = {m_setup.serve_bin, "--hosts",       hosts(), "--player", n,
                                       "--protocol",      m_setup.protocol};
      argv.insert(argv.end(), m_setup.server_args.begin(), m_setup.server_args.end());
      servers.emplace_back(argv, m_setup.dir / (n + ".log"));
    }
    child_process owner({m_setup.serve_bin, "--hosts", hosts(), "--player", "model-owner", "--protocol",
                         m_setup.protocol, "--model", m_setup.model},
                        m_setup.dir / "model-owner.log");
    TFE_ENFORCE(owner.wait(std::chrono::minutes(2)) == 0, config_error, "the model owner failed: ", owner.output());
  }

  std::string hosts() const { return (m_setup.dir / "hosts.json").string(); }
  std::string file(const std::string& name) const { return (m_setup.dir / name).string(); }
  const std::vector<std::string>& server_names() const { return m_servers_names; }

  /// The C++ client's options for `client` (its certificate from make_certs.sh).
  serve::client_options client_options(const std::string& client) const {
    serve::client_options o;
    o.hosts = hosts();
    o.cert = file("certs/" + client + ".pem");
    o.key = file("certs/" + client + ".key");
    return o;
  }
  /// Starts `client_bin` (tfe_client) as `client` on `input`, writing `output` when not empty.
  child_process client(const std::string& client_bin, const std::string& client, const std::string& input,
                       const std::string& output, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {client_bin,
                                     "--hosts",
                                     hosts(),
                                     "--cert",
                                     file("certs/" + client + ".pem"),
                                     "--key",
                                     file("certs/" + client + ".key"),
                                     "--input",
                                     input};
    if (!output.empty()) argv.insert(argv.end(), {"--output", output});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return child_process(argv, m_setup.dir / (client + "-" + std::to_string(++m_client_runs) + ".log"));
  }

  std::vector<child_process> servers;  ///< in the hosts file's order

 private:
  serving_setup m_setup;
  std::vector<std::string> m_servers_names;
  int m_client_runs = 0;
};

}  // namespace tfe::testing
