// tests/test_securenn_security.cpp: what SecureNN's helper receives, checked statistically.
//
//  (a) The helper's view does not depend on the inputs: over several runs of DReLU on two very
//      different inputs (all zeros; large values of both signs), everything the helper receives has
//      the same distribution: the masked openings ã_j bit by bit, the raw PrivateCompare shares, the
//      reconstructed values d over Z_p (zero or not, the nonzero values), and the position of the zero.
//  (b) The permutation matters: in PrivateCompare the position of the zero among the k values of an
//      element is uniform over the k positions. Without the permutation it is the highest bit where
//      x and r differ; the test shows that this unpermuted position (computed here from the same runs)
//      fails the same uniformity test by a huge margin.
//  (c) The re-randomization matters: in ShareConvert the helper dealt the bit shares ⟨x_i⟩_j itself.
//      If the servers sent s_i·⟨c_i⟩_j as in Algorithm 3, every received pair would satisfy
//      d0·c1 = d1·c0 for the shares (c0, c1) of its c_i, which the helper can compute for each guess
//      of the public bits (β and the bits of r, hence of the protected value): it could test guesses.
//      With the re-randomization a pair is a fresh sharing and a true guess passes only by chance:
//      among an element's k pairs, with probability exactly 1 − (1 − 1/p)^k. The test measures that
//      rate for the true top-bit guess on the recorded traffic, and 1 on a simulated transcript of
//      Algorithm 3 without the re-randomization (same inputs).
//  (d) The masked DReLU that the ops' sign test uses (drelu.hpp), at the fixed-point width k = 32 and
//      at k = ℓ: the openings ã_j bit by bit, the PrivateCompare values over its k − 1 positions and
//      the zero's position have the same distribution for both inputs.
// Every check is a chi-square or binomial test with a wide margin (6 standard deviations, or the
// 1e-6 quantile), so a correct implementation fails with negligible probability.
#include "recording_channel.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_securenn_security {

namespace {

using namespace security_test;

namespace sd = tfe::securenn_detail;
using R = tfe::ring64;
constexpr unsigned ell = 64;
constexpr unsigned p = sd::prime<R>;
const std::vector<std::string> players = {"server0", "server1", "helper", "alice"};

/// Runs program(session, channel) on every player over recording channels; returns every player's received
/// frames of phase "op".
template <class F>
std::vector<std::vector<record>> received_in_op(F program) {
  auto run = run_recorded<tfe::securenn<R>>(players, program);
  std::vector<std::vector<record>> logs(players.size());
  for (std::size_t id = 0; id < players.size(); ++id)
    for (auto& r : run.logs[id])
      if (!r.sent && r.phase == "op") logs[id].push_back(std::move(r));
  return logs;
}

std::vector<record> from(const std::vector<record>& log, std::size_t sender) {
  std::vector<record> out;
  for (const auto& r : log)
    if (r.peer == sender) out.push_back(r);
  return out;
}

std::vector<R> ring_values(const tfe::frame& f) {
  auto t = tfe::deserialize_tensor<R>(f);
  return std::vector<R>(t.begin(), t.end());
}
sd::zp_vec zp_values(const tfe::frame& f, std::size_t m) {
  return sd::unpack_bytes(tfe::deserialize_tensor<std::uint64_t>(f), m, "peer");
}

// ---- statistics -----------------------------------------------------------------------------------

/// Chi-square statistic of counts against expected probabilities.
double chi2(const std::vector<double>& counts, const std::vector<double>& probs) {
  double total = 0, x = 0;
  for (double c : counts) total += c;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double e = total * probs[i];
    if (e > 0) x += (counts[i] - e) * (counts[i] - e) / e;
  }
  return x;
}
/// Two-sample chi-square (homogeneity) of two histograms over the same cells.
double chi2_two(const std::vector<double>& a, const std::vector<double>& b) {
  double na = 0, nb = 0, x = 0;
  for (double v : a) na += v;
  for (double v : b) nb += v;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double t = a[i] + b[i];
    if (t == 0) continue;
    const double ea = na * t / (na + nb), eb = nb * t / (na + nb);
    x += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
  }
  return x;
}
/// A generous upper bound on the 1 − 1e-6 quantile of chi-square with `dof` degrees of freedom
/// (Wilson–Hilferty with z = 6).
double chi2_limit(double dof) {
  const double z = 6.0, a = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}
std::vector<double> uniform_probs(std::size_t cells) {
  return std::vector<double>(cells, 1.0 / static_cast<double>(cells));
}

// ---- what the helper received in the paper's DReLU ---------------------------------------------------

struct helper_view {
  std::vector<double> bit_ones = std::vector<double>(ell, 0);             // ã_j: ones per bit position
  double openings = 0;                                                    // how many ã_j
  std::vector<double> raw = std::vector<double>(p, 0);                    // raw PrivateCompare shares over Z_p
  std::vector<double> nonzero = std::vector<double>(p, 0);                // reconstructed nonzero d values
  std::vector<double> zero_pos = std::vector<double>(ell, 0);             // position of the zero (permuted)
  std::vector<double> zero_pos_unpermuted = std::vector<double>(ell, 0);  // highest differing bit
  double elements = 0, with_zero = 0;
  double fits = 0, fit_total = 0;      // (c) on the recorded traffic
  double sim_fits = 0, sim_total = 0;  // (c) on a simulated transcript
};

/// Element e's k values of a bit-major Z_p vector of n elements.
std::vector<std::uint8_t> column(const sd::zp_vec& v, std::size_t e, std::size_t n, unsigned k) {
  std::vector<std::uint8_t> out(k);
  for (unsigned i = 0; i < k; ++i) out[i] = v[sd::zp_index(e, i, n, k)];
  return out;
}

/// (c): does some received pair (d0_i, d1_i) satisfy d0·c1 = d1·c0 for the shares (c0, c1)?
bool some_pair_fits(unsigned c0, unsigned c1, const std::uint8_t* d0, const std::uint8_t* d1, unsigned k) {
  const sd::zp f{p};
  for (unsigned i = 0; i < k; ++i)
    if (f.mul(d0[i], c1) == f.mul(d1[i], c0)) return true;
  return false;
}

/// The top bit's shares of c in PrivateCompare (no higher bits, so no sum): β = 0: (−x0, r − x1 + 1),
/// β = 1: (x0, x1 − t + 1), with u the top bit of the public operand.
std::pair<unsigned, unsigned> top_c(unsigned beta, unsigned x0, unsigned x1, unsigned u) {
  const sd::zp f{p};
  return beta ? std::pair<unsigned, unsigned>{x0, f.add(f.sub(x1, u), 1)}
              : std::pair<unsigned, unsigned>{f.sub(0, x0), f.add(f.sub(u, x1), 1)};
}

/// One run of the paper's DReLU (Algorithm 7, drelu.hpp's drelu) on `values`, adding what the helper saw.
void observe(const std::vector<double>& values, helper_view& v, std::mt19937_64& sim_rng) {
  const std::size_t n = values.size();
  std::vector<R> enc(n);
  const auto cfg = tfe::fixed_point_config::preset<R>();
  for (std::size_t i = 0; i < n; ++i) enc[i] = tfe::encode_value<R>(values[i], cfg);
  auto logs = received_in_op([&](auto& s, recording_channel& ch) {
    auto x = s.define_private_input("alice", [&] {
      xt::xarray<double> t = xt::zeros<double>({n});
      for (std::size_t i = 0; i < n; ++i) t(i) = values[i];
      return t;
    });
    ch.phase = "op";
    (void)sd::drelu<R>(s, s.id() < 2 ? &x.parts().at(0) : nullptr, x.shape());
    ch.phase = "done";
  });
  const auto& h = logs[2];
  const auto h0 = from(h, 0), h1 = from(h, 1);
  REQUIRE(h0.size() == 3);  // ã_0, ShareConvert's PrivateCompare, ComputeMSB's PrivateCompare
  REQUIRE(h1.size() == 3);
  // (a) the openings ã_j, bit by bit
  const auto at0 = ring_values(h0[0].f), at1 = ring_values(h1[0].f);
  for (const auto* at : {&at0, &at1})
    for (R a : *at) {
      v.openings += 1;
      for (unsigned i = 0; i < ell; ++i) v.bit_ones[i] += static_cast<double>((a >> i) & 1u);
    }
  // Server 1's received frames from the helper: the first is its share of the bits of x (ShareConvert).
  const auto s1h = from(logs[1], 2);
  REQUIRE(!s1h.empty());
  const sd::zp_vec sh1 = zp_values(s1h[0].f, n * ell);
  const sd::zp f{p};
  for (int pc = 1; pc <= 2; ++pc) {
    const sd::zp_vec d0 = zp_values(h0[pc].f, n * ell), d1 = zp_values(h1[pc].f, n * ell);
    for (std::size_t i = 0; i < n * ell; ++i) v.raw[d0[i]] += 1;
    std::vector<std::uint8_t> has_zero(n, 0);
    for (std::size_t e = 0; e < n; ++e) {
      v.elements += 1;
      int zeros = 0;
      for (unsigned i = 0; i < ell; ++i) {
        const unsigned d = f.add(d0[sd::zp_index(e, i, n, ell)], d1[sd::zp_index(e, i, n, ell)]);
        if (d == 0) {
          ++zeros;
          v.zero_pos[i] += 1;
        } else {
          v.nonzero[d] += 1;
        }
      }
      CHECK(zeros <= 1);
      v.with_zero += zeros;
      has_zero[e] = zeros != 0;
    }
    if (pc != 1) continue;
    // ShareConvert's PrivateCompare compares x = 2a + r (the helper knows it) with r − 1.
    for (std::size_t e = 0; e < n; ++e) {
      const R x = at0[e] + at1[e];
      const R r = x - R(enc[e] << 1);
      const R rm1 = r - 1;
      const bool greater = x > rm1;
      // (b) where the zero would be without the permutation: the highest bit where x and r − 1
      // differ, when x > r − 1 (β = 0; for β = 1 it is the same position up to the edge t = r).
      if (greater) {
        unsigned hi = ell - 1;
        while (sd::bit_of(x, hi) == sd::bit_of(rm1, hi)) --hi;
        v.zero_pos_unpermuted[hi] += 1;
      }
      // (c) the true guess for the top bit, on the recorded pairs. β = β' ⊕ result, where β' is
      // whether the element holds a zero; the public operand is r − 1 (β = 0) or t = r (β = 1).
      const unsigned xb = sd::bit_of(x, ell - 1);
      const unsigned x1 = sh1[sd::zp_index(e, ell - 1, n, ell)];
      const unsigned x0 = f.sub(xb, x1);
      const unsigned beta_true = static_cast<unsigned>(has_zero[e] ^ (greater ? 1 : 0));
      const unsigned u = sd::bit_of(beta_true ? r : rm1, ell - 1);
      const auto [c0, c1] = top_c(beta_true, x0, x1, u);
      if (f.add(c0, c1) != 0) {  // c_top = 0 (the zero itself) fits any sharing of 0: not counted
        v.fits += some_pair_fits(c0, c1, column(d0, e, n, ell).data(), column(d1, e, n, ell).data(), ell) ? 1 : 0;
        v.fit_total += 1;
      }
      // ... and on a simulated transcript of Algorithm 3 without re-randomization (same x shares,
      // same r, a fresh β, s and permutation): d_i^(j) = s_i·⟨c_i⟩_j.
      std::uniform_int_distribution<unsigned> bit(0, 1), sdist(1, p - 1);
      const unsigned beta = bit(sim_rng);
      const R pub = beta ? r : rm1;  // β = 1 compares with t = (r − 1) + 1
      std::vector<std::uint8_t> s0(ell), s1(ell);
      unsigned acc0 = 0, acc1 = 0;
      for (unsigned i = ell; i-- > 0;) {
        const unsigned xbit = sd::bit_of(x, i), sh1i = sh1[sd::zp_index(e, i, n, ell)], sh0i = f.sub(xbit, sh1i);
        const unsigned ui = sd::bit_of(pub, i);
        const unsigned c0 = f.add(beta ? sh0i : f.sub(0, sh0i), acc0);
        const unsigned c1 = f.add(f.add(beta ? f.sub(sh1i, ui) : f.sub(ui, sh1i), 1), acc1);
        acc0 = f.add(acc0, ui ? f.sub(0, sh0i) : sh0i);
        acc1 = f.add(acc1, ui ? f.sub(1, sh1i) : sh1i);
        const unsigned si = sdist(sim_rng);
        s0[i] = f.mul(si, c0);
        s1[i] = f.mul(si, c1);
      }
      for (unsigned i = ell - 1; i >= 1; --i) {
        std::uniform_int_distribution<unsigned> jd(0, i);
        const unsigned j = jd(sim_rng);
        std::swap(s0[i], s0[j]);
        std::swap(s1[i], s1[j]);
      }
      const auto [sc0, sc1] = top_c(beta, x0, x1, sd::bit_of(pub, ell - 1));
      if (f.add(sc0, sc1) != 0) {
        v.sim_fits += some_pair_fits(sc0, sc1, s0.data(), s1.data(), ell) ? 1 : 0;
        v.sim_total += 1;
      }
    }
  }
}

void check_uniform_view(const helper_view& v, const char* what) {
  INFO(what);
  // ã_j: every bit is 1 half of the time.
  for (unsigned i = 0; i < ell; ++i) {
    const double z = (v.bit_ones[i] - v.openings / 2) / std::sqrt(v.openings / 4);
    INFO("bit ", i, ": z = ", z);
    CHECK(std::fabs(z) < 6.0);
  }
  // Raw shares: uniform over Z_p.
  const double raw = chi2(v.raw, uniform_probs(p));
  INFO("raw shares: chi2 = ", raw);
  CHECK(raw < chi2_limit(p - 1));
  // Reconstructed nonzero values: uniform over Z_p^*.
  std::vector<double> nz(v.nonzero.begin() + 1, v.nonzero.end());
  const double c_nz = chi2(nz, uniform_probs(p - 1));
  INFO("nonzero d: chi2 = ", c_nz);
  CHECK(c_nz < chi2_limit(p - 2));
  // Half of the elements hold a zero (β' = β ⊕ result with β uniform).
  const double z = (v.with_zero - v.elements / 2) / std::sqrt(v.elements / 4);
  INFO("elements with a zero: ", v.with_zero, " of ", v.elements, ", z = ", z);
  CHECK(std::fabs(z) < 6.0);
  // (b) The zero sits anywhere.
  const double c_pos = chi2(v.zero_pos, uniform_probs(ell));
  INFO("zero position: chi2 = ", c_pos);
  CHECK(c_pos < chi2_limit(ell - 1));
}

}  // namespace

TEST_CASE("the helper's view is independent of the inputs, and the zero's position is uniform") {
  std::mt19937_64 g(2024), sim(7);
  const std::size_t n = 1500;  // a full block of the layout (bit_shares.hpp) and a partial one
  // Input A: all zeros. Input B: large values of both signs.
  const std::vector<double> a(n, 0.0);
  std::vector<double> b(n);
  std::uniform_real_distribution<double> u(-30000.0, 30000.0);
  for (auto& x : b) x = u(g);
  helper_view va, vb;
  for (int run = 0; run < 3; ++run) {
    observe(a, va, sim);
    observe(b, vb, sim);
  }
  check_uniform_view(va, "input A (zeros)");
  check_uniform_view(vb, "input B (large values)");
  // Same distribution for A and B (two-sample tests).
  const double t_raw = chi2_two(va.raw, vb.raw);
  const double t_nz = chi2_two(va.nonzero, vb.nonzero);
  const double t_pos = chi2_two(va.zero_pos, vb.zero_pos);
  const double t_bits = chi2_two(va.bit_ones, vb.bit_ones);
  INFO("two-sample chi2: raw ", t_raw, ", nonzero ", t_nz, ", position ", t_pos, ", bits ", t_bits);
  CHECK(t_raw < chi2_limit(p - 1));
  CHECK(t_nz < chi2_limit(p - 1));
  CHECK(t_pos < chi2_limit(ell - 1));
  CHECK(t_bits < chi2_limit(ell - 1));
  // (b) Without the permutation the position would be the highest differing bit: far from uniform.
  for (const auto* v : {&va, &vb}) {
    const double c = chi2(v->zero_pos_unpermuted, uniform_probs(ell));
    INFO("unpermuted zero position: chi2 = ", c, " (limit ", chi2_limit(ell - 1), ")");
    CHECK(c > 20 * chi2_limit(ell - 1));
  }
  // (c) A true guess fits the recorded pairs at the chance rate 1 − (1 − 1/p)^ℓ, and always without
  // the re-randomization.
  const double q = 1.0 - std::pow(1.0 - 1.0 / p, static_cast<double>(ell));
  for (const auto* v : {&va, &vb}) {
    const double rate = v->fits / v->fit_total, sim_rate = v->sim_fits / v->sim_total;
    const double sd_ = std::sqrt(q * (1 - q) / v->fit_total);
    INFO("a true guess fits: ", rate, " of ", v->fit_total, " elements (chance ", q, ", sd ", sd_,
         "); without re-randomization ", sim_rate);
    CHECK(std::fabs(rate - q) < 6 * sd_);
    CHECK(sim_rate == 1.0);
  }
}

/// The masked DReLU (the ops' sign test) at width k: k = 32 through relu (the ring64 preset's width),
/// k = ℓ through relu(x, sign_width::full). The helper receives ã_j and one PrivateCompare of k − 1
/// positions per element from each server.
void check_masked_drelu_view(unsigned k) {
  CAPTURE(k);
  const unsigned m = k - 1;
  const std::size_t n = 1500;  // a full block of the layout (bit_shares.hpp) and a partial one
  std::mt19937_64 g(99 + k);
  std::vector<double> b(n);
  std::uniform_real_distribution<double> u(-30000.0, 30000.0);
  for (auto& x : b) x = u(g);
  std::vector<double> pos[2] = {std::vector<double>(m, 0), std::vector<double>(m, 0)};
  std::vector<double> nz[2] = {std::vector<double>(p, 0), std::vector<double>(p, 0)};
  std::vector<double> bits[2] = {std::vector<double>(ell, 0), std::vector<double>(ell, 0)};
  double zeros[2] = {0, 0}, elems[2] = {0, 0}, openings[2] = {0, 0};
  for (int which = 0; which < 2; ++which)
    for (int run = 0; run < 3; ++run) {
      const std::vector<double>& vals = which == 0 ? std::vector<double>(n, 0.0) : b;
      auto logs = received_in_op([&](auto& s, recording_channel& ch) {
        auto x = s.define_private_input("alice", [&] {
          xt::xarray<double> t = xt::zeros<double>({n});
          for (std::size_t i = 0; i < n; ++i) t(i) = vals[i];
          return t;
        });
        REQUIRE(s.fixed_point().used_bits() == 32);
        ch.phase = "op";
        (void)tfe::relu(x, k == ell ? tfe::sign_width::full : tfe::sign_width::fixed_point_range);
        ch.phase = "done";
      });
      const auto h0 = from(logs[2], 0), h1 = from(logs[2], 1);
      REQUIRE(h0.size() == 2);
      REQUIRE(h1.size() == 2);
      for (const auto* h : {&h0, &h1})
        for (R a : ring_values((*h)[0].f)) {  // ã_j = a_j − r_j: every bit uniform
          openings[which] += 1;
          for (unsigned i = 0; i < ell; ++i) bits[which][i] += static_cast<double>((a >> i) & 1u);
        }
      const sd::zp f{p};
      const sd::zp_vec d0 = zp_values(h0[1].f, n * m), d1 = zp_values(h1[1].f, n * m);
      for (std::size_t e = 0; e < n; ++e) {
        elems[which] += 1;
        int in_element = 0;
        for (unsigned i = 0; i < m; ++i) {
          const unsigned d = f.add(d0[sd::zp_index(e, i, n, m)], d1[sd::zp_index(e, i, n, m)]);
          if (d == 0) {
            ++in_element;
            zeros[which] += 1;
            pos[which][i] += 1;
          } else {
            nz[which][d] += 1;
          }
        }
        CHECK(in_element <= 1);
      }
    }
  for (int w = 0; w < 2; ++w) {
    CAPTURE(w);
    CHECK(std::fabs(zeros[w] - elems[w] / 2) < 6 * std::sqrt(elems[w] / 4));  // β' = β ⊕ result, β uniform
    CHECK(chi2(pos[w], uniform_probs(m)) < chi2_limit(m - 1));
    std::vector<double> nzw(nz[w].begin() + 1, nz[w].end());
    CHECK(chi2(nzw, uniform_probs(p - 1)) < chi2_limit(p - 2));
    for (unsigned i = 0; i < ell; ++i) CHECK(std::fabs(bits[w][i] - openings[w] / 2) < 6 * std::sqrt(openings[w] / 4));
  }
  CHECK(chi2_two(pos[0], pos[1]) < chi2_limit(m - 1));
  CHECK(chi2_two(nz[0], nz[1]) < chi2_limit(p - 1));
  CHECK(chi2_two(bits[0], bits[1]) < chi2_limit(ell - 1));
}

TEST_CASE("the masked DReLU (the ops' sign test): the helper's view is independent of the inputs as well") {
  check_masked_drelu_view(32);   // relu at the fixed-point width
  check_masked_drelu_view(ell);  // relu(x, sign_width::full): the whole ring
}

TEST_CASE("sample_below: exactly uniform values, digits of one draw independent, both holders in lockstep") {
  for (unsigned range : {1u, 2u, 63u, 64u, 66u, 67u, 127u, 128u, 130u, 131u, 255u}) {
    CAPTURE(range);
    const std::uint8_t lo = range == 66 || range == 130 ? 1 : 0;  // Z_p^* as PrivateCompare draws it
    const unsigned t = sd::values_per_draw(range);
    const std::size_t D = sd::sample_scratch::chunk;  // draws per chunk
    const std::size_t m = 60 * D * t + 77;            // 60 full chunks and a partial one
    tfe::seed_t seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(17 * i + range);
    tfe::prg a(seed), b(seed);
    std::vector<std::uint8_t> va(m), vb(m);
    sd::sample_below(a, range, lo, va.data(), m);
    sd::sample_below(b, range, lo, vb.data(), m);
    CHECK(va == vb);  // the same stream gives the same values (the servers' common randomness)
    CHECK(a.bytes_generated() == b.bytes_generated());
    std::vector<double> counts(range, 0);
    bool in_range = true;
    for (std::uint8_t v : va) {
      in_range = in_range && v >= lo && v < lo + range;
      if (v >= lo && v < lo + range) counts[v - lo] += 1;
    }
    CHECK(in_range);
    if (range == 1) continue;
    const double c = chi2(counts, uniform_probs(range));
    INFO("chi2 = ", c, ", limit ", chi2_limit(range - 1));
    CHECK(c < chi2_limit(range - 1));
    // Pairs of digits of the same draw (digit q of draw i at q·D + i in a chunk of D = 2048 draws).
    if (t >= 2 && range <= 67) {
      std::vector<double> pairs(range * range, 0);
      for (std::size_t chunk = 0; chunk < 60; ++chunk)
        for (std::size_t i = 0; i < D; ++i) {
          const std::size_t base = chunk * D * t;
          pairs[(va[base + i] - lo) * range + (va[base + D + i] - lo)] += 1;
        }
      const double cp = chi2(pairs, uniform_probs(range * range));
      INFO("pairs: chi2 = ", cp, ", limit ", chi2_limit(range * range - 1));
      CHECK(cp < chi2_limit(range * range - 1));
    }
    // Rejections happen where the rate is not 0 (66: 0.16% of draws), and cost extra draws.
    const std::size_t draws = (m + t - 1) / t;
    if (range == 66 || range == 131) CHECK(a.bytes_generated() > 4 * draws);
    if (range == 64 || range == 128 || range == 2) CHECK(a.bytes_generated() == 4 * draws);  // 2^32 mod range^t = 0
  }
  CHECK(sd::values_per_draw(67) == 4);
  CHECK(sd::values_per_draw(131) == 3);
}

}  // namespace test_securenn_security
