// tests/test_conformance_aby3_128.cpp: the conformance suite over aby3<ring128>.
#define TFE_CONFORMANCE_PROTOCOL tfe::aby3<tfe::ring128>
#define TFE_CONFORMANCE_NAMESPACE conformance_aby3_128
#include "conformance/suite.hpp"
