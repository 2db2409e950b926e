// tests/test_conformance_plain64.cpp: the conformance suite over plain<ring64>.
#define TFE_CONFORMANCE_PROTOCOL tfe::plain<tfe::ring64>
#define TFE_CONFORMANCE_NAMESPACE conformance_plain64
#include "conformance/suite.hpp"
