// tests/test_channel.cpp: the channel interface over the in-memory network (ordering, liveness:
// busy peers, deadlocks, max_wait, players that left; close, frame limits, malformed frames) and its
// exact statistics, plus user-written channels (with and without liveness).
#include <doctest/doctest.h>

#include "tfe/net/channel.hpp"
#include "tfe/net/memory_network.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_channel {

namespace {

using namespace std::chrono_literals;
using tfe::channel;
using tfe::channel_error;
using tfe::channel_options;
using tfe::frame;
using tfe::memory_channel;
using tfe::memory_network;
using tfe::ring128;
using tfe::ring64;
using clock_type = std::chrono::steady_clock;

const std::vector<std::string> names3 = {"p0", "p1", "p2"};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The outcome of one player's thread: an error message if it threw, and whatever it recorded.
struct outcome {
  bool threw_channel_error = false;
  std::string error;  // what() of any exception
  std::vector<std::uint64_t> values;
  std::vector<std::string> problems;  // ordering violations found by the player, checked on the main thread
  tfe::op_stats stats;
};

/// Runs fn(channel&, outcome&) for every player of a 3-player memory_network, each on its own thread.
std::vector<outcome> run3(const std::function<void(channel&, outcome&)>& fn, channel_options opts = {}) {
  memory_network net(3);
  std::vector<outcome> out(3);
  std::vector<std::thread> threads;
  for (std::size_t id = 0; id < 3; ++id) {
    threads.emplace_back([&, id] {
      try {
        memory_channel ch(net, id, names3, opts);
        try {
          fn(ch, out[id]);
        } catch (...) {
          out[id].stats = ch.stats().total;
          ch.close();
          throw;
        }
        out[id].stats = ch.stats().total;
      } catch (const channel_error& e) {
        out[id].threw_channel_error = true;
        out[id].error = e.what();
      } catch (const std::exception& e) {
        out[id].error = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  return out;
}

tfe::ring_tensor<ring64> vec(std::initializer_list<ring64> v) {
  tfe::ring_tensor<ring64> t = xt::zeros<ring64>({v.size()});
  std::size_t i = 0;
  for (auto x : v) t(i++) = x;
  return t;
}

/// A transport written by a user: only the three hooks. Sent frames are recorded, received ones scripted.
class scripted_channel final : public channel {
 public:
  using channel::channel;
  std::vector<std::pair<std::size_t, frame>> sent;
  std::map<std::size_t, std::deque<frame>> inbox;
  bool closed = false;

 protected:
  void do_send(std::size_t to, frame&& f) override { sent.emplace_back(to, std::move(f)); }
  std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds) override {
    auto& q = inbox[from];
    if (q.empty())  // scripted: nothing more will ever come
      throw channel_error(tfe::detail::concat(closed ? "closed" : "script ended", ": nothing from '", name(from), "'"));
    frame f = std::move(q.front());
    q.pop_front();
    return f;
  }
  void do_close() override { closed = true; }
};

template <class F>
std::string channel_error_message(F&& f) {
  try {
    f();
  } catch (const channel_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a channel_error: ") + e.what() + ">";
  }
  return "<nothing thrown>";
}

}  // namespace

TEST_CASE("memory network: per-pair FIFO order with many messages from every peer") {
  constexpr std::uint64_t n_msgs = 400;
  auto out = run3([](channel& ch, outcome& o) {
    const std::size_t me = ch.self();
    for (std::uint64_t seq = 0; seq < n_msgs; ++seq)
      for (std::size_t q = 0; q < 3; ++q)
        if (q != me) ch.send(q, vec({me, q, seq}));
    // Receive alternating between the two peers, starting with the higher one.
    std::vector<std::uint64_t> next(3, 0);
    for (std::uint64_t i = 0; i < n_msgs; ++i) {
      for (std::size_t q : {std::size_t{2}, std::size_t{1}, std::size_t{0}}) {
        if (q == me) continue;
        auto t = ch.recv<ring64>(q);
        if (t.size() != 3 || t(0) != q || t(1) != me || t(2) != next[q])
          o.problems.push_back(tfe::detail::concat("from ", q, " expected seq ", next[q], " got ", t(2)));
        ++next[q];
      }
    }
    o.values = next;
  });
  for (std::size_t p = 0; p < 3; ++p) {
    CAPTURE(p);
    CHECK(out[p].error == "");
    CHECK(out[p].problems.empty());
    if (!out[p].problems.empty()) MESSAGE(out[p].problems.front());
    CHECK(out[p].stats.messages_sent == 2 * n_msgs);
    CHECK(out[p].stats.messages_received == 2 * n_msgs);
    CHECK(out[p].stats.bytes_sent == 2 * n_msgs * 3 * 8);
    CHECK(out[p].stats.bytes_received == 2 * n_msgs * 3 * 8);
    CHECK(out[p].stats.frame_bytes_sent == 2 * n_msgs * (3 * 8 + tfe::frame_header_bytes(1)));
    CHECK(out[p].stats.rounds == 1);  // all sends, then all receives
  }
}

TEST_CASE("memory network: receiving from peers out of order, and exchange") {
  std::promise<void> p1_sent;
  std::shared_future<void> p1_done = p1_sent.get_future().share();
  auto res = run3([&](channel& ch, outcome& o) {
    switch (ch.self()) {
      case 0:
        // p1 sent first, but p0 reads p2's message first: it must not get p1's.
        o.values.push_back(ch.recv<ring64>(2)(0));
        o.values.push_back(ch.recv<ring64>(1)(0));
        o.values.push_back(ch.recv<ring64>(1)(0));
        break;
      case 1:
        ch.send(0, vec({11}));
        ch.send(0, vec({12}));
        p1_sent.set_value();
        break;
      case 2:
        p1_done.wait();
        ch.send(0, vec({22}));
        break;
    }
  });
  CHECK(res[0].error == "");
  CHECK(res[1].error == "");
  CHECK(res[2].error == "");
  CHECK(res[0].values == std::vector<std::uint64_t>{22, 11, 12});

  // exchange: both sides send, then receive; tensors of different shapes.
  auto ex = run3([](channel& ch, outcome& o) {
    if (ch.self() == 2) return;
    const std::size_t peer = 1 - ch.self();
    auto mine = ch.self() == 0 ? vec({1, 2}) : vec({3, 4, 5});
    auto got = ch.exchange(peer, mine);
    for (auto v : got) o.values.push_back(v);
  });
  CHECK(ex[0].error == "");
  CHECK(ex[1].error == "");
  CHECK(ex[0].values == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(ex[1].values == std::vector<std::uint64_t>{1, 2});
  CHECK(ex[0].stats.rounds == 1);
  CHECK(ex[1].stats.rounds == 1);
  CHECK(ex[0].stats.messages_sent == 1);
  CHECK(ex[0].stats.messages_received == 1);
  CHECK(ex[0].stats.bytes_sent == 16);
  CHECK(ex[0].stats.bytes_received == 24);
  CHECK(ex[2].stats.messages_sent == 0);
}

TEST_CASE("liveness: a receive waits for a busy peer far longer than recv_timeout") {
  memory_network net(3);
  channel_options opts;
  opts.recv_timeout = 30ms;
  memory_channel c0(net, 0, names3, opts), c1(net, 1, names3, opts);
  std::thread busy([&] {
    std::this_thread::sleep_for(400ms);  // "computing": alive, sends nothing, waits for nobody
    c0.send(1, vec({42}));
  });
  const auto t0 = clock_type::now();
  std::uint64_t got = 0;
  CHECK_NOTHROW(got = c1.recv<ring64>(0)(0));
  busy.join();
  CHECK(got == 42);
  CHECK(clock_type::now() - t0 >= 350ms);  // thirteen timeouts long, and no error
}

TEST_CASE("liveness: max_wait bounds a receive, naming the peer and the op") {
  memory_network net(3);
  channel_options opts;
  opts.recv_timeout = 10s;
  opts.max_wait = 50ms;
  memory_channel c0(net, 0, names3, opts), c1(net, 1, names3, opts), c2(net, 2, names3, opts);
  auto t0 = clock_type::now();
  std::string m;
  {
    auto scope = c1.op_scope("relu");
    m = channel_error_message([&] { (void)c1.recv<ring64>(2); });
  }
  auto elapsed = clock_type::now() - t0;
  CHECK_MESSAGE(contains(m, "'p1' waited"), m);
  CHECK_MESSAGE(contains(m, "for 'p2', longer than max_wait (50 ms)"), m);
  CHECK_MESSAGE(contains(m, "[while 'p1' waited for 'p2' in op relu]"), m);
  CHECK(elapsed >= 45ms);
  CHECK(elapsed < 5s);
  // recv_bytes the same way; set_max_wait changes the limit.
  c1.set_max_wait(10ms);
  m = channel_error_message([&] { (void)c1.recv_bytes(0); });
  CHECK_MESSAGE(contains(m, "for 'p0', longer than max_wait (10 ms)"), m);
}

TEST_CASE("liveness: players waiting for each other in a cycle are told of the deadlock") {
  for (std::size_t n : {2, 3}) {
    CAPTURE(n);
    const std::vector<std::string> names(names3.begin(), names3.begin() + static_cast<std::ptrdiff_t>(n));
    memory_network net(n);
    channel_options opts;
    opts.recv_timeout = 100ms;
    std::vector<std::string> errors(n);
    std::vector<double> seconds(n);
    std::vector<std::thread> players;
    for (std::size_t me = 0; me < n; ++me)
      players.emplace_back([&, me] {
        memory_channel ch(net, me, names, opts);
        const auto t0 = clock_type::now();
        errors[me] = channel_error_message([&] { (void)ch.recv<ring64>((me + 1) % n); });  // p0→p1→…→p0
        seconds[me] = std::chrono::duration<double>(clock_type::now() - t0).count();
      });
    for (auto& t : players) t.join();
    for (std::size_t me = 0; me < n; ++me) {
      CAPTURE(errors[me]);
      // Each names the whole cycle, starting with itself (or, when a player that already left broke
      // the cycle, says who left).
      const bool deadlock =
          contains(errors[me], "deadlock: '" + names[me] + "' waits for '" + names[(me + 1) % n] + "'") &&
          contains(errors[me], "no frame has moved for 100 ms");
      const bool left = contains(errors[me], "finished its program and left");
      CHECK((deadlock || left));
      CHECK(seconds[me] < 5.0);
    }
    std::string all;
    for (const auto& e : errors) all += e;
    CHECK(contains(all, "deadlock"));  // at least one saw the cycle itself
  }
}

TEST_CASE("liveness: a receive from a player whose channel is gone fails once its frames are consumed") {
  memory_network net(3);
  channel_options opts;
  opts.recv_timeout = 10s;
  memory_channel c1(net, 1, names3, opts);
  {
    memory_channel c0(net, 0, names3, opts);
    c0.send(1, vec({7}));
  }  // p0 finished its program
  CHECK(c1.recv<ring64>(0)(0) == 7);
  const auto t0 = clock_type::now();
  const std::string m = channel_error_message([&] { (void)c1.recv<ring64>(0); });
  CHECK_MESSAGE(contains(m, "'p0' finished its program and left while 'p1' was waiting for a message from it"), m);
  CHECK(clock_type::now() - t0 < 5s);  // at once, not after the 10 s timeout (slack for a loaded machine)
}

/// A user's transport without do_liveness: receives keep the fixed recv_timeout.
class fixed_wait_channel final : public channel {
 public:
  using channel::channel;
  int waits = 0;

 protected:
  void do_send(std::size_t, frame&&) override {}
  std::optional<frame> do_recv(std::size_t, std::chrono::milliseconds wait) override {
    ++waits;
    std::this_thread::sleep_for(wait);
    return std::nullopt;
  }
  void do_close() override {}
};

TEST_CASE("liveness: a transport that does not report it keeps the fixed receive timeout") {
  channel_options opts;
  opts.recv_timeout = 40ms;
  fixed_wait_channel ch(1, names3, opts);
  const auto t0 = clock_type::now();
  const std::string m = channel_error_message([&] { (void)ch.recv<ring64>(2); });
  CHECK_MESSAGE(contains(m, "timeout: 'p1' received nothing from 'p2' within 40 ms"), m);
  CHECK(clock_type::now() - t0 >= 35ms);
  CHECK(ch.waits == 1);                    // one wait of recv_timeout, not slices
  CHECK(ch.activity().waiting_for == -1);  // not waiting any more
}

TEST_CASE("close() releases a receiver blocked on the network") {
  memory_network net(3);
  channel_options opts;
  opts.recv_timeout = 30s;
  memory_channel c0(net, 0, names3, opts), c1(net, 1, names3, opts);
  c1.send(0, vec({7}));  // delivered before the close: still received afterwards
  std::string message = "<none>";
  bool got_channel_error = false;
  std::uint64_t first = 0;
  auto t0 = clock_type::now();
  std::thread receiver([&] {
    try {
      first = c0.recv<ring64>(1)(0);
      (void)c0.recv<ring64>(1);  // blocks until close
      message = "<returned>";
    } catch (const channel_error& e) {
      got_channel_error = true;
      message = e.what();
    } catch (...) {
      message = "<other exception>";
    }
  });
  std::this_thread::sleep_for(100ms);
  c1.close();
  receiver.join();
  auto elapsed = clock_type::now() - t0;
  CHECK(first == 7);
  CHECK(got_channel_error);
  CHECK(contains(message, "closed"));
  CHECK(contains(message, "'p1'"));
  CHECK(elapsed < 10s);  // released by close, not by the 30 s timeout
  // Later receives fail at once; close is idempotent.
  c1.close();
  t0 = clock_type::now();
  CHECK_THROWS_AS((void)c0.recv<ring64>(2), channel_error);
  CHECK(clock_type::now() - t0 < 10s);
}

TEST_CASE("frames above max_frame_bytes are refused at send and at receive") {
  memory_network net(3);
  channel_options small;
  small.max_frame_bytes = 100;
  small.recv_timeout = 20ms;
  small.max_wait = 20ms;
  memory_channel c0(net, 0, names3, small), c1(net, 1, names3, small);
  channel_options big;
  big.recv_timeout = 20ms;
  memory_channel c2(net, 2, names3, big);

  tfe::ring_tensor<ring64> large = xt::zeros<ring64>({20});  // 160 + 16 bytes
  std::string m = channel_error_message([&] { c0.send(1, large); });
  CHECK(contains(m, "176"));
  CHECK(contains(m, "100"));
  CHECK(contains(m, "'p1'"));
  CHECK(c0.stats().total.messages_sent == 0);
  CHECK_THROWS_AS((void)c1.recv<ring64>(0), channel_error);  // nothing was delivered

  tfe::ring_tensor<ring64> ok = xt::zeros<ring64>({10});  // 80 + 16 = 96 bytes
  c0.send(1, ok);
  CHECK(c1.recv<ring64>(0).size() == 10);

  // A peer with a larger limit sends a frame the receiver refuses.
  c2.send(1, large);
  m = channel_error_message([&] { (void)c1.recv<ring64>(2); });
  CHECK(contains(m, "'p2'"));
  CHECK(contains(m, "exceeds"));
}

TEST_CASE("malformed frames are rejected with channel_error") {
  memory_network net(2);
  const std::vector<std::string> names = {"alice", "bob"};
  channel_options opts;
  opts.recv_timeout = 1s;
  memory_channel bob(net, 1, names, opts);
  auto inject = [&](frame f) { net.push(0, 1, std::move(f)); };
  const frame good = tfe::serialize_tensor(vec({1, 2, 3}));

  frame bad_magic = good;
  bad_magic[0] ^= 0xff;
  inject(bad_magic);
  std::string m = channel_error_message([&] { (void)bob.recv<ring64>(0); });
  CHECK(contains(m, "magic"));
  CHECK(contains(m, "'alice'"));

  inject(frame(good.begin(), good.begin() + 5));  // shorter than a header
  CHECK(contains(channel_error_message([&] { (void)bob.recv<ring64>(0); }), "alice"));

  inject(frame(good.begin(), good.begin() + 12));  // header but truncated shape
  CHECK(contains(channel_error_message([&] { (void)bob.recv<ring64>(0); }), "truncated"));

  inject(frame(good.begin(), good.end() - 1));  // truncated payload
  CHECK(contains(channel_error_message([&] { (void)bob.recv<ring64>(0); }), "malformed frame from 'alice'"));

  frame trailing = good;
  trailing.push_back(0);
  inject(trailing);  // one byte too many
  CHECK(contains(channel_error_message([&] { (void)bob.recv<ring64>(0); }), "payload"));

  inject(good);  // ring64 elements where ring128 is expected
  m = channel_error_message([&] { (void)bob.recv<ring128>(0); });
  CHECK(contains(m, "8 bytes"));
  CHECK(contains(m, "16"));

  inject(tfe::serialize_bytes(good.data(), 4));  // a byte frame where a tensor is expected
  CHECK(contains(channel_error_message([&] { (void)bob.recv<ring64>(0); }), "kind"));
  inject(good);  // and a tensor where bytes are expected
  CHECK(contains(channel_error_message([&] { (void)bob.recv_bytes(0); }), "kind"));

  // A declared shape far larger than the frame (2^61 elements of 8 bytes, no payload): must be refused
  // before any allocation. 2^61 * 8 wraps to 0 in 64 bits, which the length check must not be fooled by.
  frame huge(tfe::frame_header_bytes(1));
  std::memcpy(huge.data(), good.data(), 8);  // magic, kind, width, ndim = 1
  std::uint64_t dim = std::uint64_t{1} << 61;
  std::memcpy(huge.data() + 8, &dim, 8);
  inject(huge);
  std::string huge_message = channel_error_message([&] { (void)bob.recv<ring64>(0); });
  CAPTURE(huge_message);
  CHECK(contains(huge_message, "alice"));

  // None of this broke the channel: a good frame still arrives, and nothing was counted as received.
  CHECK(bob.stats().total.messages_received == 0);
  inject(good);
  CHECK(bob.recv<ring64>(0)(2) == 3);
  CHECK(bob.stats().total.messages_received == 1);
}

TEST_CASE("a user-written channel: exact statistics, rounds and op scopes") {
  scripted_channel ch(0, names3);
  const tfe::ring_tensor<ring64> t = xt::zeros<ring64>({2, 3});  // 48 payload bytes, 48 + 24 frame bytes
  const std::uint64_t payload = 48, framed = 48 + tfe::frame_header_bytes(2);
  CHECK(framed == 72);
  auto queue = [&](std::size_t from, std::size_t n) {
    tfe::ring_tensor<ring64> r = xt::zeros<ring64>({n});
    ch.inbox[from].push_back(tfe::serialize_tensor(r));
  };

  // Two sends, a receive, a send: two rounds.
  ch.send(1, t);
  ch.send(2, t);
  queue(1, 5);
  CHECK(ch.recv<ring64>(1).size() == 5);
  ch.send(1, t);
  CHECK(ch.stats().total.rounds == 2);
  CHECK(ch.stats().total.messages_sent == 3);
  CHECK(ch.stats().total.messages_received == 1);
  CHECK(ch.stats().total.bytes_sent == 3 * payload);
  CHECK(ch.stats().total.frame_bytes_sent == 3 * framed);
  CHECK(ch.stats().total.bytes_received == 40);
  REQUIRE(ch.sent.size() == 3);
  CHECK(ch.sent[1].first == 2);
  CHECK(tfe::deserialize_tensor<ring64>(ch.sent[1].second).shape(0) == 2);

  // Raw bytes: payload = byte count, frame adds a one-dimensional header.
  {
    scripted_channel cb(0, names3);
    cb.send_bytes(2, std::vector<std::uint8_t>(16, 0xAA));
    CHECK(cb.stats().total.bytes_sent == 16);
    CHECK(cb.stats().total.frame_bytes_sent == 16 + tfe::frame_header_bytes(1));
    CHECK(cb.stats().total.rounds == 1);
    cb.inbox[2].push_back(tfe::serialize_bytes(std::vector<std::uint8_t>(9, 1).data(), 9));
    CHECK(cb.recv_bytes(2).size() == 9);
    CHECK(cb.stats().total.bytes_received == 9);
    CHECK(cb.stats().total.messages_received == 1);
  }

  // Scopes: a tag counts what happens while it is open; nested scopes count into both; the first send
  // in a scope opens a round for that scope even when the player's last action was a send.
  queue(2, 1);
  (void)ch.recv<ring64>(2);  // the last action is now a receive
  ch.reset_stats();
  ch.send(1, t);  // total: round 1
  {
    auto a = ch.op_scope("a");
    ch.send(1, t);  // total: same round; a: round 1
    {
      auto b = ch.op_scope("b");
      ch.send(2, t);  // b: round 1
      queue(1, 5);
      (void)ch.recv<ring64>(1);
      ch.send(1, t);  // total 2, a 2, b 2
    }
    ch.send(2, t);  // a: same round
  }
  {
    auto b = ch.op_scope("b");
    queue(2, 1);
    queue(1, 2);
    (void)ch.recv<ring64>(2);
    (void)ch.recv<ring64>(1);
    ch.send(1, t);  // total 3, b 3
    ch.send(2, t);
  }
  const auto& s = ch.stats();
  CHECK(s.total.rounds == 3);
  CHECK(s.total.messages_sent == 7);
  CHECK(s.total.messages_received == 3);
  CHECK(s.total.bytes_received == 8 * (5 + 1 + 2));

  CHECK(s.tag("a").calls == 1);
  CHECK(s.tag("a").rounds == 2);
  CHECK(s.tag("a").messages_sent == 4);
  CHECK(s.tag("a").bytes_sent == 4 * payload);
  CHECK(s.tag("a").frame_bytes_sent == 4 * framed);
  CHECK(s.tag("a").messages_received == 1);
  CHECK(s.tag("a").bytes_received == 40);

  CHECK(s.tag("b").calls == 2);
  CHECK(s.tag("b").rounds == 3);
  CHECK(s.tag("b").messages_sent == 4);
  CHECK(s.tag("b").messages_received == 3);
  CHECK(s.tag("b").bytes_received == 8 * (5 + 1 + 2));
  CHECK(s.tag("missing").messages_sent == 0);

  // A scope entered right after a send: its first send is a round for the scope only.
  {
    scripted_channel cc(0, names3);
    cc.send(1, t);
    {
      auto c = cc.op_scope("c");
      cc.send(2, t);
    }
    CHECK(cc.stats().total.rounds == 1);
    CHECK(cc.stats().total.messages_sent == 2);
    CHECK(cc.stats().tag("c").rounds == 1);
    CHECK(cc.stats().tag("c").messages_sent == 1);
  }

  // Peer checks: unknown index and self are protocol errors; errors of the transport propagate.
  CHECK_THROWS_AS(ch.send(3, t), tfe::protocol_error);
  CHECK_THROWS_AS(ch.send(0, t), tfe::protocol_error);
  CHECK_THROWS_AS((void)ch.recv<ring64>(0), tfe::protocol_error);
  CHECK(contains(channel_error_message([&] { (void)ch.recv<ring64>(2); }), "'p2'"));
  ch.close();
  CHECK(ch.closed);
  CHECK(ch.id_of("p2") == 2);
  CHECK_THROWS_AS((void)ch.id_of("nobody"), tfe::protocol_error);
}

TEST_CASE("reset_stats starts counting afresh: the first send after it opens a round") {
  // messages_sent > 0 with rounds == 0 would be inconsistent with the definition in statistics.hpp
  // ("a round starts with a send that follows a receive (or nothing)"): after a reset there is nothing.
  scripted_channel ch(0, names3);
  const tfe::ring_tensor<ring64> t = xt::zeros<ring64>({1});
  ch.send(1, t);
  ch.reset_stats();
  ch.send(2, t);
  CHECK(ch.stats().total.messages_sent == 1);
  CHECK(ch.stats().total.rounds == 1);
}

TEST_CASE("send_filled, recv_kept and recv_viewed: the frames, bytes and counts of send and recv, without copies") {
  auto res = run3([](channel& ch, outcome& o) {
    if (ch.self() == 0) {
      ch.send_filled<ring64>(1, 3, [](std::uint8_t* payload) {
        for (std::uint64_t i = 0; i < 3; ++i) std::memcpy(payload + 8 * i, &i, 8);  // 0, 1, 2
      });
      ch.send(1, vec({7, 8}));
      auto kept = ch.recv_kept<ring64>(1);
      if (kept.shape != tfe::shape_t{4}) o.problems.push_back("recv_kept: wrong shape");
      for (std::size_t i = 0; i < 4; ++i) {
        std::uint64_t v = 0;
        std::memcpy(&v, kept.bytes.data() + kept.head + 8 * i, 8);
        o.values.push_back(v);
      }
      ch.recycle(std::move(kept.bytes));
    } else if (ch.self() == 1) {
      for (auto v : ch.recv<ring64>(0)) o.values.push_back(v);
      const std::uint64_t sum = ch.recv_viewed<ring64>(0, [&](const std::uint8_t* payload, const tfe::shape_t& shape) {
        if (shape != tfe::shape_t{2}) o.problems.push_back("recv_viewed: wrong shape");
        std::uint64_t a = 0, b = 0;
        std::memcpy(&a, payload, 8);
        std::memcpy(&b, payload + 8, 8);
        return a + b;
      });
      o.values.push_back(sum);
      ch.send(0, vec({4, 5, 6, 9}));
    }
  });
  CHECK(res[0].error == "");
  CHECK(res[1].error == "");
  CHECK(res[0].problems.empty());
  CHECK(res[1].problems.empty());
  CHECK(res[1].values == std::vector<std::uint64_t>{0, 1, 2, 15});
  CHECK(res[0].values == std::vector<std::uint64_t>{4, 5, 6, 9});
  CHECK(res[0].stats.bytes_sent == 40);  // 3 + 2 elements of 8 bytes, as send() counts them
  CHECK(res[0].stats.messages_sent == 2);
  CHECK(res[0].stats.bytes_received == 32);
  CHECK(res[1].stats.bytes_received == 40);
  CHECK(res[1].stats.messages_received == 2);
  CHECK(res[1].stats.rounds == 1);
}

TEST_CASE("memory network: large frames a player lets go are reused by the next large send of any player") {
  tfe::memory_network net(3);
  const std::size_t big = tfe::memory_network::pool_min * 2;
  CHECK(net.reuse(big).capacity() == 0);  // nothing pooled yet
  frame small(1000);
  net.recycle(std::move(small));  // below pool_min: not kept
  CHECK(net.reuse(500).capacity() == 0);
  frame f(big);
  const auto* storage = f.data();
  net.recycle(std::move(f));
  CHECK(net.reuse(big * 2).capacity() == 0);  // too small for this request
  frame g = net.reuse(big - 100);
  CHECK(g.capacity() >= big);
  CHECK(g.data() == storage);             // the same memory, no fresh pages
  CHECK(net.reuse(big).capacity() == 0);  // taken once
  // bounded: at most pool_frames frames are kept
  for (std::size_t i = 0; i < tfe::memory_network::pool_frames + 3; ++i) net.recycle(frame(big));
  std::size_t got = 0;
  while (net.reuse(big).capacity() != 0) ++got;
  CHECK(got == tfe::memory_network::pool_frames);
}

}  // namespace test_channel
