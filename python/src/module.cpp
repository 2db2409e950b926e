// python/src/module.cpp: the extension module tfe._core (the Python package tfe wraps it: python/tfe/).
//
//   _predict(model, inputs, protocol, batch, settings)   programs/graph_runner.hpp's run_graph
//   _plan(model, examples, batch, protocols, networks)    programs/plan.hpp's plan_graph (tfe.plan)
//   _run_<protocol>(players, program, settings)          python/src/session_api.hpp, per protocol
//   Session, PrivateTensor, PublicTensor                 bases of the per-protocol classes
#include "common.hpp"
#include "graph_runner.hpp"
#include "handles.hpp"
#include "plan.hpp"

#include "tfe/io/idx.hpp"
#include "tfe/onnx/model_file.hpp"
#include "tfe/protocol/registry.hpp"

#include <pybind11/stl.h>

namespace tfe::python {

void bind_plain(py::module_& m);
void bind_pond(py::module_& m);
void bind_aby3(py::module_& m);

namespace {

/// f() run without the GIL; what it throws is raised as the matching Python exception (with the GIL).
template <class F>
auto without_gil_or_raise(F&& f) {
  std::exception_ptr failure;
  auto r = without_gil([&] {
    try {
      return f();
    } catch (...) {
      failure = std::current_exception();
      return decltype(f()){};
    }
  });
  if (failure) raise_run_failure(failure, {});
  return r;
}

/// The model of tfe.predict: a path (str or os.PathLike) or the bytes of an .onnx file or a tfe model file.
std::function<graph::saved_graph()> model_loader(py::object model) {
  if (model.is_none())
    return []() -> graph::saved_graph {
      throw config_error("tfe.predict: the model owner needs the model (a path or the bytes of an .onnx file)");
    };
  if (py::isinstance<py::bytes>(model)) {
    std::string bytes = model.cast<std::string>();
    return [bytes] { return graph::read_model_file_bytes(bytes, "model bytes"); };
  }
  std::string path = py::module_::import("os").attr("fspath")(model).cast<std::string>();
  return [path] { return graph::read_model_file(path); };
}

/// (outputs or None, {player: statistics}) of one ONNX inference (tfe.predict in python/tfe/).
py::tuple predict(py::object model, py::object inputs, const std::string& protocol, std::size_t batch,
                  const launch_settings& settings) {
  programs::graph_request rq;
  rq.protocol = protocol;
  rq.batch = batch;
  rq.launch = settings.flags();
  rq.session = settings.session();
  rq.load_model = model_loader(std::move(model));
  std::optional<std::vector<xt::xarray<double>>> xs;
  if (!inputs.is_none()) {
    xs.emplace();
    for (py::handle x : inputs) xs->push_back(to_xarray(x, "tfe.predict: an input"));
  }
  rq.load_inputs = [&]() -> std::vector<xt::xarray<double>> {
    TFE_ENFORCE(xs.has_value(), config_error, "tfe.predict: the client needs the inputs x");
    return std::move(*xs);
  };
  auto r = without_gil_or_raise([&] { return programs::run_graph(rq); });
  py::object outputs = py::none();
  if (!r.outputs.empty()) {
    py::list l;
    for (const auto& y : r.outputs) l.append(to_numpy(y));
    outputs = l;
  }
  py::dict stats;
  for (std::size_t p = 0; p < r.players.size(); ++p)
    if (r.stats[p]) stats[py::str(r.players[p])] = stats_dict(*r.stats[p], r.seconds[p]);
  return py::make_tuple(outputs, stats);
}

/// [{protocol, players: {player: totals and peak_bytes}, seconds: {network: estimate}, ops: [...]}] of
/// programs::plan_graph.
py::list plan(py::object model, std::size_t examples, std::size_t batch, const std::vector<std::string>& protocols,
              const std::vector<std::string>& networks) {
  programs::plan_request rq;
  rq.load_model = model_loader(std::move(model));
  rq.examples = examples;
  rq.batch = batch;
  rq.protocols = protocols;
  rq.networks.clear();
  for (const auto& n : networks) rq.networks.push_back(network_model::parse(n));
  auto plans = without_gil_or_raise([&] { return programs::plan_graph(rq); });
  py::list out;
  for (const auto& p : plans) {
    py::dict players, seconds;
    for (std::size_t i = 0; i < p.players.size(); ++i) {
      py::dict st = op_stats_dict(p.per_player[i]);
      st["peak_bytes"] = p.peak_bytes[i];  // predicted peak memory (ring tensors), docs/planner.md
      players[py::str(p.players[i])] = st;
    }
    for (std::size_t i = 0; i < networks.size(); ++i) seconds[py::str(networks[i])] = p.seconds[i];
    py::list ops;
    for (const auto& o : p.ops) {
      py::dict d;
      d["op"] = o.op;
      d["calls"] = o.calls;
      d["bytes_sent"] = o.bytes_sent;
      d["rounds"] = o.rounds;
      ops.append(d);
    }
    py::dict d;
    d["protocol"] = p.protocol;
    d["players"] = players;
    d["seconds"] = seconds;
    d["ops"] = ops;
    out.append(d);
  }
  return out;
}

/// (images (n, 28, 28, 1) in [0, 1], labels (n,) int64) of Fashion-MNIST (tfe::io::load_fashion_mnist).
py::tuple load_fashion_mnist(const std::string& split, std::size_t limit) {
  auto d = io::load_fashion_mnist(split, limit);
  py::array_t<std::int64_t> labels(static_cast<py::ssize_t>(d.labels.size()));
  std::copy(d.labels.begin(), d.labels.end(), labels.mutable_data());
  return py::make_tuple(to_numpy(d.images), labels);
}

}  // namespace
}  // namespace tfe::python

PYBIND11_MODULE(_core, m) {
  namespace tp = tfe::python;
  namespace py = pybind11;
  m.doc() = "tfe's C++ core (the Python package tfe wraps it)";
  tp::register_error_translator();

  py::class_<tp::launch_settings>(m, "_LaunchSettings")
      .def(py::init<>())
      .def_readwrite("hosts", &tp::launch_settings::hosts)
      .def_readwrite("player", &tp::launch_settings::player)
      .def_readwrite("threads", &tp::launch_settings::threads)
      .def_readwrite("timeout", &tp::launch_settings::timeout)
      .def_readwrite("insecure_plaintext", &tp::launch_settings::insecure_plaintext);

  py::class_<tp::session_base, std::shared_ptr<tp::session_base>>(m, "Session")
      .def_property_readonly("player", &tp::session_base::player)
      .def_property_readonly("protocol", &tp::session_base::protocol);
  py::class_<tp::private_base> priv(m, "PrivateTensor");
  priv.attr("__array_ufunc__") = py::none();  // numpy defers to our reflected operators
  py::class_<tp::public_base>(m, "PublicTensor");

  tp::bind_plain(m);
  tp::bind_pond(m);
  tp::bind_aby3(m);
  m.attr("session_protocols") = py::make_tuple("plain", "pond", "aby3");

  m.def("_predict", &tp::predict);
  m.def("_plan", &tp::plan);
  m.def("load_fashion_mnist", &tp::load_fashion_mnist, py::arg("split") = "test", py::arg("limit") = 0,
        "(images (n, 28, 28, 1) NHWC in [0, 1], labels (n,) int64) of Fashion-MNIST's \"train\" or \"test\" split "
        "(the Debian package dataset-fashion-mnist, or $TFE_FASHION_MNIST_DIR); limit > 0: the first `limit`.");
  m.def("_protocol_names", &tfe::protocol_names);
  m.def("_graph_players", &tfe::programs::graph_players);
  m.attr("__version__") = tfe::version;
}
