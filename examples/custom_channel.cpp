// A user-written channel: the injected transport interface in ~30 lines.
//
// A tfe session talks through any subclass of tfe::channel that implements three hooks:
// do_send, do_recv (waiting at most a given time) and do_close, and optionally do_liveness (what it
// knows of a peer's activity: then a receive waits for a busy peer as long as it takes, and a
// deadlock is reported by name; see tfe/net/channel.hpp). The counting of bytes, messages and rounds, the
// frame-size limit and the peer checks stay in the base class. This one wraps the in-memory network
// and logs every frame, then runs three players by hand (what tfe::run_local does for you).
//
//   build/examples/custom_channel
#include <tfe/tfe.hpp>

#include <iostream>
#include <mutex>
#include <thread>

class logging_channel final : public tfe::channel {
 public:
  logging_channel(tfe::memory_network& net, std::size_t self, std::vector<std::string> names, std::mutex& log_mutex)
      : tfe::channel(self, names), m_inner(net, self, names), m_log_mutex(&log_mutex) {}

 protected:
  void do_send(std::size_t to, tfe::frame&& f) override {
    {
      std::lock_guard lock(*m_log_mutex);
      std::cout << "  " << name(self()) << " -> " << name(to) << ": " << f.size() << " bytes\n";
    }
    forward_send(m_inner, to, std::move(f));
  }
  std::optional<tfe::frame> do_recv(std::size_t from, std::chrono::milliseconds wait) override {
    return forward_recv(m_inner, from, wait);
  }
  void do_close() override { m_inner.close(); }
  tfe::peer_activity do_liveness(std::size_t peer) const override { return forward_liveness(m_inner, peer); }

 private:
  tfe::memory_channel m_inner;
  std::mutex* m_log_mutex;
};

int main() {
  const std::vector<std::string> players{"server0", "alice", "bob"};
  tfe::memory_network net(players.size());
  std::mutex log_mutex;
  std::vector<double> result(players.size());
  std::vector<std::thread> threads;
  for (std::size_t id = 0; id < players.size(); ++id)
    threads.emplace_back([&, id] {
      logging_channel ch(net, id, players, log_mutex);
      tfe::session<tfe::plain<tfe::ring64>> s(ch);
      auto a = s.define_private_input("alice", [] { return xt::xarray<double>{2.5}; });
      auto b = s.define_private_input("bob", [] { return xt::xarray<double>{4.0}; });
      auto out = s.reveal_to("alice", a * b);
      result[id] = out ? (*out)(0) : 0.0;
    });
  for (auto& t : threads) t.join();
  std::cout << "alice learned a*b = " << result[1] << "\n";
  return result[1] == 10.0 ? 0 : 1;
}
