// programs/graph_runner_impl.hpp: run_graph for one protocol P (included by graph_runner_<protocol>.cpp).
#pragma once

#include "graph_runner.hpp"
#include "tfe/graph/compiled_kernels.hpp"  // the kernels: tfe_graph_kernels
#include "tfe/graph/model.hpp"

#include <chrono>
#include <tuple>
#include <utility>

namespace tfe::programs {

template <protocol P>
std::vector<std::string> graph_players_of() {
  auto p = P::default_players();
  p.push_back(model_owner);
  p.push_back(client);
  return p;
}

/// run_graph under P; `prepare` runs first in every player's session (the planner sets its cost model).
template <protocol P>
graph_result run_graph_prepared(const graph_request& rq, const std::function<void(session<P>&)>& prepare) {
  graph_result r;
  r.players = graph_players_of<P>();
  std::optional<std::vector<xt::xarray<double>>> outputs;
  launch_options base;
  base.session = rq.session;
  auto stats = run_program<P>(
      rq.launch, r.players,
      [&](session<P>& s) {
        if (prepare) prepare(s);
        const auto start = std::chrono::steady_clock::now();
        auto model = graph::share_model(s, model_owner, [&] {
          auto m = rq.load_model();
          graph::store_linear_weights_transposed(m);  // inference only: no per-predict transpose
          return m;
        });
        // The client says how many examples there are (public: the batch shapes show it anyway).
        std::vector<xt::xarray<double>> inputs;
        std::uint64_t n = 0;
        const std::size_t c = s.id_of(client);
        if (s.id() == c) {
          inputs = rq.load_inputs();
          TFE_ENFORCE(inputs.size() == model.spec().inputs.size(), shape_error, inputs.size(),
                      " input arrays for a graph with ", model.spec().inputs.size(), " inputs");
          // Checked here, before anything is sent, so the client is the player that reports a wrong
          // shape (every player would find it in predict, and the first to fail is the one reported).
          for (std::size_t i = 0; i < inputs.size(); ++i) {
            const auto& spec = model.spec().inputs[i];
            TFE_ENFORCE(graph::dims_match(shape_of(inputs[i]), spec.dims), shape_error,
                        model.spec().source.empty() ? std::string("graph") : model.spec().source, ": input '",
                        spec.name, "' has shape ", shape_str(shape_of(inputs[i])), " but the graph expects ",
                        graph::dims_str(spec.dims));
          }
          n = inputs.empty() || inputs[0].dimension() == 0 ? 1 : inputs[0].shape()[0];
          std::vector<std::uint8_t> b(8);
          for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
          for (std::size_t p = 0; p < s.num_players(); ++p)
            if (p != c) s.net().send_bytes(p, b);
        } else {
          auto b = s.net().recv_bytes(c);
          TFE_ENFORCE(b.size() == 8, protocol_error, "the example count from '", client, "' is malformed");
          for (int i = 0; i < 8; ++i) n |= std::uint64_t(b[i]) << (8 * i);
        }
        const std::size_t step = rq.batch == 0 ? std::max<std::size_t>(n, 1) : rq.batch;
        TFE_ENFORCE(n <= (std::uint64_t(1) << 40), protocol_error, "example count ", n, " from '", client, "'");
        std::vector<std::vector<xt::xarray<double>>> parts(model.spec().outputs.size());
        // (An input with 0 examples still runs once, on the whole empty arrays.)
        for (std::size_t lo = 0; lo < std::max<std::size_t>(n, 1); lo += step) {
          const std::size_t hi = std::min<std::size_t>(n, lo + step);
          std::vector<private_tensor<P>> xs;
          for (std::size_t i = 0; i < model.spec().inputs.size(); ++i)
            xs.push_back(s.define_private_input(client, [&] {
              if (inputs[i].dimension() == 0 || (lo == 0 && hi >= n)) return inputs[i];
              return xt::xarray<double>(xt::view(inputs[i], xt::range(lo, hi)));
            }));
          auto ys = model.predict(xs);
          for (std::size_t k = 0; k < ys.size(); ++k)
            s.define_output(
                client, [&](const xt::xarray<double>& v) { parts[k].push_back(v); }, ys[k]);
          if (s.name() == client && rq.progress) rq.progress(hi, n);
        }
        if (s.name() == client) {
          std::vector<xt::xarray<double>> outs;
          for (auto& p : parts) {
            if (p.size() == 1) {
              outs.push_back(std::move(p[0]));
              continue;
            }
            shape_t sh = shape_of(p[0]);
            std::size_t rows = 0;
            for (const auto& a : p) rows += a.shape()[0];
            sh[0] = rows;
            xt::xarray<double> all = xt::xarray<double>::from_shape(sh);
            std::size_t off = 0;
            for (const auto& a : p) std::copy(a.begin(), a.end(), all.data() + off), off += a.size();
            outs.push_back(std::move(all));
          }
          outputs.emplace(std::move(outs));
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::tuple(s.stats(), seconds, simulated_seconds(s), s.memory().peak());
      },
      base);
  for (auto& st : stats) {
    r.stats.push_back(st ? std::optional(std::get<0>(*st)) : std::nullopt);
    r.seconds.push_back(st ? std::optional(std::get<1>(*st)) : std::nullopt);
    r.simulated_seconds.push_back(st ? std::get<2>(*st) : std::nullopt);
    r.peak_bytes.push_back(st ? std::optional(std::get<3>(*st)) : std::nullopt);
  }
  if (outputs) r.outputs = std::move(*outputs);
  return r;
}

template <protocol P>
graph_result run_graph_as(const graph_request& rq) {
  return run_graph_prepared<P>(rq, {});
}

}  // namespace tfe::programs

/// Explicit instantiation of the runner for protocol P (one graph_runner_<protocol>.cpp each).
#define TFE_GRAPH_RUNNER_INSTANTIATE(P)                                                      \
  template tfe::programs::graph_result tfe::programs::run_graph_as<P>(const graph_request&); \
  template std::vector<std::string> tfe::programs::graph_players_of<P>();
