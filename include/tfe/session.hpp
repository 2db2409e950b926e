// tfe/session.hpp: one player's context: who it is, its channel, PRG streams, fixed point and statistics.
//
// Every player of a program owns one session<P> (no globals, so many players can share a process).
// Constructing a session talks to the other players: it sets up the shared PRG streams by a seed
// exchange (tag "setup"): for every pair i < j, player i sends a fresh 16-byte seed to j, and player 0
// sends one seed to everybody for the stream shared by all. Every player must therefore construct its
// session at the same time (run_local does).
//
// The privacy policy of a program is written with the session:
//   define_private_input(owner, provider)   provider runs only at owner; the servers get shares
//   define_public_input(owner, provider)    owner's value becomes known to every player
//   define_output(receiver, consumer, x)    only receiver learns x; consumer runs there
//   reveal_to(receiver, x)                  std::optional, present only at receiver
//   reveal_to_all(x)                        explicit: every player learns x (a public_tensor)
#pragma once

#include "tfe/crypto/prg.hpp"
#include "tfe/detail/shape_limits.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/ring/block_cache.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/parallel.hpp"
#include "tfe/ring/truncation_audit.hpp"
#include "tfe/tensor.hpp"

#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tfe {

namespace detail {
template <class T>
struct is_tuple_like : std::false_type {};
template <class... T>
struct is_tuple_like<std::tuple<T...>> : std::true_type {};
template <class A, class B>
struct is_tuple_like<std::pair<A, B>> : std::true_type {};
}  // namespace detail

struct session_options {
  /// Fixed-point configuration; the ring's preset when empty.
  std::optional<fixed_point_config> fixed_point;
  /// The truncation after products (ring/fixed_point.hpp: truncation_mode), overriding fixed_point's;
  /// exact: one more round and small messages, never the rare large error of the probabilistic one.
  std::optional<truncation_mode> truncation;
  /// INSECURE, for reproducible tests only: derive every PRG key from this number instead of the OS.
  std::optional<std::uint64_t> insecure_deterministic_seed;
  /// Threads for this player's large kernels (matmul, convolution); 0: the hardware threads divided
  /// by players_in_process, at least 1 (ring/parallel.hpp). Results do not depend on it.
  std::size_t threads = 0;
  /// How many players run in this process (the in-process runner sets it), for the default threads.
  std::size_t players_in_process = 1;
  /// Freed large blocks (1 MiB and more) the player keeps for its next large tensors, at most this
  /// many bytes (ring/block_cache.hpp); 0: none, every block goes back to the OS at once.
  /// Used while the runners (run_local, run_player) run the program.
  std::size_t block_cache_bytes = std::size_t(1) << 30;
};

template <class P>
class session {
 public:
  using protocol = P;
  using ring = typename P::ring;
  using private_type = private_tensor<P>;
  using public_type = public_tensor<P>;

  explicit session(channel& ch, session_options options = {})
      : m_blocks(options.block_cache_bytes),
        m_ch(&ch),
        m_cfg(options.fixed_point.value_or(fixed_point_config::preset<ring>())),
        m_threads(options.threads ? options.threads : default_threads(options.players_in_process)) {
    if (options.truncation) m_cfg.truncation = *options.truncation;
    m_cfg.validate<ring>();
    TFE_ENFORCE(ch.num_players() >= P::min_players, config_error, P::name(), " needs at least ", P::min_players,
                " players (", P::roles(), ") but the program has ", ch.num_players());
    setup_prgs(options.insecure_deterministic_seed);
    m_state = typename P::state(*this);
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // ---- identity ------------------------------------------------------------------------------
  std::size_t id() const { return m_ch->self(); }
  const std::string& name() const { return m_ch->name(id()); }
  const std::vector<std::string>& players() const { return m_ch->names(); }
  std::size_t num_players() const { return m_ch->num_players(); }
  std::size_t id_of(const std::string& player) const { return m_ch->id_of(player); }
  const std::string& name_of(std::size_t player) const { return m_ch->name(player); }

  channel& net() { return *m_ch; }
  const fixed_point_config& fixed_point() const { return m_cfg; }
  /// Changes the truncation after products from here on and returns the previous mode. Every player
  /// runs the same program, so all of them switch at the same op; truncation_scope undoes it. Used
  /// where a few large sums must never take the probabilistic truncation's rare large error
  /// (stats/basic.hpp: the Gram matrix of a 10^6-row table has entries near 2^52 at scale 2^2f).
  truncation_mode set_truncation(truncation_mode mode) { return std::exchange(m_cfg.truncation, mode); }
  /// Threads for this player's large kernels (session_options::threads).
  std::size_t threads() const { return m_threads; }
  /// This player's cache of freed large blocks; a runner makes it the cache of the thread that runs
  /// the program with `block_cache::scope use(&s.blocks());`, declared after the session.
  block_cache& blocks() { return m_blocks; }
  /// This player's bytes of ring tensors, now and at most (ring/memory_meter.hpp); the runners make it
  /// the meter of the thread that runs the program with `memory_meter::scope`, as the block cache.
  memory_meter& memory() { return m_memory; }
  const memory_meter& memory() const { return m_memory; }
  /// Where the plain protocol records its truncations (not owned; nullptr: nowhere, the default).
  /// See ring/truncation_audit.hpp.
  truncation_audit* truncations() const { return m_truncations; }
  void set_truncation_audit(truncation_audit* audit) { m_truncations = audit; }
  const statistics& stats() const { return m_ch->stats(); }
  typename P::state& state() { return m_state; }
  const typename P::state& state() const { return m_state; }
  channel::scope op_scope(std::string tag) { return m_ch->op_scope(std::move(tag)); }

  // ---- randomness ------------------------------------------------------------------------------
  /// This player's own stream.
  prg& private_prg() { return m_private; }
  /// The stream this player shares with `peer` (same key at both ends).
  prg& pair_prg(std::size_t peer) {
    TFE_ENFORCE(peer < num_players() && peer != id(), protocol_error, "no PRG stream shared with player index ", peer);
    return m_pair[peer];
  }
  /// The stream shared by all players.
  prg& common_prg() { return m_common; }
  /// Sends a 16-byte seed to `to` (one frame); the copy it was sent from is wiped.
  void send_seed(std::size_t to, const seed_t& seed) {
    std::vector<std::uint8_t> bytes(seed.begin(), seed.end());
    wipe_on_exit wipe(bytes);
    m_ch->send_bytes(to, bytes);
  }
  /// Receives a 16-byte seed from `from` into `out` (wipe it after use); the received copy is wiped.
  /// A frame of another size is a channel_error naming the sender.
  void recv_seed(std::size_t from, seed_t& out) {
    std::vector<std::uint8_t> bytes = m_ch->recv_bytes(from);
    wipe_on_exit wipe(bytes);
    TFE_ENFORCE(bytes.size() == out.size(), channel_error, "bad seed of ", bytes.size(), " bytes from '", name_of(from),
                "'");
    std::copy(bytes.begin(), bytes.end(), out.begin());
  }

  // ---- encoding helpers ------------------------------------------------------------------------
  ring_tensor<ring> encode(const xt::xarray<double>& v) const { return tfe::encode<ring>(v, m_cfg); }
  xt::xarray<double> decode(const ring_tensor<ring>& v) const { return tfe::decode(v, m_cfg); }
  /// A public constant, computed by every player.
  public_type constant(const xt::xarray<double>& v) { return public_type(*this, encode(v)); }

  // ---- privacy policy --------------------------------------------------------------------------
  /// Runs `provider` at `owner` only and secret-shares its result among the protocol's servers.
  /// The provider returns something convertible to xt::xarray<double>, or a std::tuple/std::pair of
  /// such (then a tuple of private tensors is returned, for example features and labels).
  template <class F>
  auto define_private_input(const std::string& owner, F&& provider) {
    const std::size_t o = id_of(owner);
    auto scope = op_scope("input");
    using result_t = std::invoke_result_t<F>;
    if constexpr (detail::is_tuple_like<result_t>::value) {
      std::optional<result_t> values;
      if (id() == o) values.emplace(provider());
      return share_tuple(o, values, std::make_index_sequence<std::tuple_size_v<result_t>>{});
    } else {
      std::optional<xt::xarray<double>> value;
      if (id() == o) value.emplace(provider());
      return share_one(o, value);
    }
  }

  /// Runs `provider` at `owner`, which sends the encoded value to every other player.
  template <class F>
  public_type define_public_input(const std::string& owner, F&& provider) {
    const std::size_t o = id_of(owner);
    auto scope = op_scope("public_input");
    ring_tensor<ring> v;
    if (id() == o) {
      v = encode(xt::xarray<double>(provider()));
      for (std::size_t p = 0; p < num_players(); ++p)
        if (p != o) m_ch->send(p, v);
    } else {
      v = m_ch->template recv<ring>(o);
    }
    return public_type(*this, std::move(v));
  }

  /// Reveals `x` to `receiver` only; present there, empty everywhere else.
  std::optional<xt::xarray<double>> reveal_to(const std::string& receiver, const private_type& x) {
    const std::size_t r = id_of(receiver);
    auto scope = op_scope("output");
    auto v = P::reveal(*this, x.parts(), x.shape(), r);
    if (id() != r) return std::nullopt;
    TFE_ASSERT(v.has_value());
    return decode(*v);
  }

  /// Reveals `x` to `receiver`, where `consumer(values)` runs; a tuple/vector of tensors works too.
  template <class F>
  void define_output(const std::string& receiver, F&& consumer, const private_type& x) {
    auto v = reveal_to(receiver, x);
    if (v) consumer(*v);
  }
  template <class F>
  void define_output(const std::string& receiver, F&& consumer, const std::vector<private_type>& xs) {
    std::vector<xt::xarray<double>> values;
    bool here = false;
    for (const auto& x : xs) {
      auto v = reveal_to(receiver, x);
      if (v) {
        here = true;
        values.push_back(std::move(*v));
      }
    }
    if (here) consumer(values);
  }

  /// Explicitly makes `x` known to every player.
  public_type reveal_to_all(const private_type& x) {
    auto scope = op_scope("reveal_all");
    auto v = P::reveal_all(*this, x.parts(), x.shape());
    return public_type(*this, std::move(v));
  }

  /// Shares an already encoded value held by `owner` (used by layers and tests).
  private_type share_encoded(std::size_t owner, const std::optional<ring_tensor<ring>>& value) {
    shape_t shape = value ? shape_of(*value) : shape_t{};
    shape = distribute_shape(owner, shape);
    auto parts = P::share_input(*this, owner, value ? &*value : nullptr, shape);
    return private_type(*this, std::move(shape), std::move(parts));
  }

 private:
  /// The shape of a private input is public: the owner sends it to every player, in one small frame.
  /// A received shape is untrusted (docs/security.md): at most 64 axes, each an exact non-negative
  /// integer, and its element count (checked_shape_size, no overflow) at most max_input_elements()
  /// before any share is allocated; otherwise channel_error naming the owner.
  shape_t distribute_shape(std::size_t owner, const shape_t& shape) {
    if (id() == owner) {
      ring_tensor<ring> s = xt::zeros<ring>(shape_t{shape.size()});
      for (std::size_t i = 0; i < shape.size(); ++i) s(i) = ring_traits<ring>::from_uint(shape[i]);
      for (std::size_t p = 0; p < num_players(); ++p)
        if (p != owner) m_ch->send(p, s);
      return shape;
    }
    ring_tensor<ring> s = m_ch->template recv<ring>(owner);
    const std::string where = "malformed input shape from '" + name_of(owner) + "'";
    TFE_ENFORCE(s.dimension() == 1 && s.size() <= 64, channel_error, where, ": ", s.dimension(), " axes and ", s.size(),
                " entries (a list of at most 64 dimensions was expected)");
    const std::size_t limit = max_input_elements();
    shape_t out(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      // Negative (two's complement) or above the limit: refused before the cast, which would be UB.
      const double d = ring_traits<ring>::to_double(s(i));
      TFE_ENFORCE(d >= 0 && d <= static_cast<double>(limit), channel_error, where, ": dimension ", i, " is ",
                  ring_traits<ring>::to_string(s(i)), " (at most ", limit, ")");
      out[i] = static_cast<std::size_t>(d);
    }
    (void)checked_shape_size<channel_error>(out, where, "announced shape", limit);
    return out;
  }

  /// The largest element count of a private input announced by a peer: max_tensor_elements (2^32),
  /// lowered to what one frame can carry (channel_options::max_frame_bytes / ring bytes), since the
  /// shares of a larger input could not be sent anyway.
  std::size_t max_input_elements() const {
    return std::min<std::size_t>(max_tensor_elements, m_ch->options().max_frame_bytes / ring_traits<ring>::bytes);
  }

  private_type share_one(std::size_t owner, const std::optional<xt::xarray<double>>& value) {
    std::optional<ring_tensor<ring>> enc;
    if (value) enc = encode(*value);
    return share_encoded(owner, enc);
  }

  template <class T, std::size_t... I>
  auto share_tuple(std::size_t owner, const std::optional<T>& values, std::index_sequence<I...>) {
    // Evaluate in order: every player must share the elements in the same sequence.
    std::tuple<decltype((void)I, private_type())...> out;
    ((std::get<I>(out) = share_one(
          owner, values ? std::optional<xt::xarray<double>>(xt::xarray<double>(std::get<I>(*values))) : std::nullopt)),
     ...);
    return out;
  }

  void setup_prgs(std::optional<std::uint64_t> insecure_seed) {
    auto scope = op_scope("setup");
    const std::size_t n = num_players(), me = id();
    // Every seed lives in `seeds` (one per player: the pairwise ones, and at the own index this
    // player's stream with itself) or `common` until it keys its prg; both are wiped on the way out.
    std::vector<seed_t> seeds(n);
    seed_t common{};
    wipe_on_exit wipe(seeds, common);
    auto fresh = [&](seed_t& out, std::uint64_t salt) {
      if (insecure_seed)
        out = prg::insecure_from_fixed_seed(*insecure_seed * 1000003u + salt).next_seed();  // not secret anyway
      else
        fill_os_random(out);
    };
    m_private = insecure_seed ? prg::insecure_from_fixed_seed(*insecure_seed * 1000003u + 7919u * (me + 1)) : prg();
    m_pair.clear();
    m_pair.reserve(n);
    // Lower index sends first to every higher one; then receives from every lower one.
    for (std::size_t j = me + 1; j < n; ++j) {
      fresh(seeds[j], me * n + j);
      send_seed(j, seeds[j]);
    }
    for (std::size_t i = 0; i < me; ++i) recv_seed(i, seeds[i]);
    fresh(seeds[me], n * n + me);
    for (std::size_t p = 0; p < n; ++p) m_pair.emplace_back(seeds[p]);
    if (me == 0) {
      fresh(common, n * n + n);
      for (std::size_t p = 1; p < n; ++p) send_seed(p, common);
    } else {
      recv_seed(0, common);
    }
    m_common = prg(common);
  }

  block_cache m_blocks;  // first: destroyed last, after every tensor of the session's state
  memory_meter m_memory;
  channel* m_ch;
  fixed_point_config m_cfg;
  std::size_t m_threads;
  truncation_audit* m_truncations = nullptr;
  prg m_private;
  std::vector<prg> m_pair;
  prg m_common;
  typename P::state m_state;
};

/// Sets a session's truncation mode until the scope ends (session::set_truncation).
template <class P>
class truncation_scope {
 public:
  truncation_scope(session<P>& s, truncation_mode mode) : m_s(s), m_previous(s.set_truncation(mode)) {}
  truncation_scope(const truncation_scope&) = delete;
  truncation_scope& operator=(const truncation_scope&) = delete;
  ~truncation_scope() { m_s.set_truncation(m_previous); }

 private:
  session<P>& m_s;
  truncation_mode m_previous;
};

}  // namespace tfe
