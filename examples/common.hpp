// examples/common.hpp: what the example programs share: picking a protocol by name, flags, and the
// comparison with the plaintext reference protocol.
#pragma once

#include <tfe/keras.hpp>
#include <tfe/protocol/registry.hpp>
#include <tfe/runtime/cli.hpp>
#include <tfe/tfe.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

/// Calls f.template operator()<P>() for the protocol named on the command line (the library's one
/// name → type table, tfe/protocol/registry.hpp).
template <class F>
void with_protocol(const std::string& name, F&& f) {
  tfe::with_protocol(name, std::forward<F>(f));
}

/// The players of a program under P: the protocol's own (P::default_players(), e.g. Pond's two
/// servers and crypto producer, ABY3's three servers), then the input/output players.
template <class P>
std::vector<std::string> players(const std::vector<std::string>& io_players) {
  std::vector<std::string> all = P::default_players();
  all.insert(all.end(), io_players.begin(), io_players.end());
  return all;
}

/// The reference protocol on the same ring as P.
template <class P>
using reference_of = tfe::plain<typename P::ring>;

/// The flags every example takes (CLI11), plus the example's own (the `extra` hook of parse).
struct flags {
  std::string protocol = "pond";
  bool check = false;  // exit non-zero when the difference from plain exceeds the bound
  bool small = false;  // small inputs (for ctest)
  /// One process per player (tfe/runtime/launch.hpp): --hosts FILE --player NAME, --insecure-plaintext,
  /// --simulate lan|wan, ...; without --hosts every player runs in this process.
  tfe::launch_flags launch;

  /// Whether `player` runs in this process (all of them do without --hosts).
  bool runs_here(const std::string& player) const { return launch.hosts.empty() || launch.player == player; }
  /// Whether every player runs in this process.
  bool all_here() const { return launch.hosts.empty(); }

  /// The same flags for a computation that always runs every player here (the plaintext reference
  /// the receiver of the results computes locally to compare with).
  flags local() const {
    flags l = *this;
    l.launch = tfe::launch_flags{};
    return l;
  }

  /// Parses --protocol, --small, --check, the launch flags and whatever `extra` adds to the app.
  static flags parse(int argc, char** argv, const std::function<void(CLI::App&)>& extra = {},
                     const std::string& default_protocol = "pond") {
    flags f;
    f.protocol = default_protocol;
    CLI::App app{
        "a tfe example; every player runs in this process unless --hosts/--player say otherwise "
        "(scripts/launch_local.sh -- PROGRAM ARGS runs every player as a process on 127.0.0.1)"};
    app.add_option("--protocol", f.protocol, tfe::protocol_names_str() + " (default " + default_protocol + ")");
    app.add_flag("--small", f.small, "small inputs (ctest)");
    app.add_flag("--check", f.check, "exit 1 when the result is farther from the plain protocol than documented");
    f.launch.add_to(app);
    if (extra) extra(app);
    tfe::parse_command_line(app, f.launch, argc, argv);
    return f;
  }
};

/// Runs `program` for every player here (tfe::run_local, or over the simulated network with
/// --simulate), or, with --hosts/--player, only for that player over TCP/TLS (tfe::run_player).
/// Returns one std::optional per player: present for the players that ran in this process.
template <class P, class F>
auto run(const flags& f, const std::vector<std::string>& players, F&& program) {
  return tfe::run_program<P>(f.launch, players, std::forward<F>(program));
}

/// In a process that runs one player that does not receive the results: says so and returns true.
inline bool done_elsewhere(const flags& f, const std::string& receiver) {
  if (f.runs_here(receiver)) return false;
  std::cout << "player " << f.launch.player << ": done (the results go to " << receiver << ")\n";
  return true;
}

inline double max_abs_diff(const xt::xarray<double>& a, const xt::xarray<double>& b) {
  if (a.shape() != b.shape()) throw std::runtime_error("results have different shapes");
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a.data()[i] - b.data()[i]));
  return m;
}

/// The largest absolute difference between two lists of weights (same order, same shapes): a model
/// trained under a protocol against the same training on plain.
inline double max_abs_diff(const std::vector<xt::xarray<double>>& a, const std::vector<xt::xarray<double>>& b) {
  if (a.size() != b.size()) throw std::runtime_error("the models have different numbers of weights");
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, max_abs_diff(a[i], b[i]));
  return m;
}

/// The exit code of a training example under --check: 1 (saying so) when the encrypted training's
/// weights are farther than `weight_bound` from the plain training's, or its test accuracy more than
/// 2 points from plain's; else 0.
inline int check_training(const flags& f, double weight_diff, double weight_bound, double acc_enc, double acc_ref) {
  if (f.check && (weight_diff > weight_bound || std::fabs(acc_enc - acc_ref) > 0.02)) {
    std::cerr << "FAILED: the encrypted training is not close to the plain one\n";
    return 1;
  }
  return 0;
}

/// Prints the difference from plain and returns the exit code under --check.
inline int report(const flags& f, const std::string& what, double diff, double bound) {
  std::cout << "largest absolute difference from the plain protocol (" << what << "): " << diff << " (bound " << bound
            << ")\n";
  if (f.check && !(diff <= bound)) {
    std::cerr << "FAILED: difference " << diff << " exceeds the documented bound " << bound << "\n";
    return 1;
  }
  return 0;
}

/// A small deterministic data generator for the examples' synthetic data sets (NOT protocol
/// randomness: the protocols draw theirs from tfe::prg): the model owner's splitmix64 generator of
/// tfe::keras, plus Box-Muller normals.
class data_rng : public tfe::keras::init_rng {
 public:
  using init_rng::init_rng;
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

}  // namespace examples

namespace examples {

/// Plain double matrix product for the players' local (plaintext) work.
inline xt::xarray<double> dmatmul(const xt::xarray<double>& a, const xt::xarray<double>& b) {
  const std::size_t n = a.shape()[0], k = a.shape()[1], m = b.shape()[1];
  if (b.shape()[0] != k) throw std::runtime_error("dmatmul: shapes are not aligned");
  xt::xarray<double> c = xt::zeros<double>({n, m});
  // Row-major xarrays, indexed through their flat data: element access through xtensor's operator()
  // costs several calls per element in the unoptimized test build, where this is most of an example's time.
  const double* ad = a.data();
  const double* bd = b.data();
  double* cd = c.data();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t p = 0; p < k; ++p) {
      const double av = ad[i * k + p];
      const double* brow = bd + p * m;
      double* crow = cd + i * m;
      for (std::size_t j = 0; j < m; ++j) crow[j] += av * brow[j];
    }
  return c;
}

inline std::vector<int> argmax_rows(const xt::xarray<double>& logits) {
  std::vector<int> out(logits.shape()[0]);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < logits.shape()[1]; ++j)
      if (logits(i, j) > logits(i, best)) best = j;
    out[i] = static_cast<int>(best);
  }
  return out;
}

}  // namespace examples
