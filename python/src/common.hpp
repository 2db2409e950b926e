// python/src/common.hpp: what the parts of the Python module tfe._core share: numpy <-> xarray
// conversion, statistics as dicts, the C++ -> Python error mapping, and running C++ without the GIL.
//
// The GIL: every player of a computation runs in its own thread (tfe::run_local), and the Python
// program of each player runs in that thread. The module releases the GIL whenever C++ computes or
// waits for a peer (an op, a reveal, a whole run) and takes it back only to call Python (the program,
// the input providers, the output consumers) and to convert values. A player blocked on a receive
// therefore never holds the GIL, and every player's Python code makes progress.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "tfe/config.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/net/statistics.hpp"
#include "tfe/runtime/launch.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tfe::python {

namespace py = pybind11;

/// Any array-like (numpy array of any real dtype, list, scalar) as a float64 tensor; TypeError
/// naming `what` when it is not one.
xt::xarray<double> to_xarray(py::handle obj, const char* what);

/// A float64 numpy array holding a copy of `x`.
py::array_t<double> to_numpy(const xt::xarray<double>& x);

/// {"bytes_sent", "bytes_received", "messages_sent", "messages_received", "rounds"} of one op_stats.
py::dict op_stats_dict(const op_stats& s);
/// One player's statistics: the totals as in op_stats_dict, "seconds" when given, and "by_tag".
py::dict stats_dict(const statistics& s, std::optional<double> seconds);

/// The Python exception object (an instance of the tfe.errors class, or of the built-in class for
/// std::bad_alloc, std::invalid_argument, ...) for a C++ exception; needs the GIL.
py::object exception_object(std::exception_ptr e);

/// Registers the translator that turns every tfe::error escaping a binding into its tfe.errors class.
void register_error_translator();

/// Raises (as py::error_already_set) the failure of `player`: tfe.errors._raise_player_failure with
/// the Python exception `exc`. Needs the GIL.
[[noreturn]] void raise_player_failure(const std::string& player, const py::object& exc);

/// Raises the failure of a run in Python: a player_error as tfe.PlayerError (+ the original's class),
/// a player's own Python exception (python_failure, below) as itself, anything else through the error
/// translator. `python_exceptions[i]` is the exception player i's Python code raised, if any.
[[noreturn]] void raise_run_failure(std::exception_ptr failure, const std::vector<py::object>& python_exceptions);

/// A Python exception raised by a player's Python code, carried through the C++ runner as a C++
/// exception: the exception object itself stays with the run (it needs the GIL), indexed by player.
class python_failure : public error {
 public:
  python_failure(std::size_t player, const std::string& what) : error(what), m_player(player) {}
  std::size_t player() const { return m_player; }
  const char* kind() const noexcept override { return "a Python exception"; }

 private:
  std::size_t m_player;
};

/// Calls f() with the GIL released (the GIL is taken back before returning or throwing).
template <class F>
decltype(auto) without_gil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

/// The launch settings tfe.run and tfe.predict take as keyword arguments.
struct launch_settings {
  std::string hosts;
  std::string player;
  std::size_t threads = 0;
  double timeout = 60;
  bool insecure_plaintext = false;

  /// The same as tfe's launch flags (--hosts, --player, --timeout, --insecure-plaintext).
  launch_flags flags() const {
    launch_flags f;
    f.hosts = hosts;
    f.player = player;
    f.recv_timeout = timeout;
    f.insecure_plaintext = insecure_plaintext;
    return f;
  }
  /// The session options (threads per player: 0 is the default, the cores divided among the players).
  session_options session() const {
    session_options o;
    o.threads = threads;
    return o;
  }
};

}  // namespace tfe::python
