// tfe/protocol/plain/shuffle.hpp: the shuffle capability (protocol/shuffle.hpp) of the plaintext
// reference: player 0, the trusted party, permutes the rows with a uniformly random permutation from
// its private stream and is the only "server" a value is revealed to. No communication.
#pragma once

#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/shuffle.hpp"

#include <optional>

namespace tfe {

template <class R>
struct shuffle_hooks<plain<R>> {
  using P = plain<R>;
  using parts_type = typename P::parts_type;

  static parts_type shuffle_rows(session<P>& s, const parts_type& x, const shape_t& shape) {
    if (!P::holds_value(s)) return {};
    TFE_ENFORCE(!shape.empty(), shape_error, "shuffle of a 0-d tensor: rows are needed");
    const auto perm = shuffle_detail::random_permutation(s.private_prg(), shape[0]);
    return moved_parts(shuffle_detail::gather_rows(x.at(0), perm));
  }

  static bool participates(const session<P>& s) { return P::holds_value(s); }
  static std::size_t announce_count(session<P>&, std::size_t count) { return count; }

  static std::optional<ring_tensor<R>> reveal_to_servers(session<P>& s, const parts_type& x, const shape_t&) {
    if (!P::holds_value(s)) return std::nullopt;
    return x.at(0);
  }
};

}  // namespace tfe
