// tfe/tfe.hpp: the core umbrella header: rings, sessions, the protocols, the ops and the in-memory
// runner. Opt-in beside it: tfe/keras.hpp (models, layers, model and dataset files),
// tfe/runtime/launch.hpp (one player per process over TCP/TLS), tfe/runtime/cli.hpp (CLI11) and
// tfe/ring/wide_ring.hpp (rings wider than 128 bits, on Boost.Multiprecision). The header check
// (scripts/check_headers.sh) fails when this header pulls in any of their third-party headers.
#pragma once

#include "tfe/config.hpp"
#include "tfe/crypto/prg.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/net/memory_network.hpp"
#include "tfe/ops/approx.hpp"
#include "tfe/ops/approx_smooth.hpp"
#include "tfe/ops/arithmetic.hpp"
#include "tfe/ops/conv.hpp"
#include "tfe/ops/masked.hpp"
#include "tfe/ops/nonlinear.hpp"
#include "tfe/ops/pool_grad.hpp"
#include "tfe/ops/structure.hpp"
#include "tfe/protocol/aby3/aby3.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/protocol/registry.hpp"
#include "tfe/protocol/securenn/securenn.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/ring_traits.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/runtime/runner.hpp"
#include "tfe/session.hpp"
#include "tfe/tensor.hpp"
