// tests/test_conformance_securenn128.cpp: the conformance suite over securenn<ring128>.
#define TFE_CONFORMANCE_PROTOCOL tfe::securenn<tfe::ring128>
#define TFE_CONFORMANCE_NAMESPACE conformance_securenn128
#include "conformance/suite.hpp"
