// tests/expect_error.hpp: the message of the exception a test expects, for checks on what it names.
#pragma once

#include <doctest/doctest.h>

#include <string>

namespace tfe_test {

/// The message of the E thrown by f; a missing exception fails the test, another type propagates.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception was thrown");
  return {};
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace tfe_test
