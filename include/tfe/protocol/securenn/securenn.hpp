// tfe/protocol/securenn/securenn.hpp: SecureNN (Wagh, Gupta, Chandran, "SecureNN: 3-Party Secure
// Computation for Neural Network Training", PoPETs 2019) on Pond's shares.
//
// Players (by position): 0 and 1 are the servers holding 2-out-of-2 additive shares over Z_L, exactly
// Pond's; 2 is SecureNN's helper (P2), which deals correlated randomness (Beaver triples as Pond's
// crypto producer does, and the shares of ShareConvert / ComputeMSB) and takes part in
// PrivateCompare; every further player is an input/output player. Semi-honest, non-colluding.
//
// securenn<R> derives from pond<R>: sharing, reveals, products (Beaver), masked operands and
// truncation are Pond's code unchanged (their hooks are templates over the session type, so they run
// with session<securenn<R>>). Only the nonlinear primitives differ:
//   sign_bit  = 1 − DReLU at the values' width k (drelu.hpp's masked DReLU: ShareConvert's masked
//               opening to the helper, then PrivateCompare (private_compare.hpp, with the random
//               permutation, a rotation per element) on the low k − 1 bits). The paper's DReLU
//               (ShareConvert (share_convert.hpp) + ComputeMSB (compute_msb.hpp), Algorithm 7) is
//               kept and tested, but compares all ℓ bits twice: 4.2× the bytes at k = 32.
//   zero_bit  = DReLU(x)·DReLU(−x).
// relu, comparisons, maximum, max/argmax and max_pool2d come from ops/nonlinear.hpp on top of these,
// and the max-pool derivative from ops/pool_grad.hpp.
//
// Costs against the paper's Table 1 (bits per element summed over all players, log p counted as 8
// bits as the values travel one per byte; latency in message hops on the critical path, which is what
// the paper's "rounds" count). Measured and asserted by tests/test_securenn_costs.cpp
// (build it and run `test_securenn_costs -s` to print the table; the per-player bytes, messages and
// rounds of every op are derived in the headers named, and written as code in securenn/costs.hpp):
//
//   op (ring64, ℓ = 64)           here: bits / hops     paper: bits / rounds     header
//   PrivateCompare (k = ℓ)        1024 / 1              2ℓ·log p = 1024 / 1      private_compare.hpp
//   ShareConvert                  1792 / 4              4ℓ·log p + 6ℓ = 2432 / 4  share_convert.hpp
//   ComputeMSB                    2176 / 5              4ℓ·log p + 13ℓ = 2880 / 5 compute_msb.hpp
//   DReLU (Algorithm 7)           3968 / 8              8ℓ·log p + 19ℓ = 5312 / 8 drelu.hpp
//   masked DReLU, k = 32 (sign_bit) 936 / 4             (not in the paper)       drelu.hpp
//   ReLU = masked DReLU + product 1256 / 5              8ℓ·log p + 24ℓ = 5632 / 10
//   masked DReLU, k = ℓ           1704 / 4              (not in the paper)       drelu.hpp
//   max over K values (max_pool)  (K−1)·1280 / 5·⌈log2 K⌉   (K−1)(8ℓ·log p + 29ℓ) / 9(K−1)
//     (the differences have k + 1 = 33 bits)
//   ring128: the paper's DReLU doubles (p = 131 still fits a byte): 7936 / 8; the masked DReLU at
//   k = 64 (the ring128 preset's width) 3·128 + 3·63·8 = 1896 / 4.
// Why the bits are lower: the helper deals with seed compression (server 0's shares come from the
// PRG stream it shares with the helper; the paper sends both shares), and the ops' sign test compares
// the values' k bits once (the masked DReLU) where the paper's DReLU compares all ℓ bits twice. Why
// the hops are lower: the masked DReLU takes 4 hops (the paper's 8), and Pond's product takes its
// triple from the helper in the same hop as the DReLU's last message, where the paper counts 2 rounds
// for SelectShare. Max pooling uses a tournament (⌈log2 K⌉ levels of one DReLU and one product over
// all the level's pairs) instead of the paper's linear scan: the same K − 1 comparisons, 5⌈log2 K⌉
// hops instead of 9(K − 1) (2x2: 10 against 27; 3x3: 20 against 72). Per server and value, relu on
// ring64 costs 55 bytes sent (Pond: ≈ 38; with the paper's DReLU 176).
//
// Speed (issue 18). The nonlinear kernels work on whole tensors, a block of 1024 elements at a time
// (bit_shares.hpp): PrivateCompare's Z_p arithmetic is byte arithmetic without division (zp_const),
// one pass per bit position over the block, vectorized by the compiler; the permutation is a uniform
// rotation per element applied as a barrel shifter (private_compare.hpp proves the helper's view is
// the same as under a uniform permutation); Z_p values come 4 per 32-bit draw of the AES-CTR stream
// (sample_below, exact); server 0 draws its bit shares block by block and server 1 keeps the received
// frame; messages are written into and read from the channel's frames without copies. ReLU on 10^6
// values went from 7.5–9 s to about 0.35–0.5 s on the 2-core benchmark machine, and to 0.12 s with
// the masked DReLU, which cut the volume from the paper's 536 bytes per value over the three players
// to 157 (docs/benchmarks.md; Pond 111, ABY3 70).
#pragma once

#include "tfe/protocol/pond/pond.hpp"
#include "tfe/protocol/protocol.hpp"
#include "tfe/protocol/securenn/costs.hpp"
#include "tfe/protocol/securenn/drelu.hpp"
#include "tfe/ring/tensor_ops.hpp"

#include <string>
#include <vector>

namespace tfe {

template <class R>
struct securenn : pond<R> {
  static_assert(securenn_detail::builtin_ring<R>, "securenn is implemented for ring64 and ring128");
  using base = pond<R>;
  using typename base::parts_type;
  using session_type = session<securenn>;
  static constexpr std::size_t helper = securenn_detail::helper;

  static std::string name() { return "securenn<" + ring_traits<R>::name() + ">"; }
  static std::string roles() { return "server0, server1, helper, then input/output players"; }
  static std::vector<std::string> default_players() { return {"server0", "server1", "helper"}; }
  using cost_model = securenn_costs<R>;  // bytes, messages, rounds and hops per op (securenn/costs.hpp)

  /// Shares of [x < 0] as integers 0/1 for x in the width-bit range: 1 − DReLU(x).
  /// Cost: drelu.hpp (the masked DReLU at that width; securenn_costs::sign).
  template <class S>
  static parts_type sign_bit(S& s, const parts_type& x, const shape_t& shape, unsigned width) {
    if (s.id() > helper) return {};
    auto scope = s.op_scope("securenn_sign");
    const ring_tensor<R>* a = s.id() < 2 ? &x.at(0) : nullptr;
    auto d = securenn_detail::drelu_masked<R>(s, a, shape, width);
    if (s.id() == helper) return {};
    const R j = s.id() == 0 ? R(1) : R(0);
    ring_tensor<R> out(shape);
    for (std::size_t e = 0; e < out.size(); ++e) out.data()[e] = static_cast<R>(j - d.data()[e]);
    return moved_parts(std::move(out));
  }

  /// Shares of [x = 0] = DReLU(x)·DReLU(−x): one DReLU over (x, −x) and one Beaver product.
  template <class S>
  static parts_type zero_bit(S& s, const parts_type& x, const shape_t& shape, unsigned width) {
    if (s.id() > helper) return {};
    auto scope = s.op_scope("securenn_is_zero");
    const std::size_t n = shape_size(shape);
    const shape_t flat{n}, both{2 * n};
    ring_tensor<R> xx;
    if (s.id() < 2) {
      xx = ring_tensor<R>(both);
      const ring_tensor<R>& v = x.at(0);
      for (std::size_t e = 0; e < n; ++e) {
        xx.data()[e] = v.data()[e];
        xx.data()[n + e] = static_cast<R>(R(0) - v.data()[e]);
      }
    }
    auto d = securenn_detail::drelu_masked<R>(s, s.id() < 2 ? &xx : nullptr, both, width);
    parts_type pos, neg;
    if (s.id() < 2) {
      ring_tensor<R> p(flat), q(flat);
      for (std::size_t e = 0; e < n; ++e) {
        p.data()[e] = d.data()[e];
        q.data()[e] = d.data()[n + e];
      }
      pos.push_back(std::move(p));
      neg.push_back(std::move(q));
    }
    auto z = base::bilinear(s, pos, neg, flat, flat, flat,
                            [](const ring_tensor<R>& u, const ring_tensor<R>& v) { return ring_tensor<R>(u * v); });
    if (s.id() == helper) return {};
    z.at(0).reshape(shape);
    return z;
  }
};

static_assert(protocol<securenn<ring64>> && protocol<securenn<ring128>>);

}  // namespace tfe
