// tests/test_aby3_costs.cpp: aby3's communication, checked exactly against the costs DOCUMENTED in
// protocol/aby3/{arithmetic,compare,boolean,conversions}.hpp (bytes are payload bytes as defined in
// net/statistics.hpp; every formula below is written from those comments, not copied from a run).
//
// Two measures per op:
//  - per player, from the channel statistics: bytes and messages sent and received, and rounds as
//    net/statistics.hpp counts them (a player's consecutive sends without a receive are one round);
//  - latency: the longest chain of messages, each depending on the previous one, measured with
//    Lamport clocks by a test-only channel (a message is stamped 1 + the largest stamp its sender has
//    received in the op). This is the protocol's number of rounds; the bounds are on it.
//
// Notation: n = elements, ℓ = ring bits, E = ℓ/8 bytes per ring element, W = ⌈n/64⌉ words per
// bit-sliced row, k = the fixed-point width used_bits() (32 for ring64's preset, 64 for ring128's).
#include <doctest/doctest.h>

#include "tfe/tfe.hpp"

#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using tfe::op_stats;
using tfe::statistics;
using namespace tfe::aby3_ops;

constexpr std::size_t S0 = 0, S1 = 1, S2 = 2, ALICE = 3, BOB = 4;
const std::vector<std::string> players = {"server0", "server1", "server2", "alice", "bob"};
constexpr std::uint64_t NP = 5;  // number of players

// ---- a channel that measures latency with Lamport clocks -----------------------------------------

/// The stamps of the frames in flight, one FIFO per ordered pair (frames are FIFO per pair too).
struct stamp_board {
  std::mutex m;
  std::map<std::pair<std::size_t, std::size_t>, std::deque<std::uint64_t>> q;
};

class lamport_channel final : public tfe::channel {
 public:
  lamport_channel(tfe::memory_network& net, std::size_t self, std::vector<std::string> names, stamp_board& b)
      : channel(self, std::move(names)), m_net(&net), m_board(&b) {}
  /// Starts a phase: the clock restarts at 0 (every earlier frame has been received by then).
  void set_phase(const std::string& p) {
    m_phase = p;
    m_clock = 0;
  }
  std::map<std::string, std::uint64_t> depth;  // the largest stamp this player sent, per phase

 protected:
  void do_send(std::size_t to, tfe::frame&& f) override {
    const std::uint64_t stamp = m_clock + 1;
    {
      std::lock_guard lock(m_board->m);
      m_board->q[{self(), to}].push_back(stamp);
    }
    auto& d = depth[m_phase];
    d = std::max(d, stamp);
    m_net->push(self(), to, std::move(f));
  }
  tfe::frame do_recv(std::size_t from, std::chrono::milliseconds timeout) override {
    tfe::frame f = m_net->pop(from, self(), timeout, name(from), name(self()));
    std::uint64_t stamp = 0;
    {
      std::lock_guard lock(m_board->m);
      auto& q = m_board->q[{from, self()}];
      stamp = q.front();
      q.pop_front();
    }
    m_clock = std::max(m_clock, stamp);
    return f;
  }
  void do_close() override { m_net->close(); }

 private:
  tfe::memory_network* m_net;
  stamp_board* m_board;
  std::string m_phase = "setup";
  std::uint64_t m_clock = 0;
};

struct measured {
  std::vector<statistics> stats;                // per player
  std::map<std::string, std::uint64_t> latency;  // per phase, over all players
};

/// Runs program(session, phase) at every player over Lamport channels; phase(tag) opens the op
/// scope `tag` for the statistics and starts the latency phase `tag`.
template <class P, class F>
measured run_measured(F program) {
  const std::size_t n = players.size();
  tfe::memory_network net(n);
  stamp_board board;
  std::vector<statistics> stats(n);
  std::vector<std::map<std::string, std::uint64_t>> depths(n);
  std::mutex m;
  std::exception_ptr failure;
  std::vector<std::thread> threads;
  for (std::size_t id = 0; id < n; ++id)
    threads.emplace_back([&, id] {
      lamport_channel ch(net, id, players, board);
      try {
        tfe::session<P> s(ch);
        auto phase = [&](const std::string& tag) {
          ch.set_phase(tag);
          return s.op_scope(tag);
        };
        program(s, phase);
        stats[id] = s.stats();
      } catch (...) {
        std::lock_guard lock(m);
        if (!failure) failure = std::current_exception();
        net.close();
      }
      depths[id] = ch.depth;
    });
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  measured out;
  out.stats = std::move(stats);
  for (const auto& d : depths)
    for (const auto& [k, v] : d) out.latency[k] = std::max(out.latency[k], v);
  return out;
}

// ---- expected costs ----------------------------------------------------------------------------------

std::uint64_t ceil_log2(std::uint64_t v) {
  std::uint64_t l = 0;
  while ((std::uint64_t(1) << l) < v) ++l;
  return l;
}
std::uint64_t words(std::uint64_t n) { return (n + 63) / 64; }

struct expect {
  std::uint64_t bytes_sent = 0, bytes_received = 0, messages_sent = 0, messages_received = 0, rounds = 0;
};

void check_stats(const op_stats& got, const expect& e, const std::string& what) {
  INFO(what, ": got ", got, ", expected {bytes_sent: ", e.bytes_sent, ", bytes_received: ", e.bytes_received,
       ", messages_sent: ", e.messages_sent, ", messages_received: ", e.messages_received, ", rounds: ", e.rounds, "}");
  CHECK(got.bytes_sent == e.bytes_sent);
  CHECK(got.bytes_received == e.bytes_received);
  CHECK(got.messages_sent == e.messages_sent);
  CHECK(got.messages_received == e.messages_received);
  CHECK(got.rounds == e.rounds);
}

bool silent(const op_stats& s) {
  return s.bytes_sent == 0 && s.bytes_received == 0 && s.messages_sent == 0 && s.messages_received == 0 && s.rounds == 0;
}

/// compare.hpp's circuit for a width: positions, blocks of two, monomial rows, AND gates, levels.
struct circuit {
  std::uint64_t groups = 0, monomials = 0, ands = 0, levels = 0;
};
circuit sign_circuit(std::uint64_t k) {
  circuit c;
  const std::uint64_t q = k - 1, p = q / 2, s = q % 2;
  c.groups = p + s;
  c.monomials = 3 * p + s + 1;
  for (std::uint64_t g = c.groups; g > 1; g = (g + 1) / 2) c.ands += 2 * (g / 2) - 1;
  c.levels = ceil_log2(c.groups);
  return c;
}
circuit zero_circuit(std::uint64_t k) {
  circuit c;
  const std::uint64_t p = k / 2, s = k % 2;
  c.groups = p + s;
  c.monomials = 3 * p + s;
  c.ands = c.groups - 1;
  c.levels = ceil_log2(c.groups);
  return c;
}

/// compare.hpp's costs: server 0 sends (M_r + A)·8W + nE in 2 messages (1 round); servers 1 and 2
/// send 2A·8W + 8W + nE in L + 2 messages and rounds, and receive the same from each other; server 2
/// also receives server 0's message. Latency L + 3.
struct compare_cost {
  expect s0, s1, s2;
  std::uint64_t latency = 0;
};
compare_cost compare_costs(const circuit& c, std::uint64_t n, std::uint64_t E) {
  const std::uint64_t W = words(n);
  compare_cost out;
  const std::uint64_t dealer = (c.monomials + c.ands) * 8 * W + n * E;
  const std::uint64_t dealer_msgs = (c.monomials + c.ands) > 0 ? 2 : 1;
  const std::uint64_t peer = 2 * c.ands * 8 * W + 8 * W + n * E;
  out.s0 = {dealer, 0, dealer_msgs, 0, 1};
  out.s1 = {peer, peer, c.levels + 2, c.levels + 2, c.levels + 2};
  out.s2 = {peer, peer + dealer, c.levels + 2, c.levels + 2 + dealer_msgs, c.levels + 2};
  out.latency = c.levels + 3;
  return out;
}

/// A compare followed by one untruncated product of n elements (relu): every server sends and
/// receives n·E more in one message; server 0's product message goes out with its dealing (no
/// receive in between: the same round); servers 1 and 2 need one more round.
compare_cost plus_product(compare_cost c, std::uint64_t n, std::uint64_t E) {
  for (expect* e : {&c.s0, &c.s1, &c.s2}) {
    e->bytes_sent += n * E;
    e->bytes_received += n * E;
    e->messages_sent += 1;
    e->messages_received += 1;
  }
  c.s1.rounds += 1;
  c.s2.rounds += 1;
  c.latency += 1;
  return c;
}

// Shapes of the bilinear ops.
constexpr std::uint64_t MA = 13, MK = 17, MB = 5;                              // (MA×MK)·(MK×MB)
constexpr std::uint64_t CN = 1, CH = 8, CW = 8, CC = 3, FH = 3, FW = 3, FO = 4;  // NHWC input, HWIO filter
constexpr std::uint64_t OH = CH - FH + 1, OW = CW - FW + 1;                     // VALID, stride 1

template <class R>
measured run_program(std::size_t n) {
  using P = tfe::aby3<R>;
  return run_measured<P>([n](tfe::session<P>& s, auto& phase) {
    auto values = [n](double scale, double offset) {
      xt::xarray<double> v = xt::zeros<double>({n});
      for (std::size_t i = 0; i < n; ++i) v(i) = scale * std::sin(0.37 * static_cast<double>(i) + offset);
      return v;
    };
    auto in = [&](const char* tag, const std::string& owner, auto provider) {
      auto sc = phase(tag);
      return s.define_private_input(owner, provider);
    };
    auto a = in("t:input", "alice", [&] { return values(9.0, 0.1); });
    auto b = in("t:input_b", "alice", [&] { return values(9.0, 1.3); });
    auto v = in("t:input_server", "server0", [&] { return values(3.0, 2.0); });
    auto v1 = in("t:input_server1", "server1", [&] { return values(3.0, 2.5); });
    auto ma = in("t:input_ma", "alice", [] { return xt::xarray<double>(xt::ones<double>({MA, MK})); });
    auto mb = in("t:input_mb", "alice", [] { return xt::xarray<double>(xt::ones<double>({MK, MB})); });
    auto cx = in("t:input_cx", "alice", [] { return xt::xarray<double>(xt::ones<double>({CN, CH, CW, CC})); });
    auto cw = in("t:input_cw", "alice", [] { return xt::xarray<double>(xt::ones<double>({FH, FW, CC, FO})); });
    tfe::private_tensor<P> prod;
    boolean_tensor<R> A, B;
    {
      auto sc = phase("t:mul");
      prod = a * b;
    }
    {
      auto sc = phase("t:matmul");
      (void)tfe::matmul(ma, mb);
    }
    {
      auto sc = phase("t:conv2d");
      (void)tfe::conv2d(cx, cw);
    }
    {
      auto sc = phase("t:mul_public");
      (void)(a * 0.5);
    }
    {
      auto sc = phase("t:relu");
      (void)tfe::relu(a);
    }
    {
      auto sc = phase("t:relu_full");
      (void)tfe::relu(a, tfe::sign_width::full);
    }
    {
      auto sc = phase("t:less");
      (void)tfe::less(a, b);
    }
    {
      auto sc = phase("t:equal");
      (void)tfe::equal(a, b);
    }
    {
      auto sc = phase("t:reveal_bob");
      (void)s.reveal_to("bob", prod);
    }
    {
      auto sc = phase("t:reveal_server1");
      (void)s.reveal_to("server1", v);
    }
    {
      auto sc = phase("t:reveal_all");
      (void)s.reveal_to_all(v1);
    }
    {
      auto sc = phase("t:a2b");
      A = a2b(a);
    }
    {
      auto sc = phase("t:a2b_b");
      B = a2b(b);
    }
    {
      auto sc = phase("t:and");
      (void)(A & B);
    }
    {
      auto sc = phase("t:b2a");
      (void)b2a(A);
    }
    {
      auto sc = phase("t:bit_to_arith");
      (void)bit_to_arith(A);
    }
    {
      auto sc = phase("t:bit_inject");
      (void)bit_inject(A, b);
    }
  });
}

template <class R>
void check_costs(std::size_t n_) {
  const std::uint64_t n = n_;
  const std::uint64_t ell = tfe::ring_traits<R>::bits, E = ell / 8, lg = ceil_log2(ell);
  const std::uint64_t k = tfe::fixed_point_config::preset<R>().used_bits();
  CAPTURE(ell);
  CAPTURE(n);
  const auto m = run_program<R>(n_);
  const auto& st = m.stats;
  const auto& s0 = st[S0];
  const auto& s1 = st[S1];
  const auto& s2 = st[S2];
  auto latency = [&](const std::string& tag) {
    auto it = m.latency.find(tag);
    return it == m.latency.end() ? std::uint64_t(0) : it->second;
  };

  // The measured test scope and the op's own tag agree (each op is entered once under its scope).
  for (std::size_t p = 0; p < NP; ++p) {
    CAPTURE(p);
    for (const auto& [outer, inner] : std::map<std::string, std::string>{{"t:mul", "mul"},
                                                                        {"t:matmul", "matmul"},
                                                                        {"t:conv2d", "conv2d"},
                                                                        {"t:less", "less"},
                                                                        {"t:equal", "equal"},
                                                                        {"t:b2a", "aby3_b2a"}}) {
      INFO(outer, " vs ", inner, ": ", st[p].tag(outer), " / ", st[p].tag(inner));
      CHECK(st[p].tag(inner).calls == 1);
      const auto& a = st[p].tag(outer);
      const auto& b = st[p].tag(inner);
      CHECK((a.bytes_sent == b.bytes_sent && a.bytes_received == b.bytes_received && a.rounds == b.rounds &&
             a.messages_sent == b.messages_sent));
    }
  }

  // ---- inputs (arithmetic.hpp) -----------------------------------------------------------------------
  // An input player sends n·E to server 1 and to server 2; server 0 receives only the public shape
  // (session.hpp: one frame of ndim ring elements from the owner to every other player).
  {
    const std::uint64_t shape = E;  // ndim = 1
    check_stats(st[ALICE].tag("t:input"), {2 * n * E + (NP - 1) * shape, 0, 2 + (NP - 1), 0, 1}, "input: alice");
    check_stats(s0.tag("t:input"), {0, shape, 0, 1, 0}, "input: server0 (both components from 3-party streams)");
    check_stats(s1.tag("t:input"), {0, n * E + shape, 0, 2, 0}, "input: server1");
    check_stats(s2.tag("t:input"), {0, n * E + shape, 0, 2, 0}, "input: server2");
    check_stats(st[BOB].tag("t:input"), {0, shape, 0, 1, 0}, "input: bob");
    CHECK(latency("t:input") == 1);
    // A server o sends n·E to server o + 2 only.
    check_stats(s0.tag("t:input_server"), {n * E + (NP - 1) * shape, 0, NP, 0, 1}, "server0 input: server0");
    check_stats(s2.tag("t:input_server"), {0, n * E + shape, 0, 2, 0}, "server0 input: server2");
    check_stats(s1.tag("t:input_server"), {0, shape, 0, 1, 0}, "server0 input: server1");
    check_stats(s1.tag("t:input_server1"), {n * E + (NP - 1) * shape, 0, NP, 0, 1}, "server1 input: server1");
    check_stats(s0.tag("t:input_server1"), {0, n * E + shape, 0, 2, 0}, "server1 input: server0");
    check_stats(s2.tag("t:input_server1"), {0, shape, 0, 1, 0}, "server1 input: server2");
  }

  // ---- products with the fused truncation: 1 round, |z| ring elements per server -------------------
  // server 0 → 2: z_0; server 2 → 0: z_2; server 1 → 0: y_1.
  auto check_product = [&](const std::string& tag, std::uint64_t z) {
    check_stats(s0.tag(tag), {z * E, 2 * z * E, 1, 2, 1}, tag + ": server0");
    check_stats(s1.tag(tag), {z * E, 0, 1, 0, 1}, tag + ": server1");
    check_stats(s2.tag(tag), {z * E, z * E, 1, 1, 1}, tag + ": server2");
    CHECK(silent(st[ALICE].tag(tag)));
    CHECK(silent(st[BOB].tag(tag)));
    CHECK(latency(tag) == 1);
    for (const auto& x : {s0, s1, s2}) CHECK(x.tag(tag).bytes_sent == z * E);  // one element per output
  };
  check_product("t:mul", n);
  check_product("t:matmul", MA * MB);
  check_product("t:conv2d", CN * OH * OW * FO);
  // A product with a public value: local, then the standalone truncation: server 1 sends n·E.
  check_stats(s1.tag("t:mul_public"), {n * E, 0, 1, 0, 1}, "mul_public: server1");
  check_stats(s0.tag("t:mul_public"), {0, n * E, 0, 1, 0}, "mul_public: server0");
  CHECK(silent(s2.tag("t:mul_public")));
  CHECK(latency("t:mul_public") == 1);

  // ---- sign and zero tests (compare.hpp) ------------------------------------------------------------
  auto check_compare = [&](const std::string& tag, const compare_cost& c) {
    check_stats(s0.tag(tag), c.s0, tag + ": server0");
    check_stats(s1.tag(tag), c.s1, tag + ": server1");
    check_stats(s2.tag(tag), c.s2, tag + ": server2");
    CHECK(silent(st[ALICE].tag(tag)));
    CHECK(silent(st[BOB].tag(tag)));
    CHECK(latency(tag) == c.latency);
  };
  const auto relu_cost = plus_product(compare_costs(sign_circuit(k), n, E), n, E);
  const auto relu_full_cost = plus_product(compare_costs(sign_circuit(ell), n, E), n, E);
  const auto less_cost = compare_costs(sign_circuit(k + 1), n, E);
  const auto equal_cost = compare_costs(zero_circuit(k + 1), n, E);
  check_compare("t:relu", relu_cost);
  check_compare("t:relu_full", relu_full_cost);
  check_compare("t:less", less_cost);
  check_compare("t:equal", equal_cost);
  // The bounds: comparisons and ReLU in at most log2(ℓ) + 3 rounds, for any n.
  for (const char* tag : {"t:relu", "t:relu_full", "t:less", "t:equal"}) {
    CAPTURE(tag);
    CHECK(latency(tag) <= lg + 3);
  }
  if (ell == 64) {
    // compare.hpp's examples: k = 32: M_r = 47, A = 26, L = 4, 7 rounds; k = 64: L = 5.
    CHECK(sign_circuit(32).monomials == 47);
    CHECK(sign_circuit(32).ands == 26);
    CHECK(sign_circuit(32).levels == 4);
    CHECK(latency("t:relu") == 8);
    CHECK(latency("t:less") == 7);
    CHECK(latency("t:relu_full") == 9);
  } else {
    CHECK(latency("t:relu") == 9);
    CHECK(latency("t:relu_full") == 10);
  }
  CHECK(s0.tag("aby3_sign").calls == 3);  // relu, relu_full, less
  CHECK(s0.tag("relu").calls == 2);       // relu, relu_full
  CHECK(s0.tag("aby3_a2b").calls == 2);   // A, B
  if (ell == 64 && n % 64 == 0) {
    // ≤ 32 bytes per ReLU per server (sign ≤ 24) in the fixed-point range.
    for (std::size_t p : {S0, S1, S2}) {
      CAPTURE(p);
      const double relu = static_cast<double>(st[p].tag("t:relu").bytes_sent) / static_cast<double>(n);
      const double sign = relu - 8.0;
      MESSAGE("ring64 relu, server", p, ": ", relu, " bytes per value (sign ", sign, "), latency ",
              latency("t:relu"), " rounds");
      CHECK(relu <= 32.0);
      CHECK(sign <= 24.0);
    }
    // compare.hpp's per-value figures: 17.125 (server 0) and 14.625 (servers 1, 2) at k = 32.
    CHECK(relu_cost.s0.bytes_sent * 1000 == (17125 + 8000) * n);
    CHECK(relu_cost.s1.bytes_sent * 1000 == (14625 + 8000) * n);
  }

  // ---- reveals ----------------------------------------------------------------------------------------
  check_stats(s0.tag("t:reveal_bob"), {n * E, 0, 1, 0, 1}, "reveal to bob: server0");
  check_stats(s2.tag("t:reveal_bob"), {n * E, 0, 1, 0, 1}, "reveal to bob: server2");
  check_stats(st[BOB].tag("t:reveal_bob"), {0, 2 * n * E, 0, 2, 0}, "reveal to bob: bob");
  CHECK(silent(s1.tag("t:reveal_bob")));
  CHECK(silent(st[ALICE].tag("t:reveal_bob")));
  check_stats(s2.tag("t:reveal_server1"), {n * E, 0, 1, 0, 1}, "reveal to server1: server2");
  check_stats(s1.tag("t:reveal_server1"), {0, n * E, 0, 1, 0}, "reveal to server1: server1");
  for (std::size_t p : {S0, ALICE, BOB}) CHECK(silent(st[p].tag("t:reveal_server1")));
  // reveal_all: part 0 to the next server; servers 0 and 2 send the masked pair to alice and bob.
  check_stats(s0.tag("t:reveal_all"), {3 * n * E, n * E, 3, 1, 1}, "reveal_all: server0");
  check_stats(s1.tag("t:reveal_all"), {n * E, n * E, 1, 1, 1}, "reveal_all: server1");
  check_stats(s2.tag("t:reveal_all"), {3 * n * E, n * E, 3, 1, 1}, "reveal_all: server2");
  check_stats(st[ALICE].tag("t:reveal_all"), {0, 2 * n * E, 0, 2, 0}, "reveal_all: alice");
  CHECK(latency("t:reveal_all") == 1);

  // ---- boolean layer (boolean.hpp, conversions.hpp) ---------------------------------------------------
  // AND: 1 round, one word (ℓ AND gates) per element per server.
  for (std::size_t p : {S0, S1, S2}) check_stats(st[p].tag("t:and"), {n * E, n * E, 1, 1, 1}, "and");
  CHECK(latency("t:and") == 1);
  // a2b: server 0's input (n words to server 2), then add(): g (1 word), log2 ℓ − 1 levels of 2 words
  // and a last level of 1 word. Server 0's input and its first AND go out without a receive between.
  {
    const std::uint64_t add_words = 2 * lg;
    check_stats(s0.tag("t:a2b"), {(add_words + 1) * n * E, add_words * n * E, lg + 2, lg + 1, lg + 1}, "a2b: server0");
    check_stats(s1.tag("t:a2b"), {add_words * n * E, add_words * n * E, lg + 1, lg + 1, lg + 1}, "a2b: server1");
    check_stats(s2.tag("t:a2b"), {add_words * n * E, (add_words + 1) * n * E, lg + 1, lg + 2, lg + 1}, "a2b: server2");
    CHECK(latency("t:a2b") == lg + 2);
    if (ell == 64) CHECK((add_words + 1) * E == 104);  // conversions.hpp: 13 words = 104 bytes
    // b2a: server 1's input of σ (to server 0), add(), then servers 0 and 2 swap one word.
    check_stats(s0.tag("t:b2a"), {(add_words + 1) * n * E, (add_words + 2) * n * E, lg + 2, lg + 3, lg + 2},
                "b2a: server0");
    check_stats(s1.tag("t:b2a"), {(add_words + 1) * n * E, add_words * n * E, lg + 2, lg + 1, lg + 1}, "b2a: server1");
    check_stats(s2.tag("t:b2a"), {(add_words + 1) * n * E, (add_words + 1) * n * E, lg + 2, lg + 2, lg + 2},
                "b2a: server2");
    // conversions.hpp: "log2 ℓ + 3 rounds" is the bound; which server ends the adder's critical
    // chain depends on the parity of log2 ℓ, so the opening adds a hop for ring64 only.
    CHECK(latency("t:b2a") <= lg + 3);
    CHECK(latency("t:b2a") >= lg + 2);
  }
  // bit_to_arith: compare.hpp's step 3 alone (server 0 sends T² only; no bits to send).
  {
    const circuit none{};
    const auto c = compare_costs(none, n, E);
    check_stats(s0.tag("t:bit_to_arith"), c.s0, "bit_to_arith: server0");
    check_stats(s1.tag("t:bit_to_arith"), c.s1, "bit_to_arith: server1");
    check_stats(s2.tag("t:bit_to_arith"), c.s2, "bit_to_arith: server2");
    CHECK(latency("t:bit_to_arith") == 3);
    const auto inj = plus_product(c, n, E);
    check_stats(s0.tag("t:bit_inject"), inj.s0, "bit_inject: server0");
    check_stats(s1.tag("t:bit_inject"), inj.s1, "bit_inject: server1");
    check_stats(s2.tag("t:bit_inject"), inj.s2, "bit_inject: server2");
    CHECK(latency("t:bit_inject") == 4);
  }

  // ---- a summary of the measured figures (bytes per value sent by each server, latency) ---------------
  if (n % 64 == 0) {
    std::string table;
    for (const char* tag : {"t:mul", "t:mul_public", "t:relu", "t:relu_full", "t:less", "t:equal", "t:and", "t:a2b",
                            "t:b2a", "t:bit_to_arith", "t:bit_inject", "t:reveal_bob", "t:input"}) {
      const std::string who = std::string(tag) == "t:input" ? "alice " : "";
      table += "\n  " + std::string(tag).substr(2) + ": ";
      if (!who.empty()) {
        table += who + std::to_string(static_cast<double>(st[ALICE].tag(tag).bytes_sent) / static_cast<double>(n));
      } else {
        for (std::size_t p : {S0, S1, S2})
          table += std::to_string(static_cast<double>(st[p].tag(tag).bytes_sent) / static_cast<double>(n)) + " ";
      }
      table += " bytes/value, " + std::to_string(latency(tag)) + " rounds";
    }
    MESSAGE("aby3<ring", ell, "> n = ", n, " (bytes per value sent by server0 server1 server2):", table);
  }

  // ---- input/output players take no part in the computation ------------------------------------------
  for (std::size_t p : {ALICE, BOB}) {
    CAPTURE(p);
    for (const char* tag : {"t:mul", "t:matmul", "t:conv2d", "t:relu", "t:less", "t:equal", "t:a2b", "t:and",
                            "t:b2a", "t:bit_inject"}) {
      INFO(tag, ": ", st[p].tag(tag));
      CHECK(silent(st[p].tag(tag)));
    }
  }
}

}  // namespace

TEST_CASE("aby3<ring64> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1000), std::size_t(4096)}) check_costs<tfe::ring64>(n);
}

TEST_CASE("aby3<ring128> costs match the documented formulas") {
  for (std::size_t n : {std::size_t(1000), std::size_t(4096)}) check_costs<tfe::ring128>(n);
}

TEST_CASE("rounds do not grow with the number of values (vectorized, never chunked)") {
  using P = tfe::aby3<tfe::ring64>;
  std::vector<std::uint64_t> lat;
  for (std::size_t n : {std::size_t(1), std::size_t(64), std::size_t(100000)}) {
    auto m = run_measured<P>([n](tfe::session<P>& s, auto& phase) {
      auto x = s.define_private_input("alice", [n] { return xt::xarray<double>(xt::ones<double>({n}) * -0.5); });
      auto sc = phase("t:relu");
      (void)tfe::relu(x);
    });
    lat.push_back(m.latency["t:relu"]);
    CHECK(m.stats[S1].tag("t:relu").messages_sent == sign_circuit(32).levels + 3);
  }
  CHECK(lat[0] == 8);
  CHECK(lat[1] == 8);
  CHECK(lat[2] == 8);
}

TEST_CASE("circuit sizes: the formulas the cost checks use") {
  // A < 2g: at most two gates per combined group; levels = ⌈log2 g⌉; zero test g − 1 gates.
  for (std::uint64_t k = 2; k <= 128; ++k) {
    CAPTURE(k);
    const circuit s = sign_circuit(k), z = zero_circuit(k);
    CHECK(s.groups == k / 2);  // ⌈(k − 1)/2⌉
    CHECK(s.ands < 2 * s.groups);
    CHECK(z.groups == (k + 1) / 2);
    CHECK(z.ands + 1 == z.groups);
    CHECK(s.levels + 3 <= ceil_log2(k) + 2);  // the sign's latency: ≤ log2(ℓ) + 2 for any width ≤ ℓ
  }
}
