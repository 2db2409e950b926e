// tests/test_conformance_plain128.cpp: the conformance suite over plain<ring128>.
#define TFE_CONFORMANCE_PROTOCOL tfe::plain<tfe::ring128>
#define TFE_CONFORMANCE_NAMESPACE conformance_plain128
#include "conformance/suite.hpp"
