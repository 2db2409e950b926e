// tests/conformance/suite.hpp: the protocol conformance suite, written once for every protocol × ring.
//
// Instantiate it in a test file of its own:
//   #define TFE_CONFORMANCE_PROTOCOL tfe::plain<tfe::ring64>
//   #define TFE_CONFORMANCE_NAMESPACE conformance_plain64  // optional; one per protocol in one unit
//   #include "conformance/suite.hpp"
// The header forgets both macros and its parts' include guards at its end, so that one unit can
// instantiate it for several protocols (the conformance bundles of TFE_UNITY_BUILD, tests/CMakeLists.txt).
// Each part can also be instantiated alone (conformance/suite_arith.hpp, suite_struct.hpp,
// suite_nonlinear.hpp, suite_errors.hpp) to keep one translation unit's compile time down.
//
// Every op of the public API is run under run_local<P> with private inputs from "alice" and "bob"
// and outputs revealed to alice, and compared against a double-precision reference with a tolerance
// derived from the fixed-point math (see harness.hpp for the error model). Exact ops (comparisons,
// ReLU, max, argmax, structural ops) must match exactly up to the encoding of their inputs.

#ifndef TFE_CONFORMANCE_PROTOCOL
#error "define TFE_CONFORMANCE_PROTOCOL (e.g. tfe::plain<tfe::ring64>) before including conformance/suite.hpp"
#endif

#include "suite_arith.hpp"
#include "suite_errors.hpp"
#include "suite_nonlinear.hpp"
#include "suite_struct.hpp"

#undef TFE_CONFORMANCE_PROTOCOL
#undef TFE_CONFORMANCE_NAMESPACE
#undef TFE_CONFORMANCE_COMMON_DONE
#undef TFE_CONFORMANCE_ARITH_DONE
#undef TFE_CONFORMANCE_ERRORS_DONE
#undef TFE_CONFORMANCE_NONLINEAR_DONE
#undef TFE_CONFORMANCE_STRUCT_DONE
