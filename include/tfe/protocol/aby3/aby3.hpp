// tfe/protocol/aby3/aby3.hpp: ABY3 (Mohassel & Rindal, CCS 2018): three servers with replicated
// arithmetic and boolean shares, semi-honest, honest majority, no dealer. The umbrella header:
//
//   arithmetic.hpp    tfe::aby3<R> (R = ring64, ring128): the protocol hooks (roles, setup, inputs,
//                     reveals, 1-round products with fused truncation, truncation) and their costs
//   compare.hpp       sign_bit / zero_bit: bit-sliced sign and zero tests, ≤ log2(ℓ) + 2 rounds
//   boolean.hpp       tfe::aby3_ops::boolean_tensor<R>: XOR-replicated words, xor/and/or/not/shifts
//   conversions.hpp   tfe::aby3_ops: add (Kogge–Stone), a2b, b2a, bit_to_arith, bit_inject, msb
//
// Players: server0, server1, server2 (default_players()), then any input/output players.
// Costs per server (ring64, n values; bytes are payload bytes, see net/statistics.hpp):
//   x * y, matmul, conv2d          1 round, one ring element per output element (truncation fused)
//   relu (fixed-point range)       8 rounds, ≤ 25.2 bytes per value (sign 7 rounds ≤ 17.2 bytes)
//   less / maximum sign test       7 rounds, ≤ 17.4 bytes per value
// Everything else in tfe/ops/ (comparisons, select, max, argmax, max_pool2d, sigmoid) runs on these.
#pragma once

#include "tfe/protocol/aby3/arithmetic.hpp"
#include "tfe/protocol/aby3/boolean.hpp"
#include "tfe/protocol/aby3/compare.hpp"
#include "tfe/protocol/aby3/conversions.hpp"
#include "tfe/protocol/protocol.hpp"

namespace tfe {

static_assert(protocol<aby3<ring64>> && protocol<aby3<ring128>>);

}  // namespace tfe
