// tfe/serve/batch_loop.hpp: the servers' side of serving: agreeing on each batch over the MPC mesh,
// running the shared model on it, and answering every client of the batch (docs/serving.md).
//
// The players of the mesh are the protocol's own (aby3: server0-2; pond: server0, server1 and the
// crypto producer) and the model owner, who leaves after sharing the model. Server 0 leads. A round
// (every participant, in lock step; JSON in byte frames over the mesh):
//   leader -> each     proposal {"stop", "reqs": [[client, id, rows], ...]} (to the crypto producer
//                      with the rows only: ["", 0, rows]): the next requests of its
//                      queue (up to --batch rows, once --batch-delay passed for the oldest), or none
//                      (an idle tick every --tick, so a stop anywhere is heard)
//   each -> leader     {"stop", "have": [bool, ...]}: whether it holds each request (same rows); the
//                      crypto producer holds no input and says yes
//   leader -> each     {"stop", "take": [index, ...]}: the requests every server holds
// then, when "take" is not empty, every participant builds the batch input from its components in
// that order (the producer knows only the shape), runs the model, and every client-facing server
// answers each request with its re-randomized output share rows (serve/shares.hpp); a request not
// taken goes back to the queue (it may still be on its way to a server) and is refused after
// --request-timeout. With "stop" set every participant leaves the loop after the round.
// Costs per round: 2 small frames per participant, plus the model's own (a batch of n rows costs what
// model::predict costs on n rows: the rounds do not grow with n) and, per answering server, one
// PRG draw of the output's size. Only server 0's order and the public shapes are shared; no share
// crosses the mesh except inside the protocol's own ops.
#pragma once

#include "tfe/graph/model.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/serve/board.hpp"

#include <atomic>
#include <iostream>
#include <thread>

namespace tfe::serve {

struct batch_options {
  std::size_t batch = 64;                                               ///< rows per batch, at most
  std::chrono::microseconds batch_delay{2000};                          ///< longest wait of a request for company
  std::chrono::milliseconds tick{100};                                  ///< an idle round at least this often
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};  ///< refused when not run by then
};

/// This server's re-randomized share of the output for the client (serve/shares.hpp), or nothing.
template <class P>
std::optional<ring_array> output_share(session<P>& s, const std::vector<ring_array>& y, const shape_t& shape) {
  if constexpr (std::is_same_v<P, aby3<ring>>) {
    if (s.id() == 0) {
      ring_array r = s.pair_prg(2).template uniform<ring>(shape);
      return ring_array(y.at(0) + y.at(1) + r);
    }
    if (s.id() == 2) {
      ring_array r = s.pair_prg(0).template uniform<ring>(shape);
      return ring_array(y.at(0) - r);
    }
    return std::nullopt;
  } else {
    static_assert(std::is_same_v<P, pond<ring>>, "serving supports aby3 and pond (ring64)");
    if (s.id() < 2) return P::rerandomized_share(s, y, shape);
    return std::nullopt;
  }
}

template <class P>
class batch_loop {
 public:
  /// `participants`: the mesh players that take part (every one but the model owner); those below
  /// `client_facing` receive client inputs. `stop` is set by the signal thread.
  batch_loop(session<P>& s, graph::model<P>& m, request_board& board, std::size_t participants,
             std::size_t client_facing, batch_options o, const std::atomic<bool>& stop)
      : m_s(s), m_model(m), m_board(board), m_n(participants), m_faces(client_facing), m_o(o), m_stop(stop) {}

  /// Runs rounds until a stop; throws (channel_error naming the peer) when a peer is lost.
  void run() {
    const std::string expired = tfe::detail::concat("not run within ", m_o.request_timeout.count(),
                                                    " ms (the request did not reach every server)");
    try {
      for (bool go = true; go;) {
        go = m_s.id() == 0 ? lead() : follow();
        m_held.clear();
        m_board.expire(m_o.request_timeout, expired);
      }
    } catch (const std::exception& e) {
      // The requests out of the queue in this round must not wait forever: refuse them (answering
      // is idempotent, those already answered keep their answer).
      for (const auto& r : m_held)
        if (r) r->refuse(tfe::detail::concat("the servers stopped: ", e.what()));
      throw;
    }
  }

  std::size_t batches() const { return m_batches; }
  std::size_t rows() const { return m_rows; }
  /// Time spent in the model and the output shares (the rest: waiting for requests, agreeing).
  double compute_seconds() const { return std::chrono::duration<double>(m_compute).count(); }

 private:
  bool lead() {
    auto reqs = m_board.next_batch(m_o.batch, m_o.batch_delay, m_o.tick);
    m_held = reqs;
    bool stop = m_stop.load();
    // The crypto producer holds no input: it learns the rows of each request, not who sent it.
    nlohmann::json list = nlohmann::json::array(), rows_only = nlohmann::json::array();
    for (const auto& r : reqs) {
      list.push_back({r->client, r->id, r->rows()});
      rows_only.push_back({"", 0, r->rows()});
    }
    for (std::size_t p = 1; p < m_n; ++p) send(p, {{"stop", stop}, {"reqs", p < m_faces ? list : rows_only}});
    std::vector<bool> have(reqs.size(), true);
    for (std::size_t p = 1; p < m_n; ++p) {
      const nlohmann::json a = recv(p);
      stop = stop || a.at("stop").get<bool>();
      const auto h = a.at("have").get<std::vector<bool>>();
      TFE_ENFORCE(h.size() == reqs.size(), protocol_error, "'", m_s.name_of(p), "' answered ", h.size(), " of ",
                  reqs.size(), " proposed requests");
      for (std::size_t i = 0; i < h.size(); ++i) have[i] = have[i] && h[i];
    }
    std::vector<std::size_t> take;
    std::vector<request_ptr> batch, rest;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      if (have[i]) {
        take.push_back(i);
        batch.push_back(reqs[i]);
      } else {
        rest.push_back(reqs[i]);
      }
    }
    for (std::size_t p = 1; p < m_n; ++p) send(p, {{"stop", stop}, {"take", take}});
    m_board.put_back(rest);
    run_batch(batch, rows_of(reqs, take));
    if (!rest.empty() && batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return !stop;
  }

  bool follow() {
    const nlohmann::json prop = recv(0);
    std::vector<request_ref> wanted;
    std::vector<std::size_t> rows;
    for (const auto& e : prop.at("reqs")) {
      wanted.push_back({e.at(0).get<std::string>(), e.at(1).get<std::uint64_t>(), e.at(2).get<std::size_t>()});
      rows.push_back(wanted.back().rows);
    }
    std::vector<request_ptr> mine = m_s.id() < m_faces ? m_board.take(wanted) : std::vector<request_ptr>(wanted.size());
    m_held = mine;
    std::vector<bool> have;
    for (const auto& r : mine) have.push_back(m_s.id() >= m_faces || r != nullptr);
    send(0, {{"stop", m_stop.load()}, {"have", have}});
    const nlohmann::json fin = recv(0);
    const auto take = fin.at("take").get<std::vector<std::size_t>>();
    std::vector<request_ptr> batch;
    std::vector<bool> taken(mine.size(), false);
    for (std::size_t i : take) {
      TFE_ENFORCE(i < mine.size() && have[i], protocol_error, "server0 took request ", i,
                  " of its proposal, which this server does not hold");
      taken[i] = true;
      batch.push_back(mine[i]);
    }
    std::vector<request_ptr> rest;
    for (std::size_t i = 0; i < mine.size(); ++i)
      if (!taken[i] && mine[i]) rest.push_back(mine[i]);
    m_board.put_back(rest);
    std::vector<std::size_t> batch_rows;
    for (std::size_t i : take) batch_rows.push_back(rows[i]);
    run_batch(batch, batch_rows);
    return !fin.at("stop").get<bool>();
  }

  static std::vector<std::size_t> rows_of(const std::vector<request_ptr>& reqs, const std::vector<std::size_t>& take) {
    std::vector<std::size_t> out;
    for (std::size_t i : take) out.push_back(reqs[i]->rows());
    return out;
  }

  /// Runs the model on the requests (null at the crypto producer, which holds no input) of `rows` rows.
  void run_batch(const std::vector<request_ptr>& batch, const std::vector<std::size_t>& rows) {
    if (rows.empty()) return;
    const auto& dims = m_model.spec().inputs.at(0).dims;
    shape_t shape{0};
    for (std::size_t i = 1; i < dims.size(); ++i) shape.push_back(static_cast<std::size_t>(dims[i]));
    for (std::size_t r : rows) shape[0] += r;
    std::vector<ring_array> parts;
    if (m_s.id() < m_faces) {
      const std::size_t k = batch.at(0)->parts.size();
      for (std::size_t c = 0; c < k; ++c) {
        ring_array x = ring_array::from_shape(shape);
        std::size_t off = 0;
        for (const auto& r : batch) {
          std::copy(r->parts[c].begin(), r->parts[c].end(), x.data() + off);
          off += r->parts[c].size();
        }
        parts.push_back(std::move(x));
      }
    }
    private_tensor<P> x(m_s, shape, std::move(parts));
    const auto t0 = serve_clock::now();
    const private_tensor<P> y = m_model.predict(std::vector<private_tensor<P>>{x}).at(0);
    const auto share = output_share(m_s, y.parts(), y.shape());
    m_compute += serve_clock::now() - t0;
    m_batches += 1;
    m_rows += shape[0];
    if (m_s.id() >= m_faces) return;
    const std::size_t out_row = shape_size(y.shape()) / std::max<std::size_t>(y.shape()[0], 1);
    std::size_t lo = 0;
    for (const auto& r : batch) {
      shape_t os = y.shape();
      os[0] = r->rows();
      message a{{{"type", "result"}, {"id", r->id}, {"shape", os}, {"share", share.has_value()}}, {}};
      if (share) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(share->data() + lo * out_row);
        a.body.assign(p, p + r->rows() * out_row * sizeof(ring));
      }
      lo += r->rows();
      r->respond(std::move(a));
    }
  }

  void send(std::size_t to, const nlohmann::json& j) {
    const std::string t = j.dump();
    m_s.net().send_bytes(to, std::vector<std::uint8_t>(t.begin(), t.end()));
  }
  nlohmann::json recv(std::size_t from) {
    const auto b = m_s.net().recv_bytes(from);
    try {
      return nlohmann::json::parse(b.begin(), b.end());
    } catch (const nlohmann::json::exception& e) {
      throw protocol_error(tfe::detail::concat("malformed batch message from '", m_s.name_of(from), "': ", e.what()));
    }
  }

  session<P>& m_s;
  graph::model<P>& m_model;
  request_board& m_board;
  std::size_t m_n, m_faces;
  batch_options m_o;
  const std::atomic<bool>& m_stop;
  std::size_t m_batches = 0, m_rows = 0;
  std::vector<request_ptr> m_held;  // taken out of the board in this round (refused if the round fails)
  serve_clock::duration m_compute{};
};

}  // namespace tfe::serve
