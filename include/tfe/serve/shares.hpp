// tfe/serve/shares.hpp: how a serving client secret-shares its input for the servers and
// reconstructs its output from their answers, per protocol (ring64).
//
// Input, x encoded in fixed point (the servers' frac_bits), c_0, c_1 uniform: each the AES-CTR
// stream (crypto/prg.hpp) of a 16-byte seed the client draws from its own PRG keyed from the OS:
//   aby3: x = c_0 + c_1 + c_2 (c_2 = x − c_0 − c_1); server i receives (c_i, c_{i+1}): ABY3's
//         replicated sharing, exactly what aby3::share_input gives an input player's value. Each
//         server sees two of three uniform components: nothing about x. On the wire a seeded
//         component is its seed: server 0 gets (s_0, s_1), 32 bytes; server 1 (s_1, c_2) and server 2
//         (c_2, s_0), n elements and 16 bytes: n elements in all instead of 6n (37.6 KB → 12.6 KB per
//         Fashion-MNIST image), less to encrypt, send, decrypt and copy. A seed shows its server
//         nothing the component would not (the server expands it; AES-CTR under a fresh key is
//         pseudo-random), and c_2 = x − c_0 − c_1 is uniform to each server that holds it: server 1
//         lacks s_0, server 2 lacks s_1.
//   pond: x = c_0 + c_1 (c_1 = x − c_0); server 0 receives s_0, server 1 c_1 (n elements); the
//         crypto producer receives nothing.
// Output y (shares after the model; see programs/serve_loop.hpp for the servers' side): the answering
// servers re-randomize before sending, so the client learns y and nothing else about the servers'
// shares (as session::reveal_to an input player):
//   aby3: server 0 sends y_0 + y_1 + r, server 2 sends y_2 − r (r from the stream F_{0,2} of servers
//         0 and 2); server 1 sends no share. y = sum of the two.
//   pond: server 0 sends y_0 + r, server 1 sends y_1 − r (r from their pairwise stream). y = sum.
// A client that sends inconsistent components (server i's c_{i+1} ≠ server i+1's) only spoils its own
// result: the servers are semi-honest, the client is trusted with its own input only.
#pragma once

#include "tfe/config.hpp"
#include "tfe/crypto/prg.hpp"
#include "tfe/ring/ring_traits.hpp"
#include "tfe/serve/wire.hpp"
#include "tfe/tensor.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tfe::serve {

using ring = ring64;
using ring_array = ring_tensor<ring>;

/// What a protocol needs from a client: how many servers, components per server, who answers.
struct share_layout {
  std::string protocol;
  std::size_t servers = 0;
  std::size_t parts = 0;      ///< input components each server receives
  std::vector<bool> answers;  ///< per server: sends a share of the output
};

/// The layout of a served protocol ("aby3" or "pond"); config_error for any other.
inline share_layout layout_of(const std::string& protocol) {
  if (protocol == "aby3") return {protocol, 3, 2, {true, false, true}};
  if (protocol == "pond") return {protocol, 2, 1, {true, true}};
  throw config_error(
      tfe::detail::concat("serving supports the protocols aby3 and pond (ring64); '", protocol, "' is not one"));
}

/// One of a server's input components: a seed (the component is expand_component(seed, shape)) or
/// the elements themselves.
struct input_component {
  std::optional<seed_t> seed;
  ring_array values;  ///< when there is no seed
};

/// The uniform component a seed stands for: its AES-CTR stream as ring elements of `shape`.
inline ring_array expand_component(const seed_t& seed, const shape_t& shape) {
  prg g(seed);
  return g.uniform<ring>(shape);
}

/// Splits the encoded input for the servers: result[i] holds server i's components.
inline std::vector<std::vector<input_component>> share_input(const share_layout& l, const ring_array& x, prg& g) {
  const shape_t shape = shape_of(x);
  auto seeded = [](const seed_t& s) { return input_component{s, {}}; };
  auto explicit_ = [](ring_array v) { return input_component{std::nullopt, std::move(v)}; };
  if (l.protocol == "aby3") {
    seed_t s0 = g.next_seed(), s1 = g.next_seed();
    wipe_on_exit w0(s0), w1(s1);
    ring_array c2 = x - expand_component(s0, shape) - expand_component(s1, shape);
    return {{seeded(s0), seeded(s1)}, {seeded(s1), explicit_(c2)}, {explicit_(c2), seeded(s0)}};
  }
  TFE_ENFORCE(l.protocol == "pond", config_error, "no input sharing for protocol '", l.protocol, "'");
  seed_t s0 = g.next_seed();
  wipe_on_exit w0(s0);
  return {{seeded(s0)}, {explicit_(ring_array(x - expand_component(s0, shape)))}};
}

/// The output from the answering servers' shares (the others' entries are empty).
inline ring_array reconstruct(const share_layout& l, const std::vector<std::optional<ring_array>>& answers) {
  std::optional<ring_array> sum;
  for (std::size_t i = 0; i < l.servers; ++i) {
    if (!l.answers[i]) continue;
    TFE_ENFORCE(i < answers.size() && answers[i].has_value(), serve_error, "server ", i,
                " sent no share of the output although protocol ", l.protocol, " has it answer");
    if (!sum)
      sum = *answers[i];
    else
      *sum += *answers[i];
  }
  TFE_ENFORCE(sum.has_value(), config_error, "protocol '", l.protocol, "' has no answering server");
  return std::move(*sum);
}

}  // namespace tfe::serve
