// tests/test_conformance_aby3_64.cpp: the conformance suite over aby3<ring64>.
#define TFE_CONFORMANCE_PROTOCOL tfe::aby3<tfe::ring64>
#define TFE_CONFORMANCE_NAMESPACE conformance_aby3_64
#include "conformance/suite.hpp"
