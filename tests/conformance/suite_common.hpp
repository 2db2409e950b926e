// tests/conformance/suite_common.hpp: what every part of the conformance suite shares: the protocol
// under test (TFE_CONFORMANCE_PROTOCOL), short names, and the per-test setup macro.
#pragma once

#ifndef TFE_CONFORMANCE_PROTOCOL
#error "define TFE_CONFORMANCE_PROTOCOL (e.g. tfe::plain<tfe::ring64>) before including conformance/suite.hpp"
#endif

#include "harness.hpp"

#define TFE_CONFORMANCE_STR2(x) #x
#define TFE_CONFORMANCE_STR(x) TFE_CONFORMANCE_STR2(x)
/// Name of the doctest suite: "conformance tfe::plain<tfe::ring64>" (filter with -ts).
#define TFE_CONFORMANCE_SUITE_NAME "conformance " TFE_CONFORMANCE_STR(TFE_CONFORMANCE_PROTOCOL)

namespace tfe_conformance_suite {

using P = TFE_CONFORMANCE_PROTOCOL;
using namespace tfe_conformance;
using priv = tfe::private_tensor<P>;
using pub = tfe::public_tensor<P>;
using privs = std::vector<priv>;
using ctx = io<P>;

}  // namespace tfe_conformance_suite

/// Per-test setup: the fixed-point model `m` of P's ring and the test-data generator `g`, seeded from
/// `name` (the seed is printed with every failing check).
#define TFE_CONFORMANCE_SETUP(name)                                       \
  const ::tfe_conformance::fixed_model m = ::tfe_conformance::model<P>(); \
  ::tfe_conformance::data_gen g((name), m);                               \
  INFO("protocol " TFE_CONFORMANCE_STR(TFE_CONFORMANCE_PROTOCOL) ", test-data seed ", g.seed())
