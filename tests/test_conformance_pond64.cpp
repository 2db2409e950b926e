// tests/test_conformance_pond64.cpp: the conformance suite over pond<ring64>.
#define TFE_CONFORMANCE_PROTOCOL tfe::pond<tfe::ring64>
#define TFE_CONFORMANCE_NAMESPACE conformance_pond64
#include "conformance/suite.hpp"
