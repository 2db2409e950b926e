// tests/test_tcp_common.hpp: what the TCP tests and their player tool share: scratch directories,
// certificates (scripts/make_certs.sh), loopback hosts files (tfe::loopback_hosts), and the programs
// run over TCP (so a test can compare a multi-process run with run_local of the very same program).
#pragma once

#include "tfe/net/hosts.hpp"
#include "tfe/tfe.hpp"

// The protocols that joined after plain and Pond, when present in this tree.
#if __has_include("tfe/protocol/securenn/securenn.hpp")
#include "tfe/protocol/securenn/securenn.hpp"
#define TFE_TCP_TEST_HAS_SECURENN 1
#endif
#if __has_include("tfe/protocol/aby3/aby3.hpp")
#include "tfe/protocol/aby3/aby3.hpp"
#define TFE_TCP_TEST_HAS_ABY3 1
#endif

#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfe_tcp_test {

using dvec = xt::xarray<double>;

/// Removes the scratch directories when the test program ends (unless TFE_KEEP_TEST_DIRS is set).
struct scratch_registry {
  std::vector<std::filesystem::path> dirs;
  ~scratch_registry() {
    if (std::getenv("TFE_KEEP_TEST_DIRS")) return;
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};

/// A fresh directory under the system temp directory, removed at exit.
inline std::filesystem::path scratch_dir(const std::string& tag) {
  static scratch_registry registry;
  std::string tmpl = (std::filesystem::temp_directory_path() / ("tfe-" + tag + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  registry.dirs.emplace_back(tmpl);
  return tmpl;
}

#ifdef TFE_SOURCE_DIR
/// Runs scripts/make_certs.sh DIR NAMES... (the openssl command).
inline void make_certs(const std::filesystem::path& dir, const std::vector<std::string>& names,
                       const std::string& env = "") {
  std::string cmd = env + " bash '" TFE_SOURCE_DIR "/scripts/make_certs.sh' '" + dir.string() + "'";
  for (const auto& n : names) cmd += " '" + n + "'";
  cmd += " >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make_certs.sh failed: " + cmd);
}
#endif

/// A hosts configuration for `names` on 127.0.0.1 with fresh ports; certificates from `cert_dir`
/// (made by make_certs) unless it is empty.
inline tfe::hosts_config make_hosts(const std::vector<std::string>& names, const std::filesystem::path& cert_dir,
                                    const std::string& run_id = "test-run") {
  return tfe::loopback_hosts(names, cert_dir, run_id, "<test>");
}

// ---- the conformance sample: input, mul, matmul, relu, add, reveal ------------------------------------

template <class P>
std::vector<std::string> sample_players() {
  auto v = P::default_players();
  v.push_back("alice");
  v.push_back("bob");
  return v;
}

/// Deterministic inputs (no RNG): alice's x (3x4), bob's y (3x4) and w (4x2), in [-2, 2].
struct sample_inputs {
  dvec x = dvec::from_shape({3, 4}), y = dvec::from_shape({3, 4}), w = dvec::from_shape({4, 2});
  sample_inputs() {
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = 2 * std::sin(1.0 + 1.7 * double(i));
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = 2 * std::cos(0.3 + 2.3 * double(i));
    for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] = std::sin(0.5 + 0.9 * double(i));
    x(0, 0) = 0.0;  // relu at 0
  }
};

/// The double-precision results of the sample, in the program's output order.
inline std::vector<dvec> sample_expected() {
  sample_inputs in;
  const std::size_t n = 3, k = 4, m = 2;
  dvec mm = dvec::from_shape({n, m});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      double s = 0;
      for (std::size_t t = 0; t < k; ++t) s += in.x(i, t) * in.w(t, j);
      mm(i, j) = s;
    }
  return {dvec(in.x * in.y), mm, dvec(xt::maximum(in.x, 0.0)), dvec(in.x + in.y), mm};
}

/// What every player returns: the outputs revealed to alice (alice only) and the public matmul.
struct sample_result {
  std::vector<dvec> at_alice;
  dvec public_matmul;
};

template <class S>
sample_result sample_program(S& s) {
  sample_inputs in;
  auto X = s.define_private_input("alice", [&] { return in.x; });
  auto Y = s.define_private_input("bob", [&] { return in.y; });
  auto W = s.define_private_input("bob", [&] { return in.w; });
  auto prod = X * Y;
  auto mm = tfe::matmul(X, W);
  auto r = tfe::relu(X);
  auto sum = X + Y;
  sample_result res;
  for (const auto* t : {&prod, &mm, &r, &sum}) {
    auto v = s.reveal_to("alice", *t);
    if (v) res.at_alice.push_back(std::move(*v));
  }
  res.public_matmul = s.reveal_to_all(mm).decode();
  if (s.name() == "alice") res.at_alice.push_back(res.public_matmul);
  return res;
}

}  // namespace tfe_tcp_test
