// tfe/ring/fixed_point.hpp: fixed-point encoding of real numbers in Z_2^k, and truncation.
//
// A real x is encoded as round(x * 2^f) mod 2^k (two's complement), f = frac_bits. Values must lie in
// the open range (-2^i, 2^i), i = int_bits, so every encoded value fits in k_used = i + f + 1 bits.
// The product of two encoded values carries 2f fractional bits and needs 2*k_used - 1 bits; a preset is
// valid when that fits in the ring, so a product never wraps before it is truncated back to f bits.
//
// Truncation (dividing by 2^f after a product):
//  - in the clear, an arithmetic shift: floor(x / 2^f), error in [-2^-f, 0] relative to the real value;
//  - on 2-out-of-2 additive shares x = x0 + x1, SecureML's local truncation (Mohassel & Zhang, S&P 2017,
//    Thm. 1): party 0 outputs x0 >> f, party 1 outputs -((-x1) >> f) (arithmetic shifts). The result is
//    floor(x/2^f) or one more, except with probability about 2^(b+1-k) when |x| < 2^b, in which case
//    it is wrong by about 2^(k-f) (see truncate_share below);
//  - with truncation_mode::exact, Pond (and SecureNN) and ABY3 compute the wrap bit of their two-piece
//    split instead (protocol/exact_truncation.hpp): floor(x/2^f) or one more for every |x| < 2^(k-2),
//    never the large error, for one more round and small messages (2 bytes per value on ring64).
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <cmath>
#include <limits>
#include <sstream>

namespace tfe {

/// How the secret-shared protocols divide by 2^f after a product (see the file comment).
enum class truncation_mode {
  /// SecureML / ABY3 Π_trunc1: no extra round, but each element fails (off by about 2^(k-f)) with
  /// probability about 2^(b+1-k) when |x| < 2^b: harmless for small networks, a few failures per
  /// hundred BERT-base runs on ring64 (docs/benchmarks.md, "Truncation failures per run").
  probabilistic,
  /// The wrap bit computed (protocol/exact_truncation.hpp): never the large error.
  exact,
};

inline const char* truncation_mode_name(truncation_mode m) {
  return m == truncation_mode::exact ? "exact" : "probabilistic";
}

struct fixed_point_config {
  unsigned frac_bits = 16;
  unsigned int_bits = 15;
  truncation_mode truncation = truncation_mode::probabilistic;

  /// Bits an encoded value occupies including its sign (k of the ABY3 issue: 32 for ring64).
  unsigned used_bits() const { return int_bits + frac_bits + 1; }
  double scale() const { return std::ldexp(1.0, static_cast<int>(frac_bits)); }
  /// Values must satisfy |x| < bound().
  double bound() const { return std::ldexp(1.0, static_cast<int>(int_bits)); }
  /// The smallest positive step, 2^-f.
  double resolution() const { return std::ldexp(1.0, -static_cast<int>(frac_bits)); }

  /// Throws config_error unless products of two encoded values fit the ring R without wrapping.
  template <class R>
  void validate() const {
    constexpr unsigned k = ring_traits<R>::bits;
    TFE_ENFORCE(frac_bits >= 1 && int_bits >= 1, config_error, "fixed point needs at least one fractional and one ",
                "integral bit (got frac_bits=", frac_bits, ", int_bits=", int_bits, ")");
    TFE_ENFORCE(2 * used_bits() <= k, config_error, "fixed point with ", int_bits, " integral and ", frac_bits,
                " fractional bits needs ", 2 * used_bits(), " bits for a product but ", ring_traits<R>::name(), " has ",
                k);
    TFE_ENFORCE(frac_bits <= 52, config_error, "more than 52 fractional bits cannot be encoded from a double");
  }

  /// Validated defaults: ring64 16.15 (k_used = 32), ring128 32.31 (k_used = 64), wider rings 40.47.
  template <class R>
  static fixed_point_config preset() {
    fixed_point_config c;
    if constexpr (ring_traits<R>::bits == 64) {
      c = {16, 15};
    } else if constexpr (ring_traits<R>::bits == 128) {
      c = {32, 31};
    } else {
      c = {40, 47};
    }
    c.validate<R>();
    return c;
  }
};

/// Encodes one value; throws encoding_error naming it and the range when it does not fit.
template <class R>
R encode_value(double x, const fixed_point_config& cfg) {
  TFE_ENFORCE(std::isfinite(x), encoding_error, "cannot encode ", x, " in fixed point: not a finite number");
  // Checked after rounding: values just below the bound round up to 2^(i+f), which does not fit.
  if (!(std::fabs(std::nearbyint(x * cfg.scale())) < std::ldexp(1.0, static_cast<int>(cfg.int_bits + cfg.frac_bits)))) {
    std::ostringstream os;
    os.precision(std::numeric_limits<double>::max_digits10);
    os << "value " << x << " is out of the fixed-point range (-" << cfg.bound() << ", " << cfg.bound() << ") of "
       << cfg.int_bits << " integral bits";
    throw encoding_error(os.str());
  }
  return ring_traits<R>::from_double(x * cfg.scale());
}

template <class R>
double decode_value(const R& v, const fixed_point_config& cfg) {
  return ring_traits<R>::to_double(v) / cfg.scale();
}

/// Encodes a tensor; the error names the first offending value and its index.
template <class R, class E>
ring_tensor<R> encode(const E& values, const fixed_point_config& cfg) {
  xt::xarray<double> v = values;
  ring_tensor<R> out(shape_of(v));
  const double s = cfg.scale(), limit = std::ldexp(1.0, static_cast<int>(cfg.int_bits + cfg.frac_bits));
  for (std::size_t i = 0; i < v.size(); ++i) {
    double x = v.data()[i];
    if (!std::isfinite(x) || !(std::fabs(std::nearbyint(x * s)) < limit)) {
      try {
        (void)encode_value<R>(x, cfg);
      } catch (const encoding_error& e) {
        throw encoding_error(
            detail::concat(e.what(), " (element ", i, " of a tensor of shape ", shape_str(shape_of(v)), ")"));
      }
    }
    out.data()[i] = ring_traits<R>::from_double(x * s);
  }
  return out;
}

template <class R>
xt::xarray<double> decode(const ring_tensor<R>& values, const fixed_point_config& cfg) {
  xt::xarray<double> out(shape_of(values));
  const double s = cfg.scale();
  for (std::size_t i = 0; i < values.size(); ++i) out.data()[i] = ring_traits<R>::to_double(values.data()[i]) / s;
  return out;
}

/// Exact truncation in the clear: arithmetic shift right by `bits` (floor division by 2^bits).
template <class R>
ring_tensor<R> truncate(const ring_tensor<R>& x, unsigned bits) {
  ring_tensor<R> out(shape_of(x));
  for (std::size_t i = 0; i < x.size(); ++i) out.data()[i] = ring_traits<R>::shr_arith(x.data()[i], bits);
  return out;
}

/// SecureML local truncation of one 2-out-of-2 additive share (party 0 or 1), no communication.
/// For x = x0 + x1 with |x| < 2^b and x1 uniform, the shares of the result sum to floor(x/2^f) + {0, 1}
/// except with probability < 2^(b+1-k): then the sum is off by about ±2^(k-f). What matters is the
/// size of the PRODUCT being truncated: when the truncated result is in the fixed-point range
/// (|result| < 2^int_bits), b = int_bits + 2·frac_bits = 47 for the ring64 preset, so the failure
/// rate is below 2^-16 per element (measured in tests/test_pond_truncation.cpp); for ring128's
/// preset it is below 2^-32. Products whose result leaves the range fail far more often — as they
/// overflow the encoding anyway.
template <class R>
ring_tensor<R> truncate_share(const ring_tensor<R>& share, unsigned bits, int party) {
  using T = ring_traits<R>;
  ring_tensor<R> out(shape_of(share));
  if (party == 0) {
    for (std::size_t i = 0; i < share.size(); ++i) out.data()[i] = T::shr_arith(share.data()[i], bits);
  } else {
    for (std::size_t i = 0; i < share.size(); ++i) out.data()[i] = T::neg(T::shr_arith(T::neg(share.data()[i]), bits));
  }
  return out;
}

/// truncate_share in the share's own storage (no allocation: the protocols' hot paths).
template <class R>
void truncate_share_in_place(ring_tensor<R>& share, unsigned bits, int party) {
  using T = ring_traits<R>;
  R* p = share.data();
  if (party == 0) {
    for (std::size_t i = 0; i < share.size(); ++i) p[i] = T::shr_arith(p[i], bits);
  } else {
    for (std::size_t i = 0; i < share.size(); ++i) p[i] = T::neg(T::shr_arith(T::neg(p[i]), bits));
  }
}

}  // namespace tfe
