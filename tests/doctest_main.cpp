// doctest's main(), compiled once (object library tfe_doctest_main) and linked into every test.
// A run in which no test case matched the filters fails: a test bundle's ctest tests select their
// file's test cases with --source-file (tests/CMakeLists.txt, TFE_UNITY_BUILD), and a filter that
// matches nothing (a renamed file, a typo) must not pass as a test that ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

namespace {

/// Records how many test cases passed the filters (doctest reports it at the end of the run).
struct matched_cases : doctest::IReporter {
  static inline unsigned count = 0;
  static inline bool ran = false;
  explicit matched_cases(const doctest::ContextOptions& /*options*/) {}
  void report_query(const doctest::QueryData& /*data*/) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    ran = true;
    count = stats.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData& /*data*/) override {}
  void test_case_reenter(const doctest::TestCaseData& /*data*/) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& /*stats*/) override {}
  void test_case_exception(const doctest::TestCaseException& /*e*/) override {}
  void subcase_start(const doctest::SubcaseSignature& /*signature*/) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& /*data*/) override {}
  void log_message(const doctest::MessageData& /*data*/) override {}
  void test_case_skipped(const doctest::TestCaseData& /*data*/) override {}
};
REGISTER_LISTENER("matched_cases", 1, matched_cases);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int rc = context.run();
  if (context.shouldExit()) return rc;  // --help, --list-test-cases, ...
  if (matched_cases::ran && matched_cases::count == 0) {
    std::cerr << "doctest_main: no test case matched the filters (";
    for (int i = 1; i < argc; ++i) std::cerr << (i > 1 ? " " : "") << argv[i];
    std::cerr << "): nothing was tested\n";
    return rc == 0 ? 1 : rc;
  }
  return rc;
}
