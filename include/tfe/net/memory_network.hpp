// tfe/net/memory_network.hpp: the in-memory network: one FIFO per ordered pair of players.
//
// Used by tests and by run_local (every player a thread of one process). A receive waits on the
// (from, to) mailbox only, so a player can receive from peers in any order. close() marks the network
// closed and wakes every waiting receiver, which then throws channel_error; this is how one failing
// player releases all the others instead of leaving them blocked.
//
// Liveness (channel.hpp): every memory_channel registers itself while it exists, so a peer can read
// its activity (the deadlock check) and a receive from a player whose channel is gone fails at once
// ("'X' finished its program ..."). Players are threads of one process: none can be stopped or cut off
// alone, so a receive waits as long as its peer's channel exists (a player not yet started counts as
// alive); channel_options::max_wait bounds it if wanted.
//
// Latency: a receive first polls its mailbox for a short while (yielding the core between polls, so
// the sender can run even when players outnumber cores) before it sleeps on the condition variable:
// a protocol round between threads then costs a few microseconds instead of two futex wake-ups.
#pragma once

#include "tfe/net/channel.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace tfe {

class memory_network {
 public:
  explicit memory_network(std::size_t num_players)
      : m_n(num_players), m_boxes(num_players * num_players), m_members(num_players), m_failed(num_players) {
    for (auto& b : m_boxes) b = std::make_unique<mailbox>();
  }
  std::size_t num_players() const { return m_n; }

  void push(std::size_t from, std::size_t to, frame&& f) {
    auto& b = box(from, to);
    {
      std::lock_guard lock(b.mutex);
      if (b.closed) return;  // the receiver side is gone; the frame is dropped
      b.frames.push_back(std::move(f));
      b.pending.fetch_add(1, std::memory_order_release);
    }
    b.ready.notify_one();
  }

  /// Waits up to `wait` for the next frame from `from` to `to`; nullopt when none came. Throws
  /// channel_error when the network is closed, or `from` has left and sent nothing more.
  std::optional<frame> pop(std::size_t from, std::size_t to, std::chrono::milliseconds wait,
                           const std::string& from_name, const std::string& to_name) {
    auto& b = box(from, to);
    // Poll first (see the file comment); the frame is then taken under the lock as usual.
    const auto spin_until = std::chrono::steady_clock::now() + spin_time;
    while (b.pending.load(std::memory_order_acquire) == 0 && !b.closed.load(std::memory_order_acquire) &&
           !b.sender_left.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < spin_until)
      std::this_thread::yield();
    std::unique_lock lock(b.mutex);
    b.ready.wait_for(lock, wait, [&] { return !b.frames.empty() || b.closed || b.sender_left; });
    if (!b.frames.empty()) {
      frame f = std::move(b.frames.front());
      b.frames.pop_front();
      b.pending.fetch_sub(1, std::memory_order_relaxed);
      return f;
    }
    if (b.closed)
      throw channel_error(
          detail::concat("network closed while '", to_name, "' was waiting for a message from '", from_name, "'"));
    if (b.sender_left)
      throw channel_error(detail::concat(
          "'", from_name, "' ", m_failed[from].load() ? "left with an exception" : "finished its program and left",
          " while '", to_name, "' was waiting for a message from it"));
    return std::nullopt;
  }

  /// A player's channel joins (its activity becomes visible to the others) or leaves (receives from
  /// it fail once its frames are consumed). memory_channel calls these.
  void attach(std::size_t player, const channel* ch) {
    std::lock_guard lock(m_members_mutex);
    m_members.at(player) = ch;
  }
  void detach(std::size_t player, bool failed = false) {
    {
      std::lock_guard lock(m_members_mutex);
      m_members.at(player) = nullptr;
    }
    m_failed[player].store(failed);
    for (std::size_t to = 0; to < m_n; ++to) {
      auto& b = box(player, to);
      {
        std::lock_guard lock(b.mutex);
        b.sender_left = true;
      }
      b.ready.notify_all();
    }
  }
  /// The player's activity while its channel exists; "alive, computing" before it joined.
  peer_activity activity(std::size_t player) const {
    std::lock_guard lock(m_members_mutex);
    const channel* ch = m_members.at(player);
    return ch ? ch->activity() : peer_activity{true, -1, 0};
  }

  /// Frames the players no longer need, for the next large send of any player (channel::do_recycle):
  /// at most pool_frames of at least pool_min bytes, pool_bytes in all; the oldest goes first.
  static constexpr std::size_t pool_frames = 8, pool_bytes = std::size_t(512) << 20, pool_min = std::size_t(1) << 20;
  void recycle(frame&& f) {
    if (f.capacity() < pool_min) return;
    std::lock_guard lock(m_pool_mutex);
    m_pool.put(std::move(f), [](frame&&) {});  // the oldest frames beyond the bounds are freed
  }
  /// The smallest pooled frame of at least `bytes` capacity, or an empty frame.
  frame reuse(std::size_t bytes) {
    if (bytes < pool_min) return {};
    std::lock_guard lock(m_pool_mutex);
    return m_pool.take(bytes);
  }

  /// Closes every mailbox: all waiting and future receives that find no frame throw channel_error.
  void close() {
    for (auto& b : m_boxes) {
      {
        std::lock_guard lock(b->mutex);
        b->closed = true;
      }
      b->ready.notify_all();
    }
  }

 private:
  struct mailbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<frame> frames;
    std::atomic<bool> closed{false};       // written under the mutex, also polled without it
    std::atomic<bool> sender_left{false};  // the sending player's channel is gone (same)
    std::atomic<std::size_t> pending{0};   // frames.size(), readable without the lock (polling)
  };
  /// How long a receive polls before it sleeps.
  static constexpr std::chrono::microseconds spin_time{50};
  mailbox& box(std::size_t from, std::size_t to) { return *m_boxes[from * m_n + to]; }

  std::size_t m_n;
  std::vector<std::unique_ptr<mailbox>> m_boxes;
  mutable std::mutex m_members_mutex;
  std::vector<const channel*> m_members;    // the live channel of each player, or null
  std::vector<std::atomic<bool>> m_failed;  // per player: its channel was destroyed by an exception
  std::mutex m_pool_mutex;
  frame_pool m_pool{pool_frames, pool_bytes};  // recycled frames (recycle, reuse)
};

/// One player's channel over a memory_network.
class memory_channel final : public channel {
 public:
  memory_channel(memory_network& net, std::size_t self, std::vector<std::string> names, channel_options options = {})
      : channel(self, std::move(names), options), m_net(&net) {
    TFE_ENFORCE(net.num_players() == num_players(), config_error, "network has ", net.num_players(), " players but ",
                num_players(), " names were given");
    m_net->attach(self, this);
  }
  ~memory_channel() override { m_net->detach(self(), std::uncaught_exceptions() > m_uncaught); }

 protected:
  void do_send(std::size_t to, frame&& f) override { m_net->push(self(), to, std::move(f)); }
  std::optional<frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    return m_net->pop(from, self(), wait, name(from), name(self()));
  }
  void do_close() override { m_net->close(); }
  peer_activity do_liveness(std::size_t peer) const override { return m_net->activity(peer); }
  void do_recycle(frame&& f) override { m_net->recycle(std::move(f)); }
  frame do_reuse(std::size_t bytes) override { return m_net->reuse(bytes); }

 private:
  memory_network* m_net;
  int m_uncaught = std::uncaught_exceptions();
};

}  // namespace tfe
