// tfe/runtime/public_json.hpp: a JSON document that one player makes public — the owner computes it,
// sends it to every other player, and every player gets it parsed (a model's architecture or graph:
// keras::share_model, graph::share_model).
#pragma once

#include "tfe/session.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tfe {

/// make() runs at `owner` only; its document reaches every player, inside op scope `scope`. A peer's
/// bytes that do not parse throw protocol_error naming `what` and the owner.
template <class P, class F>
nlohmann::json share_public_json(session<P>& s, const std::string& owner, const char* scope, const std::string& what,
                                 F&& make) {
  const std::size_t o = s.id_of(owner);
  std::string text;
  {
    auto op = s.op_scope(scope);
    if (s.id() == o) {
      text = nlohmann::json(make()).dump();
      const std::vector<std::uint8_t> bytes(text.begin(), text.end());
      for (std::size_t p = 0; p < s.num_players(); ++p)
        if (p != o) s.net().send_bytes(p, bytes);
    } else {
      auto bytes = s.net().recv_bytes(o);
      text.assign(bytes.begin(), bytes.end());
    }
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw protocol_error("the " + what + " from '" + owner + "' is not valid JSON (" + e.what() + ")");
  }
}

}  // namespace tfe
