// tfe/stats/table.hpp: private tables for the statistics: checked inputs from several owners, joined
// along rows, and the exact division by a public row count that every statistic uses.
//
// A table is a private_tensor of shape (rows, columns): the row and column counts are public (every
// shape is), the values are secret-shared. define_table runs at the owner and refuses, before any
// share leaves it, an empty table, a ragged one, a NaN or infinity, and a value outside the
// fixed-point range, each naming the owner, the column and the row. join_rows (concat along rows,
// as the seed's joint training) refuses tables whose column counts differ, naming both owners.
#pragma once

#include "tfe/ops/arithmetic.hpp"
#include "tfe/ops/structure.hpp"
#include "tfe/session.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace tfe::stats {

/// One owner's table: its name (for error messages) and the shares of its (rows, columns) values.
template <protocol P>
struct owned_table {
  std::string owner;
  private_tensor<P> values;
};

namespace detail {

inline std::string column_label(const std::vector<std::string>& names, std::size_t c) {
  return c < names.size() ? "'" + names[c] + "'" : "#" + std::to_string(c);
}

/// The checks define_table runs at the owner (exposed for tests): throws encoding_error or
/// shape_error naming the owner, the column and the row.
template <class R>
void check_table(const std::string& owner, const xt::xarray<double>& t, const std::vector<std::string>& names,
                 const fixed_point_config& cfg) {
  TFE_ENFORCE(t.dimension() == 2, shape_error, "table of '", owner, "' must be 2-D (rows, columns) but has shape ",
              shape_str(shape_of(t)));
  const std::size_t rows = t.shape()[0], cols = t.shape()[1];
  TFE_ENFORCE(rows > 0 && cols > 0, shape_error, "table of '", owner, "' is empty (shape ", shape_str(shape_of(t)),
              ")");
  TFE_ENFORCE(names.empty() || names.size() == cols, shape_error, "table of '", owner, "' has ", cols, " columns but ",
              names.size(), " column names");
  const double limit = std::ldexp(1.0, static_cast<int>(cfg.int_bits + cfg.frac_bits));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = t(r, c);
      TFE_ENFORCE(std::isfinite(v), encoding_error, "table of '", owner, "', column ", column_label(names, c), ", row ",
                  r, ": ", v, " is not a finite number");
      TFE_ENFORCE(std::fabs(std::nearbyint(v * cfg.scale())) < limit, encoding_error, "table of '", owner, "', column ",
                  column_label(names, c), ", row ", r, ": value ", v, " is outside the fixed-point range (-",
                  cfg.bound(), ", ", cfg.bound(), ")");
    }
}

}  // namespace detail

/// Secret-shares the (rows, columns) table that `provider` returns at `owner` (it runs there only),
/// after detail::check_table. Cost: the protocol's input sharing of rows·columns elements.
template <protocol P, class F>
owned_table<P> define_table(session<P>& s, const std::string& owner, F&& provider,
                            const std::vector<std::string>& names = {}) {
  const std::size_t o = s.id_of(owner);
  std::optional<ring_tensor<typename P::ring>> enc;
  if (s.id() == o) {
    xt::xarray<double> t = provider();
    detail::check_table<typename P::ring>(owner, t, names, s.fixed_point());
    enc.emplace(s.encode(t));
  }
  auto scope = s.op_scope("input");
  return {owner, s.share_encoded(o, enc)};
}

/// The tables of several owners stacked along rows (local). Throws shape_error naming the owners
/// when the column counts differ.
template <protocol P>
private_tensor<P> join_rows(const std::vector<owned_table<P>>& tables) {
  TFE_ENFORCE(!tables.empty(), shape_error, "join_rows: no tables");
  std::vector<private_tensor<P>> xs;
  for (const auto& t : tables) {
    TFE_ENFORCE(t.values.ndim() == 2, shape_error, "table of '", t.owner, "' must be 2-D but has shape ",
                shape_str(t.values.shape()));
    TFE_ENFORCE(t.values.shape()[1] == tables[0].values.shape()[1], shape_error, "table of '", t.owner, "' has ",
                t.values.shape()[1], " columns but the table of '", tables[0].owner, "' has ",
                tables[0].values.shape()[1]);
    xs.push_back(t.values);
  }
  return concat(xs, 0);
}

/// x / n for a public count n ≥ 1, keeping precision and keeping every truncated value small.
/// Math: with e = ⌈log2 n⌉, x/n = (x·2^-e)·(2^e/n). x·2^-e is exact up to truncation: while e ≥ f
/// one plain truncation (÷2^f), then a product by the exactly encoded 2^-e; then a product by
/// c = 2^e/n ∈ [1, 2), encoded with relative error ≤ 2^-(f+1). (Multiplying by the encoding of 1/n
/// directly, as tfe::mean does, has relative error up to n·2^-(f+1): 8 for n = 10^6 at f = 16.)
/// Error: |ŷ − x/n| ≤ |x/n|·2^-f + 4·2^-f (each of at most 3 truncations adds ≤ 1 ulp, doubled by c).
/// Cost: ⌈e/f⌉ + 1 truncations in sequence (ABY3: products with fused truncation; Pond: local),
/// none when n = 1. The values truncated are at most |x|·2^f (first step) or |x/n|·2^(2f+1):
/// Pond's local truncation fails with probability about that size·2^(1−ℓ) per element.
template <protocol P>
private_tensor<P> div_count(const private_tensor<P>& x, std::size_t n) {
  TFE_ENFORCE(n >= 1, shape_error, "division by a count of 0 (an empty table or group)");
  if (n == 1) return x;
  const int f = static_cast<int>(x.sess().fixed_point().frac_bits);
  int e_total = 0;
  while ((std::size_t(1) << e_total) < n) ++e_total;
  private_tensor<P> y = x;
  int e = e_total;
  for (; e >= f; e -= f) y = truncate(y);
  if (e > 0) y = y * std::ldexp(1.0, -e);
  return y * (std::ldexp(1.0, e_total) / static_cast<double>(n));
}

}  // namespace tfe::stats
