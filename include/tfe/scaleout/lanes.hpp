// tfe/scaleout/lanes.hpp: a party as K machines (MPI ranks), each running one lane: the same player
// in its own complete MPC instance (docs/scaleout.md). The lanes of a party are one MPI communicator;
// party_lanes gives a lane its index and K, and the party-internal collectives on share tensors.
//
//   int main(int argc, char** argv) {
//     tfe::scaleout::mpi_environment mpi(argc, argv);          // MPI_Init ... MPI_Finalize (RAII)
//     tfe::scaleout::party_lanes lanes(mpi.world(), "server0");  // lane = rank, K = size
//     auto hosts = tfe::scaleout::load_lane_hosts("hosts.json", lanes.lane(), lanes.lanes());
//     tfe::run_player<P>(hosts, "server0", [&](auto& s) {
//       ... lanes.broadcast(s, weights) ... lanes.allreduce_sum(grad) ... lanes.gather_rows(out) ...
//     });
//   }
//
// Why it is sound: secret shares are additive (replicated shares are sums too), so a party may copy
// its share of a value to its own lanes (broadcast), add its lanes' shares of K values (the sum of
// the shares is a share of the sum: allreduce_sum), or stack them (gather_rows), without any
// cryptography: every collective moves one party's shares between that party's own ranks, which are
// one trust domain. A communicator never holds ranks of two players (checked at construction), so
// lanes never mix shares of different parties.
//
// Costs (party-internal, payload bytes; b = bytes per element, n = elements, K = lanes): stated
// above each collective and counted in traffic(); every collective also exchanges a header of at most
// 272 bytes per lane (shape, element count), which is not counted. No MPC bytes or rounds: the
// lanes' TCP traffic is that of K independent runs.
//
// Waiting: each collective is non-blocking MPI polled with short sleeps (oversubscribed ranks do not
// spin), with a deadline: a lane that never joins ends the wait with lane_error naming the lane and
// the collective, never a hang. The program then ends its run (mpi_environment::abort ends the
// party's other ranks).
#pragma once

#include "tfe/config.hpp"
#include "tfe/ring/ring_traits.hpp"
#include "tfe/tensor.hpp"

// The C API only: not the deprecated C++ bindings (they do not compile warning-free).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace tfe::scaleout {

/// A collective of a party's lanes failed (a lane did not join in time, lanes disagree on a shape,
/// ranks of different players in one communicator, MPI failed). Its message names the player, the
/// lane and the collective, never a value, so it may go to the peers.
class lane_error : public error {
 public:
  using error::error;
  const char* kind() const noexcept override { return "tfe::scaleout::lane_error"; }
  bool message_is_public() const noexcept override { return true; }
};

/// MPI for the life of main: MPI_Init_thread (MPI_THREAD_FUNNELED: only the thread that made it
/// calls MPI; tfe's channel threads never do) and MPI_Finalize. One per process, made in main and
/// passed on; a process started without mpirun is a singleton run (K = 1).
class mpi_environment {
 public:
  mpi_environment(int& argc, char**& argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) throw lane_error("MPI is already initialized: make one mpi_environment, in main");
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw lane_error("MPI_Init_thread failed");
  }
  ~mpi_environment() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  mpi_environment(const mpi_environment&) = delete;
  mpi_environment& operator=(const mpi_environment&) = delete;

  MPI_Comm world() const { return MPI_COMM_WORLD; }
  /// Ends every rank of this MPI job (the party's other lanes) with exit code `code`.
  [[noreturn]] void abort(int code) const {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();  // (MPI_Abort does not return)
  }
};

/// Payload bytes a lane moved inside its party, and how many array collectives it ran (one per share part).
struct lane_traffic {
  std::uint64_t bytes_sent = 0, bytes_received = 0, collectives = 0;
};

/// The documented party-internal payload bytes of each collective: what the party's lanes send in
/// all (the sum of their traffic().bytes_sent; they receive as much). n elements of b bytes, K lanes.
/// (The totals of the logical data flow; MPI's own algorithm, a tree or a ring, moves about as much.)
struct collective_costs {
  /// Lane 0 sends its n elements to each of the K − 1 other lanes.
  static constexpr std::uint64_t broadcast(std::uint64_t n, std::uint64_t b, std::uint64_t k) {
    return (k - 1) * n * b;
  }
  /// Reduce to lane 0 and broadcast back: every other lane sends n and receives n elements.
  static constexpr std::uint64_t allreduce_sum(std::uint64_t n, std::uint64_t b, std::uint64_t k) {
    return 2 * (k - 1) * n * b;
  }
  /// Every lane but lane 0 sends its rows: n_total − n_lane0 elements.
  static constexpr std::uint64_t gather_rows(std::uint64_t n_total, std::uint64_t n_lane0, std::uint64_t b) {
    return (n_total - n_lane0) * b;
  }
};

class party_lanes {
 public:
  /// The lanes of `player`: every rank of `comm` (duplicated: the collectives here never meet a
  /// program's own MPI traffic). Lane = rank, K = size. Throws lane_error when the ranks of `comm` are
  /// not all `player` (lanes never mix shares of different parties).
  party_lanes(MPI_Comm comm, std::string player, std::chrono::milliseconds timeout = std::chrono::seconds(120))
      : m_player(std::move(player)), m_timeout(timeout) {
    check(MPI_Comm_dup(comm, &m_comm), "MPI_Comm_dup");
    int rank = 0, size = 0;
    MPI_Comm_rank(m_comm, &rank);
    MPI_Comm_size(m_comm, &size);
    m_lane = static_cast<std::size_t>(rank);
    m_lanes = static_cast<std::size_t>(size);
    check(MPI_Type_contiguous(2, MPI_UINT64_T, &m_u128), "MPI_Type_contiguous");
    check(MPI_Type_commit(&m_u128), "MPI_Type_commit");
    check(MPI_Op_create(&add_u128, 1, &m_add_u128), "MPI_Op_create");
    // Every rank must be the same player: lane 0's name, broadcast, compared at every lane.
    // Every lane learns whether any differs, so that all of them refuse.
    std::string name = m_player;
    broadcast_string(name, "player name check");
    int differs = name != m_player, any = 0;
    MPI_Request rq;
    check(MPI_Iallreduce(&differs, &any, 1, MPI_INT, MPI_MAX, m_comm, &rq), "MPI_Iallreduce");
    wait(rq, "player name check");
    if (any)
      throw lane_error(tfe::detail::concat(where(), ": the ranks of this MPI communicator are not all player '", name,
                                           "' (lane 0's): the lanes of one communicator must be one party (start one "
                                           "mpirun per player); shares of different parties never meet"));
    m_traffic = {};
  }
  ~party_lanes() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    MPI_Op_free(&m_add_u128);
    MPI_Type_free(&m_u128);
    MPI_Comm_free(&m_comm);
  }
  party_lanes(const party_lanes&) = delete;
  party_lanes& operator=(const party_lanes&) = delete;

  std::size_t lane() const { return m_lane; }
  std::size_t lanes() const { return m_lanes; }
  const std::string& player() const { return m_player; }
  /// "lane i of K of player 'NAME'": how errors name this process.
  std::string where() const {
    return tfe::detail::concat("lane ", m_lane, " of ", m_lanes, " of player '", m_player, "'");
  }
  const lane_traffic& traffic() const { return m_traffic; }

  /// This lane's rows [first, last) of n rows split into K contiguous, balanced slices (lane i:
  /// [⌊n·i/K⌋, ⌊n·(i+1)/K⌋)): in order, so gathering the slices in lane order gives the n rows.
  std::pair<std::size_t, std::size_t> slice_of(std::size_t n) const {
    return {n * m_lane / m_lanes, n * (m_lane + 1) / m_lanes};
  }

  /// Returns when every lane of the party has called it (e.g. at the end of the run, so that no lane
  /// exits 0 while another fails). No payload.
  void barrier(const std::string& what) {
    MPI_Request rq;
    check(MPI_Ibarrier(m_comm, &rq), "MPI_Ibarrier");
    wait(rq, what);
  }

  // ---- collectives on plain arrays (public values, or one part of a share) -----------------------

  /// Lane 0's array (shape and elements) at every lane. Cost: (K − 1)·n·b (collective_costs::broadcast).
  template <class A>
  void broadcast(A& a, const std::string& what) {
    using T = typename A::value_type;
    static_assert(std::is_trivially_copyable_v<T>);
    std::array<std::uint64_t, 34> header{};
    if (m_lane == 0) header = shape_header(shape_of(a), what);
    wait(ibcast(header.data(), sizeof(header)), what);
    if (m_lane != 0) a = A::from_shape(shape_from_header(header));
    const std::uint64_t bytes = a.size() * sizeof(T);
    wait(ibcast(a.data(), bytes), what);
    count(m_lane == 0 ? (m_lanes - 1) * bytes : 0, m_lane == 0 ? 0 : bytes);
  }

  /// Lane 0's string at every lane (public data: an architecture, a count). Cost: (K − 1)·length.
  void broadcast_string(std::string& s, const std::string& what) {
    std::uint64_t n = s.size();
    wait(ibcast(&n, sizeof(n)), what);
    s.resize(n);
    wait(ibcast(s.data(), n), what);
    count(m_lane == 0 ? (m_lanes - 1) * n : 0, m_lane == 0 ? 0 : n);
  }

  /// In place, the elementwise sum over the lanes of a ring array of the same shape at every lane,
  /// mod 2^64 (ring64: MPI's unsigned 64-bit sum wraps exactly so) or 2^128 (ring128: a custom
  /// MPI_Op adding unsigned __int128). Cost: 2·(K − 1)·n·b (collective_costs::allreduce_sum).
  template <class R>
  void allreduce_sum(ring_tensor<R>& a, const std::string& what) {
    static_assert(std::is_same_v<R, ring64> || std::is_same_v<R, ring128>,
                  "party_lanes::allreduce_sum: rings of 64 and 128 bits only");
    require_same_size(a.size(), what);
    const std::uint64_t bytes = a.size() * sizeof(R);
    check_count(a.size(), what);
    MPI_Request rq;
    const MPI_Datatype type = std::is_same_v<R, ring64> ? MPI_UINT64_T : m_u128;
    const MPI_Op op = std::is_same_v<R, ring64> ? MPI_SUM : m_add_u128;
    check(MPI_Iallreduce(MPI_IN_PLACE, a.data(), static_cast<int>(a.size()), type, op, m_comm, &rq), "MPI_Iallreduce");
    wait(rq, what);
    const std::uint64_t moved = m_lane == 0 ? (m_lanes - 1) * bytes : bytes;
    count(moved, moved);
  }

  /// Every lane's rows (arrays of equal trailing shape), stacked along axis 0 in lane order, at lane 0
  /// (nullopt at the other lanes). Cost: (n − n_0)·b (collective_costs::gather_rows).
  template <class A>
  std::optional<A> gather_rows(const A& a, const std::string& what) {
    using T = typename A::value_type;
    static_assert(std::is_trivially_copyable_v<T>);
    TFE_ENFORCE(a.dimension() >= 1, lane_error, where(), ": gather_rows '", what, "' needs an array with a row axis");
    // Header: this lane's shape, gathered to lane 0, which checks the trailing shapes.
    const auto mine = shape_header(shape_of(a), what);
    std::vector<std::uint64_t> headers(m_lane == 0 ? mine.size() * m_lanes : 0);
    MPI_Request rq;
    check(MPI_Igather(mine.data(), static_cast<int>(mine.size()), MPI_UINT64_T, headers.data(),
                      static_cast<int>(mine.size()), MPI_UINT64_T, 0, m_comm, &rq),
          "MPI_Igather");
    wait(rq, what);
    std::vector<int> counts(m_lanes), offsets(m_lanes);
    shape_t all;
    if (m_lane == 0) {
      std::uint64_t total_bytes = 0;
      for (std::size_t l = 0; l < m_lanes; ++l) {
        std::array<std::uint64_t, 34> h{};
        std::copy_n(headers.begin() + static_cast<std::ptrdiff_t>(l * h.size()), h.size(), h.begin());
        shape_t sh = shape_from_header(h);
        if (l == 0) all = sh, all[0] = 0;
        TFE_ENFORCE(sh.size() == all.size() && std::equal(sh.begin() + 1, sh.end(), all.begin() + 1), lane_error,
                    where(), ": gather_rows '", what, "': lane ", l, " holds shape ", shape_str(sh),
                    " but lane 0 holds rows of shape ", shape_str(shape_of(a)));
        all[0] += sh[0];
        const std::uint64_t bytes = shape_size(sh) * sizeof(T);
        check_count(total_bytes + bytes, what);
        counts[l] = static_cast<int>(bytes);
        offsets[l] = static_cast<int>(total_bytes);
        total_bytes += bytes;
      }
    }
    std::optional<A> out;
    if (m_lane == 0) out = A::from_shape(all);
    const std::uint64_t my_bytes = a.size() * sizeof(T);
    check_count(my_bytes, what);
    check(MPI_Igatherv(a.data(), static_cast<int>(my_bytes), MPI_BYTE, out ? out->data() : nullptr, counts.data(),
                       offsets.data(), MPI_BYTE, 0, m_comm, &rq),
          "MPI_Igatherv");
    wait(rq, what);
    if (m_lane == 0)
      count(0, out->size() * sizeof(T) - my_bytes);
    else
      count(my_bytes, 0);
    return out;
  }

  // ---- collectives on shares (this player's share components of a private tensor) ---------------

  /// Lane 0's share of `t` at every lane, as a tensor of session `s` (this lane's MPC instance): the
  /// value is shared once (in lane 0's instance) and used by K instances. Every part is broadcast:
  /// cost (K − 1)·n·b per part (Pond and SecureNN servers: 1 part; ABY3 servers: 2; others: 0).
  template <class P>
  void broadcast(session<P>& s, private_tensor<P>& t, const std::string& what) {
    std::array<std::uint64_t, 34> header{};
    if (m_lane == 0) {
      header = shape_header(t.shape(), what);
      header[33] = t.parts().size();
    }
    wait(ibcast(header.data(), sizeof(header)), what);
    const shape_t shape = shape_from_header(header);
    using parts_type = typename private_tensor<P>::parts_type;
    parts_type parts = m_lane == 0 ? t.parts() : parts_type(header[33]);
    std::uint64_t bytes = 0;
    for (auto& p : parts) {
      if (m_lane != 0) p = ring_tensor<typename P::ring>::from_shape(shape);
      TFE_ENFORCE(shape_of(p) == shape, lane_error, where(), ": broadcast '", what, "': a share part of shape ",
                  shape_str(shape_of(p)), " for a tensor of shape ", shape_str(shape));
      wait(ibcast(p.data(), p.size() * sizeof(typename P::ring)), what);
      bytes += p.size() * sizeof(typename P::ring);
    }
    count(m_lane == 0 ? (m_lanes - 1) * bytes : 0, m_lane == 0 ? 0 : bytes);
    if (m_lane != 0) t = private_tensor<P>(s, shape, std::move(parts));
  }

  /// In place: this player's share of the sum over the lanes of K private tensors of one shape (the
  /// sum of the lanes' shares is a share of the sum of the values). Cost: 2·(K − 1)·n·b per part.
  template <class P>
  void allreduce_sum(private_tensor<P>& t, const std::string& what) {
    require_same_size(t.parts().size(), what + " (share parts)");
    for (auto& p : t.parts()) allreduce_sum(p, what);
  }

  /// The lanes' tensors stacked along axis 0 in lane order, as a tensor of session `s` at lane 0
  /// (nullopt elsewhere): e.g. a batch's outputs, before revealing them once. Cost: (n − n_0)·b per part.
  template <class P>
  std::optional<private_tensor<P>> gather_rows(session<P>& s, const private_tensor<P>& t, const std::string& what) {
    TFE_ENFORCE(t.ndim() >= 1, lane_error, where(), ": gather_rows '", what, "' needs a tensor with a row axis");
    require_same_size(t.parts().size(), what + " (share parts)");
    typename private_tensor<P>::parts_type parts;
    for (const auto& p : t.parts())
      if (auto g = gather_rows(p, what)) parts.push_back(std::move(*g));
    // The stacked shape: the lanes' row counts (public), also where this player holds no parts.
    const xt::xarray<std::uint64_t> rows = {static_cast<std::uint64_t>(t.shape()[0])};
    const lane_traffic before = m_traffic;
    auto all_rows = gather_rows(rows, what + " (rows)");
    m_traffic = before;  // (a header: not counted)
    if (m_lane != 0) return std::nullopt;
    shape_t sh = t.shape();
    sh[0] = static_cast<std::size_t>(xt::sum(*all_rows)());
    return private_tensor<P>(s, sh, std::move(parts));
  }

 private:
  /// Sums unsigned 128-bit elements (two uint64 words each, in the machine's layout).
  static void add_u128(void* in, void* inout, int* len, MPI_Datatype*) {
    for (int i = 0; i < *len; ++i) {
      ring128 a, b;
      std::memcpy(&a, static_cast<char*>(in) + 16 * i, 16);
      std::memcpy(&b, static_cast<char*>(inout) + 16 * i, 16);
      b += a;
      std::memcpy(static_cast<char*>(inout) + 16 * i, &b, 16);
    }
  }

  void check(int rc, const char* call) const {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, text, &n);
    throw lane_error(
        tfe::detail::concat(where(), ": ", call, " failed: ", std::string(text, static_cast<std::size_t>(n))));
  }
  void check_count(std::uint64_t n, const std::string& what) const {
    TFE_ENFORCE(n <= static_cast<std::uint64_t>(INT_MAX), lane_error, where(), ": collective '", what, "' of ", n,
                " elements or bytes is beyond MPI's int counts; split it");
  }
  void count(std::uint64_t sent, std::uint64_t received) {
    m_traffic.bytes_sent += sent;
    m_traffic.bytes_received += received;
    ++m_traffic.collectives;
  }

  MPI_Request ibcast(void* data, std::uint64_t bytes) {
    check_count(bytes, "broadcast");
    MPI_Request rq;
    check(MPI_Ibcast(data, static_cast<int>(bytes), MPI_BYTE, 0, m_comm, &rq), "MPI_Ibcast");
    return rq;
  }

  /// Polls the request with sleeps from 50 µs up to 5 ms, until done or the deadline (lane_error).
  void wait(MPI_Request rq, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + m_timeout;
    auto nap = std::chrono::microseconds(50);
    for (;;) {
      int done = 0;
      check(MPI_Test(&rq, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done) return;
      if (std::chrono::steady_clock::now() > deadline)
        throw lane_error(tfe::detail::concat(where(), ": the party's other lanes did not join collective '", what,
                                             "' within ", m_timeout.count(), " ms"));
      std::this_thread::sleep_for(nap);
      nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(5));
    }
  }

  /// Throws lane_error unless every lane passes the same n.
  void require_same_size(std::uint64_t n, const std::string& what) {
    std::array<std::uint64_t, 2> v{n, ~n};  // max of n and of ~n: the largest and the smallest n
    MPI_Request rq;
    check(MPI_Iallreduce(MPI_IN_PLACE, v.data(), 2, MPI_UINT64_T, MPI_MAX, m_comm, &rq), "MPI_Iallreduce");
    wait(rq, what);
    TFE_ENFORCE(v[0] == n && ~v[1] == n, lane_error, where(), ": collective '", what,
                "': the lanes hold different sizes (from ", ~v[1], " to ", v[0], " elements; this lane ", n, ")");
  }

  std::array<std::uint64_t, 34> shape_header(const shape_t& sh, const std::string& what) const {
    TFE_ENFORCE(sh.size() <= 32, lane_error, where(), ": collective '", what, "' on ", sh.size(),
                " dimensions (at most 32)");
    std::array<std::uint64_t, 34> h{};
    h[0] = sh.size();
    std::copy(sh.begin(), sh.end(), h.begin() + 1);
    return h;
  }
  static shape_t shape_from_header(const std::array<std::uint64_t, 34>& h) {
    const std::size_t n = std::min<std::uint64_t>(h[0], 32);
    return shape_t(h.begin() + 1, h.begin() + 1 + static_cast<std::ptrdiff_t>(n));
  }

  std::string m_player;
  std::chrono::milliseconds m_timeout;
  MPI_Comm m_comm = MPI_COMM_NULL;
  MPI_Datatype m_u128 = MPI_DATATYPE_NULL;
  MPI_Op m_add_u128 = MPI_OP_NULL;
  std::size_t m_lane = 0, m_lanes = 1;
  lane_traffic m_traffic;
};

}  // namespace tfe::scaleout
