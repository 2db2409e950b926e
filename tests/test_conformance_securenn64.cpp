// tests/test_conformance_securenn64.cpp: the conformance suite over securenn<ring64>.
#define TFE_CONFORMANCE_PROTOCOL tfe::securenn<tfe::ring64>
#define TFE_CONFORMANCE_NAMESPACE conformance_securenn64
#include "conformance/suite.hpp"
