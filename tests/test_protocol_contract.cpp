// tests/test_protocol_contract.cpp: the protocol concept accepts every registered protocol and
// rejects a type missing a hook; the registry maps every name to its type and refuses unknown names.
#include <doctest/doctest.h>

#include "tfe/protocol/registry.hpp"

#include <string>
#include <vector>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_protocol_contract {

namespace {

/// Everything of plain<ring64> except the product hooks: not a protocol.
struct no_products {
  using ring = tfe::ring64;
  using state = tfe::plain<ring>::state;
  struct mask_type {};
  static constexpr std::size_t min_players = 1;
  static std::string name() { return "no_products"; }
  static std::string roles() { return "anyone"; }
  static std::vector<std::string> default_players() { return {"p0"}; }
};

static_assert(tfe::protocol<tfe::plain<tfe::ring64>> && tfe::protocol<tfe::plain<tfe::ring128>>);
static_assert(tfe::protocol<tfe::pond<tfe::ring64>> && tfe::protocol<tfe::securenn<tfe::ring128>>);
static_assert(tfe::protocol<tfe::aby3<tfe::ring64>> && tfe::protocol<tfe::aby3<tfe::ring128>>);
static_assert(!tfe::protocol<no_products>);
static_assert(!tfe::protocol<int>);
// The optional fused product-and-truncation hook: ABY3 has it, the Beaver protocols do not.
static_assert(tfe::fused_truncation<tfe::aby3<tfe::ring64>>);
static_assert(!tfe::fused_truncation<tfe::pond<tfe::ring64>> && !tfe::fused_truncation<tfe::plain<tfe::ring64>>);

}  // namespace

TEST_CASE("with_protocol: every registered name calls f with its protocol type") {
  const std::vector<std::string> names = tfe::protocol_names();
  REQUIRE(names.size() == 8);
  const std::vector<std::string> expected = {"plain<ring64>",    "plain<ring128>",    "pond<ring64>", "pond<ring128>",
                                             "securenn<ring64>", "securenn<ring128>", "aby3<ring64>", "aby3<ring128>"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i]);
    CHECK(tfe::with_protocol(names[i], []<class P>() { return P::name(); }) == expected[i]);
    int calls = 0;
    tfe::with_protocol(names[i], [&]<class P>() { ++calls; });  // the void form
    CHECK(calls == 1);
  }
}

TEST_CASE("with_protocol: an unknown name is a config_error listing the known ones") {
  try {
    tfe::with_protocol("spdz", []<class P>() { return 0; });
    FAIL("no exception");
  } catch (const tfe::config_error& e) {
    const std::string m = e.what();
    CHECK(m.find("unknown protocol 'spdz'") != std::string::npos);
    CHECK(m.find("aby3_128") != std::string::npos);
  }
}

}  // namespace test_protocol_contract
