// python/src/session_api.hpp: Session_<protocol> (the privacy policy of tfe::session<P>) and
// _run_<protocol>, which runs a Python program for every player (tfe::run_program: every player on
// its own thread here, or one player of several processes with hosts/player). bind_protocol<P>
// binds both and the tensor classes; python/src/protocol_<name>.cpp instantiates it once per protocol.
#pragma once

#include "stats_api.hpp"
#include "tensor_api.hpp"

#include "tfe/runtime/launch.hpp"

#include <chrono>
#include <exception>
#include <vector>

namespace tfe::python {

/// A provider for session::define_*_input: calls the Python `provider` (with the GIL) at the owner.
inline auto python_provider(const py::function& provider, const char* what) {
  return [&provider, what] {
    py::gil_scoped_acquire gil;
    return to_xarray(provider(), what);
  };
}

template <class P>
void bind_session(py::module_& m, const std::string& name) {
  using S = py_session<P>;
  using T = py_private<P>;
  py::class_<S, session_base, std::shared_ptr<S>>(m, ("Session_" + name).c_str())
      .def_property_readonly("id", [](const S& s) { return s.get().id(); })
      .def_property_readonly("players", [](const S& s) { return s.get().players(); })
      .def_property_readonly("resolution", [](const S& s) { return s.get().fixed_point().resolution(); })
      .def(
          "define_private_input",
          [](S& self, const std::string& owner, py::function provider) {
            auto& s = self.get();
            auto input = python_provider(provider, "define_private_input: the provider's result");
            return T(self.shared_from_this(), without_gil([&] { return s.define_private_input(owner, input); }));
          },
          py::arg("owner"), py::arg("provider"))
      .def(
          "define_public_input",
          [](S& self, const std::string& owner, py::function provider) {
            auto& s = self.get();
            auto input = python_provider(provider, "define_public_input: the provider's result");
            return py_public<P>(self.shared_from_this(),
                                without_gil([&] { return s.define_public_input(owner, input); }));
          },
          py::arg("owner"), py::arg("provider"))
      .def(
          "define_output",
          [](S& self, const std::string& receiver, py::function consumer, py::handle x) {
            auto& s = self.get();
            if (py::isinstance<T>(x)) {
              const auto& v = x.cast<const T&>().get();
              auto out = without_gil([&] { return s.reveal_to(receiver, v); });
              if (out) consumer(to_numpy(*out));
              return;
            }
            std::vector<private_tensor<P>> vs;
            for (py::handle t : x) {
              if (!py::isinstance<T>(t))
                throw py::type_error("define_output: expected a private tensor of this session or a list of them");
              vs.push_back(t.cast<const T&>().get());
            }
            std::vector<xt::xarray<double>> outs;
            without_gil([&] {
              s.define_output(
                  receiver, [&](const auto& values) { outs = values; }, vs);
            });
            if (outs.empty()) return;
            py::list l;
            for (const auto& o : outs) l.append(to_numpy(o));
            consumer(l);
          },
          py::arg("receiver"), py::arg("consumer"), py::arg("x"))
      .def(
          "reveal_to",
          [](S& self, const std::string& receiver, const T& x) -> py::object {
            auto& s = self.get();
            const auto& v = x.get();
            auto out = without_gil([&] { return s.reveal_to(receiver, v); });
            if (!out) return py::none();
            return to_numpy(*out);
          },
          py::arg("receiver"), py::arg("x"))
      .def("reveal_to_all",
           [](S& self, const T& x) {
             auto& s = self.get();
             const auto& v = x.get();
             return py_public<P>(self.shared_from_this(), without_gil([&] { return s.reveal_to_all(v); }));
           })
      .def("constant",
           [](S& self, py::handle value) {
             return py_public<P>(self.shared_from_this(), self.get().constant(to_xarray(value, "constant")));
           })
      .def("stats", [](const S& self) { return stats_dict(self.get().stats(), std::nullopt); });
}

/// _run_<protocol>(players, program, settings): program(session) for every player run here; returns
/// the list of its results in player order (None for players of other processes).
template <class P>
py::list run_python_program(const std::vector<std::string>& players, const py::function& program,
                            const launch_settings& settings, const std::string& protocol) {
  std::vector<py::object> results(players.size()), failures(players.size());
  auto body = [&](session<P>& s) {
    py::gil_scoped_acquire gil;
    auto handle = std::make_shared<py_session<P>>(s, protocol);
    struct end_at_exit {
      py_session<P>& h;
      ~end_at_exit() { h.end(); }
    } end{*handle};
    try {
      results.at(s.id()) = program(handle);
    } catch (py::error_already_set& e) {
      failures.at(s.id()) = e.value();
      throw python_failure(s.id(), e.what());
    }
  };
  launch_options base;
  base.session = settings.session();
  std::exception_ptr failure;
  without_gil([&] {
    try {
      run_program<P>(settings.flags(), players, body, base);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  if (failure) raise_run_failure(failure, failures);
  py::list out;
  for (auto& r : results) out.append(r ? r : py::none());
  return out;
}

template <class P>
void bind_protocol(py::module_& m, const std::string& name) {
  bind_tensors<P>(m, name);
  bind_session<P>(m, name);
  bind_stats<P>(m);
  m.def(("_run_" + name).c_str(),
        [name](const std::vector<std::string>& players, const py::function& program, const launch_settings& settings) {
          return run_python_program<P>(players, program, settings, name);
        });
}

}  // namespace tfe::python
