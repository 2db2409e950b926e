// tfe/net/memory_network.hpp: the in-memory network: one FIFO per ordered pair of players.
//
// Used by tests and by run_local (every player a thread of one process). A receive waits on the
// (from, to) mailbox only, so a player can receive from peers in any order. close() marks the network
// closed and wakes every waiting receiver, which then throws channel_error; this is how one failing
// player releases all the others instead of leaving them blocked.
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
#include <memory>
#include <mutex>
#include <thread>

namespace tfe {

class memory_network {
 public:
  explicit memory_network(std::size_t num_players) : m_n(num_players), m_boxes(num_players * num_players) {
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

  /// Waits for the next frame from `from` to `to`. Throws channel_error on timeout or close.
  frame pop(std::size_t from, std::size_t to, std::chrono::milliseconds timeout, const std::string& from_name,
            const std::string& to_name) {
    auto& b = box(from, to);
    // Poll first (see the file comment); the frame is then taken under the lock as usual.
    const auto spin_until = std::chrono::steady_clock::now() + spin_time;
    while (b.pending.load(std::memory_order_acquire) == 0 && !b.closed.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < spin_until)
      std::this_thread::yield();
    std::unique_lock lock(b.mutex);
    bool ok = b.ready.wait_for(lock, timeout, [&] { return !b.frames.empty() || b.closed; });
    if (!b.frames.empty()) {
      frame f = std::move(b.frames.front());
      b.frames.pop_front();
      b.pending.fetch_sub(1, std::memory_order_relaxed);
      return f;
    }
    if (b.closed)
      throw channel_error(
          detail::concat("network closed while '", to_name, "' was waiting for a message from '", from_name, "'"));
    TFE_ASSERT(!ok);
    (void)ok;
    throw channel_error(detail::concat("timeout: '", to_name, "' received nothing from '", from_name, "' within ",
                                       timeout.count(), " ms"));
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
    std::atomic<bool> closed{false};      // written under the mutex, also polled without it
    std::atomic<std::size_t> pending{0};  // frames.size(), readable without the lock (polling)
  };
  /// How long a receive polls before it sleeps.
  static constexpr std::chrono::microseconds spin_time{50};
  mailbox& box(std::size_t from, std::size_t to) { return *m_boxes[from * m_n + to]; }

  std::size_t m_n;
  std::vector<std::unique_ptr<mailbox>> m_boxes;
};

/// One player's channel over a memory_network.
class memory_channel final : public channel {
 public:
  memory_channel(memory_network& net, std::size_t self, std::vector<std::string> names, channel_options options = {})
      : channel(self, std::move(names), options), m_net(&net) {
    TFE_ENFORCE(net.num_players() == num_players(), config_error, "network has ", net.num_players(), " players but ",
                num_players(), " names were given");
  }

 protected:
  void do_send(std::size_t to, frame&& f) override { m_net->push(self(), to, std::move(f)); }
  frame do_recv(std::size_t from, std::chrono::milliseconds timeout) override {
    return m_net->pop(from, self(), timeout, name(from), name(self()));
  }
  void do_close() override { m_net->close(); }

 private:
  memory_network* m_net;
};

}  // namespace tfe
