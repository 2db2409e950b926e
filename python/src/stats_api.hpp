// python/src/stats_api.hpp: tfe.stats (python/tfe/stats.py) over include/tfe/stats/: statistics,
// sort, quantiles, regression and differentially private noise on a private table, bound per protocol
// as module functions _stats_<name>(x, ...) overloaded on the tensor class (bind_protocol).
#pragma once

#include "tensor_api.hpp"

#include "tfe/stats/describe.hpp"
#include "tfe/stats/dp.hpp"
#include "tfe/stats/dp_gaussian.hpp"
#include "tfe/stats/group_by_key.hpp"
#include "tfe/stats/regression.hpp"
#include "tfe/stats/sort.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tfe::python {

template <class P>
void bind_stats(py::module_& m) {
  using T = py_private<P>;
  m.def("_stats_mean", [](const T& x) { return apply(x, [](const auto& v) { return stats::column_mean(v); }); });
  m.def("_stats_variance", [](const T& x, unsigned ddof) {
    return apply(x, [ddof](const auto& v) { return stats::column_variance(v, ddof); });
  });
  m.def("_stats_std", [](const T& x, unsigned ddof) {
    return apply(x, [ddof](const auto& v) { return stats::column_std(v, ddof); });
  });
  m.def("_stats_min_max", [](const T& x) {
    auto mm = without_gil([&] { return stats::column_min_max(x.get()); });
    return py::make_tuple(T(x.handle, std::move(mm.first)), T(x.handle, std::move(mm.second)));
  });
  m.def("_stats_correlation", [](const T& x) { return apply(x, [](const auto& v) { return stats::correlation(v); }); });
  m.def("_stats_covariance", [](const T& x) { return apply(x, [](const auto& v) { return stats::covariance(v); }); });
  m.def("_stats_sort", [](const T& x) { return apply(x, [](const auto& v) { return stats::sort_rows(v); }); });
  m.def("_stats_quantiles", [](const T& x, const std::vector<double>& q) {
    return apply(x, [&q](const auto& v) { return stats::quantiles(v, q); });
  });
  m.def("_stats_linear_regression", [](const T& x, const T& y, bool fit_intercept) {
    stats::regression_options opt;
    opt.fit_intercept = fit_intercept;
    return apply(x, [&](const auto& v) { return stats::linear_regression(v, y.get(), opt); });
  });
  m.def("_stats_add_laplace", [](const T& x, double epsilon, double delta, double sensitivity) {
    const auto plan = stats::plan_discrete_laplace(epsilon, delta, sensitivity, x.get().sess().fixed_point());
    return apply(x, [&plan](const auto& v) { return stats::add_discrete_laplace(v, plan); });
  });
  m.def("_stats_add_gaussian", [](const T& x, double epsilon, double delta, double sensitivity) {
    const auto plan = stats::plan_discrete_gaussian(epsilon, delta, sensitivity, x.get().sess().fixed_point());
    return apply(x, [&plan](const auto& v) { return stats::add_discrete_gaussian(v, plan); });
  });
  m.def("_stats_group_by_key", [](const T& x, const T& keys, std::size_t min_count) {
    return apply(x, [&](const auto& v) { return stats::group_by_key(v, keys.get(), min_count).table; });
  });
  m.def("_stats_describe",
        [](const T& x, const std::string& receiver, const std::vector<std::string>& names,
           const std::vector<std::vector<double>>& edges) -> py::object {
          stats::describe_options opt;
          opt.names = names;
          opt.edges = edges;
          auto d = without_gil([&] { return stats::describe(x.get(), receiver, opt); });
          if (!d) return py::none();
          py::dict out;
          out["count"] = d->count;
          out["names"] = d->names;
          for (const auto& [key, value] : {std::pair<const char*, const xt::xarray<double>*>{"sum", &d->sum},
                                           {"mean", &d->mean},
                                           {"variance", &d->variance},
                                           {"std", &d->std},
                                           {"min", &d->min},
                                           {"max", &d->max}})
            out[key] = to_numpy(*value);
          if (!edges.empty()) out["histogram"] = to_numpy(d->histogram);
          return out;
        });
}

}  // namespace tfe::python
