// tests/conformance/harness.hpp: the machinery of the protocol conformance suite (suite.hpp).
//
// A conformance test runs one program under run_local<P> with the players P::default_players() plus
// two input players, "alice" and "bob". Alice and bob provide private inputs, the servers compute,
// and every output is revealed to alice only; run_revealed() hands alice's decoded values back to
// the main thread, where (and only where) the doctest checks run.
//
// Every expected value is computed in double precision next to a bound on the error the fixed-point
// arithmetic may add (struct approx). The bounds follow the fixed-point math of ring/fixed_point.hpp,
// with f = frac_bits and the resolution 2^-f:
//   encoding an input              |enc(x) - x| <= 2^-(f+1)                          (rounding)
//   truncating a product           floor: error in [-2^-f, 0]; protocols that truncate shares
//                                  locally (SecureML) may add one more ulp: we allow 2 * 2^-f
//   a product of approximations    |a'b' - ab| <= |a| e_b + |b| e_a + e_a e_b, plus the truncation
//   sums                           errors add
// plus a slack for the double-precision reference itself (and the decoding of a ring element to a
// double): (terms + 2) * 2^-53 relative to the sum of the magnitudes involved. With ring64 (16
// fractional bits) that slack is negligible; with ring128 (32 fractional bits) values above 2^21 have
// a double ulp coarser than 2^-32, so there it dominates.
//
// Test data comes from a test-only generator (std::mt19937_64, NOT a cryptographic PRG) seeded from
// the test's name, so every failure reproduces; the seed is printed with every failing check.
#pragma once

#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tfe_conformance {

using tfe::shape_t;
using dvec = xt::xarray<double>;

// ---- the fixed-point model of a protocol's ring --------------------------------------------------

struct fixed_model {
  tfe::fixed_point_config cfg;
  double res = 0;    ///< resolution 2^-f
  double bound = 0;  ///< values must satisfy |x| < 2^int_bits

  explicit fixed_model(const tfe::fixed_point_config& c) : cfg(c), res(c.resolution()), bound(c.bound()) {}

  /// Encoding error of one input: round to nearest.
  double enc() const { return res / 2; }
  /// Error of one truncation: 1 ulp for the floor, 1 more for share-local truncation.
  double trunc() const { return 2 * res; }
  /// The largest multiple of the resolution strictly below m (m > 0); exactly representable.
  double below(double m) const { return std::floor(std::nextafter(m, 0.0) / res) * res; }
  /// The largest encodable magnitude: 2^int_bits - 2^-f (or the nearest double below for ring128).
  double near_bound() const { return below(bound); }
  /// Rounds to the fixed-point grid (what encoding does, as a double).
  double quantize(double x) const { return std::nearbyint(x / res) * res; }
};

template <class P>
fixed_model model() {
  return fixed_model(tfe::fixed_point_config::preset<typename P::ring>());
}

/// Slack for double rounding in the reference: (terms + 2) * 2^-53 of the magnitude `mag`.
inline double dslack(double mag, double terms = 1) { return (terms + 2) * 0x1p-53 * mag; }

// ---- multi-index helpers (references are written with these, independently of tfe's kernels) -----

inline bool next_index(shape_t& idx, const shape_t& shape) {
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

inline shape_t unravel(std::size_t flat, const shape_t& shape) {
  shape_t idx(shape.size(), 0);
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

inline std::string index_str(const shape_t& idx) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < idx.size(); ++i) os << (i ? ", " : "") << idx[i];
  os << ']';
  return os.str();
}

inline double at(const dvec& x, const shape_t& idx) { return x.element(idx.begin(), idx.end()); }

/// A tensor of `shape` whose element at index i is f(i) (row-major order).
template <class F>
dvec tabulate(const shape_t& shape, F&& f) {
  dvec out = dvec::from_shape(shape);
  if (out.size() == 0) return out;
  shape_t idx(shape.size(), 0);
  std::size_t flat = 0;
  do {
    out.data()[flat++] = f(static_cast<const shape_t&>(idx));
  } while (next_index(idx, shape));
  return out;
}

inline shape_t shape_of(const dvec& x) { return tfe::shape_of(x); }

inline dvec full(const shape_t& shape, double v) {
  dvec out = dvec::from_shape(shape);
  std::fill(out.begin(), out.end(), v);
  return out;
}

inline dvec reshaped(const dvec& x, const shape_t& shape) {
  dvec out = x;
  out.reshape(shape);
  return out;
}

// ---- test data ---------------------------------------------------------------------------------

/// The seed of the current test's data (set by data_gen, main thread only); run_revealed derives the
/// players' deterministic PRG keys from it, so each test also exercises its own masks and triples.
inline std::uint64_t& current_test_seed() {
  static std::uint64_t seed = 1;
  return seed;
}

/// Deterministic test data (std::mt19937_64: fine for test data, never for keys or masks).
class data_gen {
 public:
  data_gen(std::string_view test_name, const fixed_model& m) : m_model(m), m_seed(fnv1a(test_name)), m_rng(m_seed) {
    current_test_seed() = m_seed;
  }

  std::uint64_t seed() const { return m_seed; }
  std::mt19937_64& rng() { return m_rng; }

  /// Reals uniform in [-a, a] (off the fixed-point grid, so encoding rounds), with the edge values
  /// 0, ±2^-f and ±(largest grid value below a) planted at distinct random positions when `edges`.
  dvec real(const shape_t& shape, double a, bool edges = true) {
    std::uniform_real_distribution<double> u(-a, a);
    dvec out = tabulate(shape, [&](const shape_t&) { return u(m_rng); });
    if (edges) plant_edges(out, a);
    return out;
  }

  /// Reals with lo <= |x| <= hi and a random sign (divisors: bounded away from 0).
  dvec magnitude(const shape_t& shape, double lo, double hi) {
    std::uniform_real_distribution<double> u(lo, hi);
    std::bernoulli_distribution neg(0.5);
    return tabulate(shape, [&](const shape_t&) { return neg(m_rng) ? -u(m_rng) : u(m_rng); });
  }

  /// Multiples of 2^-f strictly inside (-a, a), encoded exactly; edges as for real().
  dvec grid(const shape_t& shape, double a, bool edges = true) {
    std::uniform_real_distribution<double> u(-a, a);
    dvec out = tabulate(shape, [&](const shape_t&) {
      double v = m_model.quantize(u(m_rng));
      return std::fabs(v) < a ? v : 0.0;
    });
    if (edges) plant_edges(out, a);
    return out;
  }

  /// Integers in [lo, hi] times `unit` (few distinct values: many ties).
  dvec ints(const shape_t& shape, int lo, int hi, double unit = 1.0) {
    std::uniform_int_distribution<int> u(lo, hi);
    return tabulate(shape, [&](const shape_t&) { return unit * u(m_rng); });
  }

  /// The edge values for magnitude a: 0, ±2^-f, ±below(a).
  std::vector<double> edges(double a) const {
    const double r = m_model.res, b = m_model.below(a);
    return {0.0, r, -r, b, -b};
  }

 private:
  /// Plants the edge values at distinct random positions (as many as fit).
  void plant_edges(dvec& out, double a) {
    std::vector<std::size_t> pos(out.size());
    for (std::size_t i = 0; i < pos.size(); ++i) pos[i] = i;
    std::shuffle(pos.begin(), pos.end(), m_rng);
    const auto e = edges(a);
    for (std::size_t i = 0; i < e.size() && i < pos.size(); ++i) out.data()[pos[i]] = e[i];
  }

  static std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
  }

  fixed_model m_model;
  std::uint64_t m_seed;
  std::mt19937_64 m_rng;
};

// ---- comparing results ---------------------------------------------------------------------------

struct comparison {
  bool ok = true;
  std::string message;
};

/// |got - expected| <= tol elementwise (tol broadcasts); on failure the message names the worst
/// element (largest excess over its tolerance): index, got, expected, tolerance, and how many fail.
inline comparison compare(const dvec& got, const dvec& expected, const dvec& tol) {
  comparison r;
  std::ostringstream os;
  os << std::setprecision(17);
  if (shape_of(got) != shape_of(expected)) {
    r.ok = false;
    os << "shape mismatch: got " << tfe::shape_str(shape_of(got)) << ", expected "
       << tfe::shape_str(shape_of(expected));
    r.message = os.str();
    return r;
  }
  dvec t = xt::broadcast(tol, expected.shape());
  std::size_t bad = 0, worst = 0;
  double worst_excess = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(got.data()[i] - expected.data()[i]);
    const double excess = std::isnan(d) ? std::numeric_limits<double>::infinity() : d - t.data()[i];
    if (!(d <= t.data()[i])) ++bad;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (bad == 0) return r;
  r.ok = false;
  os << bad << " of " << got.size() << " elements out of tolerance; worst at "
     << index_str(unravel(worst, shape_of(got))) << " of shape " << tfe::shape_str(shape_of(got)) << ": got "
     << got.data()[worst] << ", expected " << expected.data()[worst] << ", |diff| "
     << std::fabs(got.data()[worst] - expected.data()[worst]) << " > tol " << t.data()[worst];
  r.message = os.str();
  return r;
}
inline comparison compare(const dvec& got, const dvec& expected, double tol) {
  return compare(got, expected, dvec(tol));
}

/// CHECK that `got` matches `expected` within `tol` (a double or a broadcastable array).
#define TFE_CHECK_CLOSE(got, expected, tol)                                                              \
  do {                                                                                                   \
    const ::tfe_conformance::comparison tfe_cmp_ = ::tfe_conformance::compare((got), (expected), (tol)); \
    CHECK_MESSAGE(tfe_cmp_.ok, tfe_cmp_.message);                                                        \
  } while (false)

/// CHECK that `got` matches an approx (value and error bound).
#define TFE_CHECK_APPROX(got, ref)                    \
  do {                                                \
    const ::tfe_conformance::approx tfe_ref_ = (ref); \
    TFE_CHECK_CLOSE((got), tfe_ref_.v, tfe_ref_.e);   \
  } while (false)

/// CHECK exact equality (ops whose result is exact once the inputs are on the fixed-point grid).
#define TFE_CHECK_EXACT(got, expected) TFE_CHECK_CLOSE((got), (expected), 0.0)

// ---- reference values with error bounds --------------------------------------------------------

/// A double reference value and a bound on the error the fixed-point computation may have (same shape).
struct approx {
  dvec v;
  dvec e;
};

/// An encoded input: its error is the encoding error (0 for values on the grid).
inline approx input(const dvec& x, const fixed_model& m, bool on_grid = false) {
  return {x, full(shape_of(x), on_grid ? 0.0 : m.enc())};
}

/// Broadcast both to a common shape (numpy rules).
inline std::pair<approx, approx> broadcast2(const approx& a, const approx& b) {
  auto shape = tfe::detail::broadcast_shapes(shape_of(a.v), shape_of(b.v), "reference");
  auto bc = [&](const approx& x) { return approx{dvec(xt::broadcast(x.v, shape)), dvec(xt::broadcast(x.e, shape))}; };
  return {bc(a), bc(b)};
}

inline approx operator+(const approx& a, const approx& b) {
  auto [x, y] = broadcast2(a, b);
  dvec v = x.v + y.v;
  dvec e = x.e + y.e + dslack(1.0) * (xt::abs(x.v) + xt::abs(y.v));
  return {v, e};
}
inline approx operator-(const approx& a) { return {dvec(-a.v), a.e}; }
inline approx operator-(const approx& a, const approx& b) { return a + (-b); }

/// Elementwise product followed by one truncation (broadcasting).
inline approx mul(const approx& a, const approx& b, const fixed_model& m) {
  auto [x, y] = broadcast2(a, b);
  dvec v = x.v * y.v;
  dvec e = xt::abs(x.v) * y.e + xt::abs(y.v) * x.e + x.e * y.e + m.trunc() + dslack(1.0) * xt::abs(v);
  return {v, e};
}

/// Multiplication by an exact integer (mul_int): no truncation.
inline approx mul_exact_int(const approx& a, std::int64_t k) {
  const double kd = static_cast<double>(k);
  return {dvec(a.v * kd), dvec(a.e * std::fabs(kd) + dslack(1.0) * xt::abs(a.v * kd))};
}

/// x^n with tfe::pow's schedule (square-and-multiply), so the bound follows the same products.
inline approx pow_ref(const approx& x, unsigned n, const fixed_model& m) {
  if (n == 0) return {full(shape_of(x.v), 1.0), full(shape_of(x.v), 0.0)};
  std::optional<approx> result;
  approx base = x;
  while (true) {
    if (n & 1u) result = result ? mul(*result, base, m) : base;
    n >>= 1;
    if (!n) break;
    base = mul(base, base, m);
  }
  return *result;
}

/// (n x k) . (k x m) followed by one truncation.
inline approx matmul_ref(const approx& a, const approx& b, const fixed_model& m) {
  const std::size_t n = a.v.shape()[0], k = a.v.shape()[1], c = b.v.shape()[1];
  approx r{full({n, c}, 0.0), full({n, c}, 0.0)};
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < c; ++j) {
      double v = 0, e = 0, mag = 0;
      for (std::size_t t = 0; t < k; ++t) {
        const double x = a.v(i, t), y = b.v(t, j), ex = a.e(i, t), ey = b.e(t, j);
        v += x * y;
        mag += std::fabs(x * y);
        e += std::fabs(x) * ey + std::fabs(y) * ex + ex * ey;
      }
      r.v(i, j) = v;
      r.e(i, j) = e + m.trunc() + dslack(mag, static_cast<double>(k));
    }
  return r;
}

/// Reduction over `axes` (all when empty), keeping size-1 dims when keepdims.
inline shape_t reduced_shape(const shape_t& in, const std::vector<std::size_t>& axes, bool keepdims) {
  shape_t out;
  for (std::size_t d = 0; d < in.size(); ++d) {
    const bool r = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!r)
      out.push_back(in[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

inline std::vector<std::size_t> norm_axes(const std::vector<long>& axes, std::size_t ndim) {
  std::vector<std::size_t> out;
  if (axes.empty())
    for (std::size_t d = 0; d < ndim; ++d) out.push_back(d);
  for (long a : axes) out.push_back(static_cast<std::size_t>(a < 0 ? a + static_cast<long>(ndim) : a));
  return out;
}

/// Sum of values and of error bounds over the reduced axes (exact in the ring: no truncation).
inline approx sum_ref(const approx& x, const std::vector<long>& axes_in, bool keepdims) {
  const shape_t in = shape_of(x.v);
  const auto axes = norm_axes(axes_in, in.size());
  const shape_t out_shape = reduced_shape(in, axes, keepdims);
  approx r{full(out_shape, 0.0), full(out_shape, 0.0)};
  dvec mag = full(out_shape, 0.0);
  std::size_t count = 1;
  for (auto a : axes) count *= in[a];
  if (x.v.size() == 0) return r;
  shape_t idx(in.size(), 0);
  do {
    shape_t o;
    for (std::size_t d = 0; d < in.size(); ++d) {
      const bool red = std::find(axes.begin(), axes.end(), d) != axes.end();
      if (!red)
        o.push_back(idx[d]);
      else if (keepdims)
        o.push_back(0);
    }
    r.v.element(o.begin(), o.end()) += at(x.v, idx);
    r.e.element(o.begin(), o.end()) += at(x.e, idx);
    mag.element(o.begin(), o.end()) += std::fabs(at(x.v, idx));
  } while (next_index(idx, in));
  r.e += dslack(1.0, static_cast<double>(count)) * mag;
  return r;
}

// ---- convolution and pooling references (TensorFlow's NHWC / HWIO, SAME and VALID) -------------

struct geometry {
  std::size_t out = 0, pad_before = 0;
};

/// TensorFlow's output size and leading padding along one spatial axis.
inline geometry geometry_1d(std::size_t in, std::size_t k, std::size_t stride, bool same) {
  geometry g;
  if (!same) {
    g.out = (in - k) / stride + 1;
    return g;
  }
  g.out = (in + stride - 1) / stride;
  const std::size_t need = (g.out - 1) * stride + k;
  g.pad_before = need > in ? (need - in) / 2 : 0;
  return g;
}

/// conv2d reference (cross-correlation), by direct nested loops, with the product error bound and
/// one truncation.
inline approx conv2d_ref(const approx& x, const approx& w, std::array<std::size_t, 2> strides, bool same,
                         const fixed_model& m) {
  const std::size_t N = x.v.shape()[0], H = x.v.shape()[1], W = x.v.shape()[2], C = x.v.shape()[3];
  const std::size_t KH = w.v.shape()[0], KW = w.v.shape()[1], O = w.v.shape()[3];
  const geometry gh = geometry_1d(H, KH, strides[0], same), gw = geometry_1d(W, KW, strides[1], same);
  approx r{full({N, gh.out, gw.out, O}, 0.0), full({N, gh.out, gw.out, O}, 0.0)};
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < gh.out; ++oy)
      for (std::size_t ox = 0; ox < gw.out; ++ox)
        for (std::size_t o = 0; o < O; ++o) {
          double v = 0, e = 0, mag = 0, terms = 0;
          for (std::size_t dy = 0; dy < KH; ++dy)
            for (std::size_t dx = 0; dx < KW; ++dx) {
              const long iy = static_cast<long>(oy * strides[0] + dy) - static_cast<long>(gh.pad_before);
              const long ix = static_cast<long>(ox * strides[1] + dx) - static_cast<long>(gw.pad_before);
              if (iy < 0 || ix < 0 || iy >= static_cast<long>(H) || ix >= static_cast<long>(W)) continue;
              const auto y = static_cast<std::size_t>(iy), xx = static_cast<std::size_t>(ix);
              for (std::size_t c = 0; c < C; ++c) {
                const double a = x.v(n, y, xx, c), b = w.v(dy, dx, c, o), ea = x.e(n, y, xx, c), eb = w.e(dy, dx, c, o);
                v += a * b;
                mag += std::fabs(a * b);
                e += std::fabs(a) * eb + std::fabs(b) * ea + ea * eb;
                terms += 1;
              }
            }
          r.v(n, oy, ox, o) = v;
          r.e(n, oy, ox, o) = e + m.trunc() + dslack(mag, terms);
        }
  return r;
}

/// Pooling windows, TensorFlow semantics: only in-image elements take part. `reduce(values)`
/// receives the in-image values of one window of one channel.
template <class F>
dvec pool_ref(const dvec& x, std::array<std::size_t, 2> pool, std::array<std::size_t, 2> strides, bool same,
              F&& reduce) {
  const std::size_t N = x.shape()[0], H = x.shape()[1], W = x.shape()[2], C = x.shape()[3];
  const geometry gh = geometry_1d(H, pool[0], strides[0], same), gw = geometry_1d(W, pool[1], strides[1], same);
  dvec out = full({N, gh.out, gw.out, C}, 0.0);
  std::vector<double> win;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < gh.out; ++oy)
      for (std::size_t ox = 0; ox < gw.out; ++ox)
        for (std::size_t c = 0; c < C; ++c) {
          win.clear();
          for (std::size_t dy = 0; dy < pool[0]; ++dy)
            for (std::size_t dx = 0; dx < pool[1]; ++dx) {
              const long iy = static_cast<long>(oy * strides[0] + dy) - static_cast<long>(gh.pad_before);
              const long ix = static_cast<long>(ox * strides[1] + dx) - static_cast<long>(gw.pad_before);
              if (iy < 0 || ix < 0 || iy >= static_cast<long>(H) || ix >= static_cast<long>(W)) continue;
              win.push_back(x(n, static_cast<std::size_t>(iy), static_cast<std::size_t>(ix), c));
            }
          out(n, oy, ox, c) = reduce(win);
        }
  return out;
}

// ---- running programs ------------------------------------------------------------------------------

/// The players of every conformance program: the protocol's own, then the two input players.
template <class P>
std::vector<std::string> players() {
  auto v = P::default_players();
  v.push_back("alice");
  v.push_back("bob");
  return v;
}

/// What a test program sees: the session, and shortcuts for its inputs.
template <class P>
struct io {
  tfe::session<P>& s;

  /// A private input provided by alice / bob (the provider runs at that player only).
  tfe::private_tensor<P> alice(const dvec& v) {
    return s.define_private_input("alice", [&v] { return v; });
  }
  tfe::private_tensor<P> bob(const dvec& v) {
    return s.define_private_input("bob", [&v] { return v; });
  }
  /// A public constant (every player encodes it).
  tfe::public_tensor<P> constant(const dvec& v) { return s.constant(v); }
  /// A public input bob sends to everybody.
  tfe::public_tensor<P> public_bob(const dvec& v) {
    return s.define_public_input("bob", [&v] { return v; });
  }
};

template <class P>
using program = std::function<std::vector<tfe::private_tensor<P>>(io<P>&)>;

/// run_local options for reproducible runs (deterministic PRG keys: TESTS ONLY).
inline tfe::run_options test_options(std::uint64_t seed) {
  tfe::run_options o;
  o.session.insecure_deterministic_seed = seed;
  return o;
}

/// Runs `prog` at every player, reveals each returned tensor to alice, and returns alice's decoded
/// values (main thread). Also checks that no other player received anything. The PRG keys are
/// derived from `seed` (insecure_deterministic_seed), so runs reproduce exactly.
template <class P>
std::vector<dvec> run_revealed(const program<P>& prog, std::uint64_t seed = current_test_seed()) {
  struct result {
    std::vector<dvec> values;
    std::size_t leaked = 0;
  };
  const auto names = players<P>();
  auto results = tfe::run_local<P>(
      names,
      [&](tfe::session<P>& s) {
        io<P> c{s};
        auto outs = prog(c);
        result r;
        for (const auto& t : outs) {
          auto v = s.reveal_to("alice", t);
          if (v) r.values.push_back(std::move(*v));
          if (v && s.name() != "alice") ++r.leaked;
        }
        return r;
      },
      test_options(seed));
  std::size_t alice = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "alice") alice = i;
    CHECK_MESSAGE(results[i].leaked == 0, "player '", names[i], "' received an output revealed to alice");
  }
  return std::move(results[alice].values);
}

/// One output: shorthand for run_revealed with a single tensor.
template <class P>
dvec run_one(const std::function<tfe::private_tensor<P>(io<P>&)>& prog, std::uint64_t seed = current_test_seed()) {
  auto v = run_revealed<P>([&](io<P>& c) { return std::vector<tfe::private_tensor<P>>{prog(c)}; }, seed);
  REQUIRE(v.size() == 1);
  return v[0];
}

/// The outcome of a program expected to fail.
struct failure {
  bool threw = false;             ///< run_local threw tfe::player_error
  bool original_matches = false;  ///< ... whose original exception has the expected type E
  std::string player, what;
};

template <class E, class P>
failure run_failing(const std::function<void(io<P>&)>& prog) {
  failure f;
  try {
    tfe::run_local<P>(
        players<P>(),
        [&](tfe::session<P>& s) {
          io<P> c{s};
          prog(c);
        },
        test_options(7));
  } catch (const tfe::player_error& e) {
    f.threw = true;
    f.player = e.player();
    f.what = e.what();
    try {
      e.rethrow_original();
    } catch (const E&) {
      f.original_matches = true;
    } catch (...) {}
  }
  return f;
}

inline bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace tfe_conformance
