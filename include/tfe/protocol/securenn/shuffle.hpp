// tfe/protocol/securenn/shuffle.hpp: the shuffle capability (protocol/shuffle.hpp) of SecureNN:
// Pond's (pond/shuffle.hpp: the same shares, the helper in the dealer's place).
#pragma once

#include "tfe/protocol/pond/shuffle.hpp"
#include "tfe/protocol/securenn/securenn.hpp"

namespace tfe {

template <class R>
struct shuffle_hooks<securenn<R>> : two_server_shuffle<securenn<R>> {};

}  // namespace tfe
