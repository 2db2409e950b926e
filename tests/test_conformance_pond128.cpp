// tests/test_conformance_pond128.cpp: the conformance suite over pond<ring128>.
#define TFE_CONFORMANCE_PROTOCOL tfe::pond<tfe::ring128>
#define TFE_CONFORMANCE_NAMESPACE conformance_pond128
#include "conformance/suite.hpp"
