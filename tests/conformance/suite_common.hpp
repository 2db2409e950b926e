// tests/conformance/suite_common.hpp: what every part of the conformance suite shares: the protocol
// under test (TFE_CONFORMANCE_PROTOCOL), short names, and the per-test setup macro.
#ifndef TFE_CONFORMANCE_COMMON_DONE  // not #pragma once: suite.hpp forgets it, for the next protocol of the unit
#define TFE_CONFORMANCE_COMMON_DONE

#ifndef TFE_CONFORMANCE_PROTOCOL
#error "define TFE_CONFORMANCE_PROTOCOL (e.g. tfe::plain<tfe::ring64>) before including conformance/suite.hpp"
#endif

#include "harness.hpp"

/// The namespace of this protocol's instantiation: a unit that instantiates the suite for several
/// protocols (a test bundle) names one per protocol.
#ifndef TFE_CONFORMANCE_NAMESPACE
#define TFE_CONFORMANCE_NAMESPACE tfe_conformance_suite
#endif

#ifndef TFE_CONFORMANCE_STR
#define TFE_CONFORMANCE_STR2(x) #x
#define TFE_CONFORMANCE_STR(x) TFE_CONFORMANCE_STR2(x)
#endif
/// Name of the doctest suite: "conformance tfe::plain<tfe::ring64>" (filter with -ts).
#define TFE_CONFORMANCE_SUITE_NAME "conformance " TFE_CONFORMANCE_STR(TFE_CONFORMANCE_PROTOCOL)
/// A test case of the suite, named after the protocol too ("tfe::plain<tfe::ring64>: add and sub: ..."):
/// doctest keeps one of the test cases with the same file, line and name, and a unit may instantiate
/// the suite for several protocols.
#define TFE_CONFORMANCE_CASE(name) TEST_CASE(TFE_CONFORMANCE_STR(TFE_CONFORMANCE_PROTOCOL) ": " name)

namespace TFE_CONFORMANCE_NAMESPACE {

using P = TFE_CONFORMANCE_PROTOCOL;
using namespace tfe_conformance;
using priv = tfe::private_tensor<P>;
using pub = tfe::public_tensor<P>;
using privs = std::vector<priv>;
using ctx = io<P>;

}  // namespace TFE_CONFORMANCE_NAMESPACE

/// Per-test setup: the fixed-point model `m` of P's ring and the test-data generator `g`, seeded from
/// `name` (the seed is printed with every failing check).
#define TFE_CONFORMANCE_SETUP(name)                                       \
  const ::tfe_conformance::fixed_model m = ::tfe_conformance::model<P>(); \
  ::tfe_conformance::data_gen g((name), m);                               \
  INFO("protocol " TFE_CONFORMANCE_STR(TFE_CONFORMANCE_PROTOCOL) ", test-data seed ", g.seed())

#endif  // TFE_CONFORMANCE_COMMON_DONE
