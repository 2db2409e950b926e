// tests/test_reveal_security.cpp: what the player that dealt the Beaver triples (Pond's crypto
// producer, SecureNN's helper: player 2) receives when a product is revealed to it or to everybody.
//
// The dealer knows every server's triple part (a_i, b_i, c_i). A server's share of z = x·y is
// z_i = trunc_i(c_i + e·b_i + f·a_i (+ e·f at server 0)), e = x − a, f = y − b, so a share sent to the
// dealer unmasked gives it a linear relation in the secret operands (issue 14). The servers must
// re-randomize (x_0 + r, x_1 − r): what the dealer receives from a server must never be that server's
// share, and the difference (the mask) must look uniform. A positive control checks that the relation
// really holds for the servers' shares, so the check is one the old code fails (it did: 16384 of 16384
// elements equal, under all four protocol × ring pairs).
#include "recording_channel.hpp"

#include <random>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_reveal_security {

namespace {

using namespace security_test;

constexpr std::size_t S0 = 0, S1 = 1, DEALER = 2;
constexpr std::size_t n = std::size_t(1) << 14;

template <class R>
std::vector<R> to_vec(const tfe::ring_tensor<R>& t) {
  return std::vector<R>(t.data(), t.data() + t.size());
}

/// The frames `from` sent to `to` in `phase`, in order.
template <class R>
std::vector<std::vector<R>> sent(const std::vector<std::vector<record>>& logs, std::size_t from, std::size_t to,
                                 const std::string& phase) {
  std::vector<std::vector<R>> out;
  for (const auto& rec : logs[from])
    if (rec.sent && rec.peer == to && rec.phase == phase) out.push_back(elements<R>(rec.f));
  return out;
}

template <class R>
void add_words(bit_counts& bc, R w) {
  bc.add(static_cast<std::uint64_t>(w));
  if constexpr (sizeof(R) > 8) bc.add(static_cast<std::uint64_t>(w >> 64));
}

/// Random fixed-point inputs in [−100, 100], with zero and the edges ±100 in the first entries.
xt::xarray<double> random_input(std::mt19937_64& gen) {
  std::uniform_real_distribution<double> u(-100.0, 100.0);
  xt::xarray<double> v = xt::zeros<double>({n});
  for (std::size_t i = 0; i < n; ++i) v(i) = u(gen);
  v(0) = 0.0;
  v(1) = 100.0;
  v(2) = -100.0;
  return v;
}

template <class P>
void check_dealer_view() {
  using R = typename P::ring;
  std::vector<std::string> players = P::default_players();
  players.push_back("alice");
  std::random_device rd;
  std::mt19937_64 gen((std::uint64_t(rd()) << 32) ^ rd());
  const auto xv = random_input(gen), yv = random_input(gen);
  const unsigned frac = tfe::fixed_point_config::preset<R>().frac_bits;

  struct shares {
    std::vector<R> x, y, z;
    std::vector<double> revealed, revealed_all;
  };
  auto out = run_recorded<P>(players, [&](tfe::session<P>& s, recording_channel& ch) {
    ch.phase = "input";
    auto x = s.define_private_input("alice", [&] { return xv; });
    auto y = s.define_private_input("alice", [&] { return yv; });
    ch.phase = "product";
    auto z = x * y;
    ch.phase = "reveal_to_dealer";
    auto r = s.reveal_to(players[DEALER], z);
    ch.phase = "reveal_all";
    auto ra = s.reveal_to_all(z);
    ch.phase = "done";
    shares sh;
    if (s.id() < 2) sh = {to_vec(x.parts()[0]), to_vec(y.parts()[0]), to_vec(z.parts()[0]), {}, {}};
    if (r) sh.revealed.assign(r->begin(), r->end());
    const auto decoded = ra.decode();
    sh.revealed_all.assign(decoded.begin(), decoded.end());
    return sh;
  });
  const auto& res = out.results;
  const auto& logs = out.logs;

  // What the dealer knows of the product: it sent c_1 to server 1; e and f are what the servers
  // opened to each other (e_j, f_j in that order), so a_1 = x_1 − e_1 and b_1 = y_1 − f_1.
  const auto c1 = sent<R>(logs, DEALER, S1, "product");
  const auto ef0 = sent<R>(logs, S0, S1, "product"), ef1 = sent<R>(logs, S1, S0, "product");
  REQUIRE(c1.size() == 1);
  REQUIRE(ef0.size() == 2);
  REQUIRE(ef1.size() == 2);
  std::size_t relation_holds = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const R e = R(ef0[0][i] + ef1[0][i]), f = R(ef0[1][i] + ef1[1][i]);
    const R a1 = R(res[S1].x[i] - ef1[0][i]), b1 = R(res[S1].y[i] - ef1[1][i]);
    tfe::ring_tensor<R> raw = {R(c1[0][i] + e * b1 + f * a1)};
    relation_holds += tfe::truncate_share<R>(raw, frac, 1)(0) == res[S1].z[i];
  }
  // Positive control: the dealer's algebra from the triple gives server 1's share exactly.
  CHECK(relation_holds == n);

  for (const std::string phase : {"reveal_to_dealer", "reveal_all"}) {
    CAPTURE(phase);
    const auto u0 = sent<R>(logs, S0, DEALER, phase), u1 = sent<R>(logs, S1, DEALER, phase);
    REQUIRE(u0.size() == 1);
    REQUIRE(u1.size() == 1);
    REQUIRE(u0[0].size() == n);
    REQUIRE(u1[0].size() == n);
    std::size_t equal0 = 0, equal1 = 0, sums = 0;
    bit_counts mask0, mask1;
    for (std::size_t i = 0; i < n; ++i) {
      equal0 += u0[0][i] == res[S0].z[i];
      equal1 += u1[0][i] == res[S1].z[i];
      sums += R(u0[0][i] + u1[0][i]) == R(res[S0].z[i] + res[S1].z[i]);
      add_words(mask0, R(u0[0][i] - res[S0].z[i]));
      add_words(mask1, R(u1[0][i] - res[S1].z[i]));
    }
    CHECK(equal0 == 0);  // the dealer never gets a server's share of the product
    CHECK(equal1 == 0);
    CHECK(sums == n);  // yet what it gets adds up to z
    check_uniform_bits(mask0, phase + ": mask on server 0's share");
    check_uniform_bits(mask1, phase + ": mask on server 1's share");
  }
  // The dealer learns z, as asked, and so does everybody on reveal_all.
  REQUIRE(res[DEALER].revealed.size() == n);
  for (std::size_t p = 0; p < players.size(); ++p) {
    CAPTURE(players[p]);
    REQUIRE(res[p].revealed_all.size() == n);
    CHECK(res[p].revealed_all == res[DEALER].revealed);
  }
  // What the dealer decodes is exactly z_0 + z_1 (the product's own accuracy is the conformance
  // suite's business).
  const auto cfg = tfe::fixed_point_config::preset<R>();
  for (std::size_t i = 0; i < n; ++i)
    if (res[DEALER].revealed[i] != tfe::decode_value<R>(R(res[S0].z[i] + res[S1].z[i]), cfg)) FAIL("element ", i);
}

}  // namespace

TEST_CASE_TEMPLATE("a product revealed to the triple dealer is re-randomized: Pond's crypto producer", R, tfe::ring64,
                   tfe::ring128) {
  check_dealer_view<tfe::pond<R>>();
}

TEST_CASE_TEMPLATE("a product revealed to the triple dealer is re-randomized: SecureNN's helper", R, tfe::ring64,
                   tfe::ring128) {
  check_dealer_view<tfe::securenn<R>>();
}

}  // namespace test_reveal_security
