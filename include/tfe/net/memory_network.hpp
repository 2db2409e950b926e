// tfe/net/memory_network.hpp: the in-memory network: one FIFO per ordered pair of players.
//
// Used by tests and by run_local (every player a thread of one process). A receive waits on the
// (from, to) mailbox only, so a player can receive from peers in any order. close() marks the network
// closed and wakes every waiting receiver, which then throws channel_error; this is how one failing
// player releases all the others instead of leaving them blocked.
#pragma once

#include "tfe/net/channel.hpp"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

namespace tfe {

class memory_network {
 public:
  explicit memory_network(std::size_t num_players)
      : m_n(num_players), m_boxes(num_players * num_players) {
    for (auto& b : m_boxes) b = std::make_unique<mailbox>();
  }
  std::size_t num_players() const { return m_n; }

  void push(std::size_t from, std::size_t to, frame&& f) {
    auto& b = box(from, to);
    {
      std::lock_guard lock(b.mutex);
      if (b.closed) return;  // the receiver side is gone; the frame is dropped
      b.frames.push_back(std::move(f));
    }
    b.ready.notify_one();
  }

  /// Waits for the next frame from `from` to `to`. Throws channel_error on timeout or close.
  frame pop(std::size_t from, std::size_t to, std::chrono::milliseconds timeout, const std::string& from_name,
            const std::string& to_name) {
    auto& b = box(from, to);
    std::unique_lock lock(b.mutex);
    bool ok = b.ready.wait_for(lock, timeout, [&] { return !b.frames.empty() || b.closed; });
    if (!b.frames.empty()) {
      frame f = std::move(b.frames.front());
      b.frames.pop_front();
      return f;
    }
    if (b.closed)
      throw channel_error(detail::concat("network closed while '", to_name, "' was waiting for a message from '",
                                         from_name, "'"));
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
    bool closed = false;
  };
  mailbox& box(std::size_t from, std::size_t to) { return *m_boxes[from * m_n + to]; }

  std::size_t m_n;
  std::vector<std::unique_ptr<mailbox>> m_boxes;
};

/// One player's channel over a memory_network.
class memory_channel final : public channel {
 public:
  memory_channel(memory_network& net, std::size_t self, std::vector<std::string> names, channel_options options = {})
      : channel(self, std::move(names), options), m_net(&net) {
    TFE_ENFORCE(net.num_players() == num_players(), config_error, "network has ", net.num_players(),
                " players but ", num_players(), " names were given");
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
