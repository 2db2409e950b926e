// tests/test_tampered_frames.cpp: a player whose frames are altered on the way (a buggy or foreign
// peer, not an attack the semi-honest model covers): a frame of the wrong shape, of the wrong ring,
// truncated, or not a frame at all, sent at several points of a product and a ReLU under Pond,
// SecureNN and ABY3. The receiver must fail with an error that names the sender, never crash, hang or
// compute on; the others are released (run_local's player_error).
#include <doctest/doctest.h>

#include "tfe/testing/players.hpp"
#include "tfe/tfe.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_tampered_frames {

namespace {

using namespace std::chrono_literals;

enum class tamper { shape, ring, truncate, garbage };

/// Forwards everything, but alters the `target`-th tensor frame its player sends (counting from 0).
class tampering_channel final : public tfe::channel {
 public:
  tampering_channel(tfe::channel& inner, bool active, std::size_t target, tamper how)
      : tfe::channel(inner.self(), inner.names(), inner.options()),
        m_inner(&inner),
        m_active(active),
        m_target(target),
        m_how(how) {}
  bool tampered = false;

 protected:
  void do_send(std::size_t to, tfe::frame&& f) override {
    if (m_active && !tampered && is_ring64_tensor(f) && m_sent++ == m_target) {
      f = altered(f);
      tampered = true;
    }
    forward_send(*m_inner, to, std::move(f));
  }
  std::optional<tfe::frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    return forward_recv(*m_inner, from, wait);
  }
  void do_close() override { m_inner->close(); }
  tfe::peer_activity do_liveness(std::size_t peer) const override { return forward_liveness(*m_inner, peer); }

 private:
  static bool is_ring64_tensor(const tfe::frame& f) {
    try {
      (void)tfe::deserialize_tensor<tfe::ring64>(f);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
  tfe::frame altered(const tfe::frame& f) const {
    const auto t = tfe::deserialize_tensor<tfe::ring64>(f);
    switch (m_how) {
      case tamper::shape: {  // one element more, flattened: the wrong shape whatever it was
        tfe::ring_tensor<tfe::ring64> v = xt::zeros<tfe::ring64>({t.size() + 1});
        std::copy(t.begin(), t.end(), v.begin());
        return tfe::serialize_tensor(v);
      }
      case tamper::ring: {  // the same values as ring128 elements
        tfe::ring_tensor<tfe::ring128> v = xt::zeros<tfe::ring128>(t.shape());
        std::copy(t.begin(), t.end(), v.begin());
        return tfe::serialize_tensor(v);
      }
      case tamper::truncate:
        return tfe::frame(f.begin(), f.end() - 1);
      case tamper::garbage:
        return tfe::frame(f.size(), 0xab);
    }
    return f;
  }

  tfe::channel* m_inner;
  bool m_active;
  std::size_t m_target, m_sent = 0;
  tamper m_how;
};

const char* name_of(tamper t) {
  switch (t) {
    case tamper::shape:
      return "shape";
    case tamper::ring:
      return "ring";
    case tamper::truncate:
      return "truncate";
    case tamper::garbage:
      return "garbage";
  }
  return "?";
}

bool contains_name(const std::string& message, const std::string& player) {
  return message.find("'" + player + "'") != std::string::npos;
}

/// alice and bob give inputs; the servers compute relu(x·y) and reveal it to alice. The first server's
/// target-th tensor frame is altered.
template <class P>
void check_tampering() {
  auto players = P::default_players();
  players.push_back("alice");
  players.push_back("bob");
  const std::string culprit = players[0];
  for (const tamper how : {tamper::shape, tamper::ring, tamper::truncate, tamper::garbage})
    for (const std::size_t target : {0, 1, 3, 6}) {
      CAPTURE(name_of(how));
      CAPTURE(target);
      tfe::run_options opts;
      opts.channel.recv_timeout = 10s;
      bool failed = false, tampered = false;
      std::string message;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        auto run = tfe::testing::run_decorated<P>(
            players,
            [&](tfe::channel& inner) {
              return std::make_unique<tampering_channel>(inner, inner.self() == 0, target, how);
            },
            [](auto& s, tampering_channel&) {
              auto x = s.define_private_input("alice", [] { return xt::xarray<double>{{1.5, -2.0, 0.25}}; });
              auto y = s.define_private_input("bob", [] { return xt::xarray<double>{{-1.0, 3.0, 4.0}}; });
              (void)s.reveal_to("alice", tfe::relu(x * y));
            },
            opts);
        tampered = run.channels[0]->tampered;
      } catch (const tfe::player_error& e) {
        failed = true;
        message = e.what();
      }
      CAPTURE(message);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!failed) {  // the program sent fewer frames than the target: nothing was altered
        CHECK_FALSE(tampered);
        continue;
      }
      CHECK(contains_name(message, culprit));
      CHECK(seconds < 5.0);  // released by the failure, not by a timeout
    }
}

}  // namespace

TEST_CASE("a frame of the wrong shape or ring, truncated or garbage ends the run naming its sender") {
  SUBCASE("pond") { check_tampering<tfe::pond<tfe::ring64>>(); }
  SUBCASE("securenn") { check_tampering<tfe::securenn<tfe::ring64>>(); }
  SUBCASE("aby3") { check_tampering<tfe::aby3<tfe::ring64>>(); }
}

}  // namespace test_tampered_frames
