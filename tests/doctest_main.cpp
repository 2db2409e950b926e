// doctest's main(), compiled once (object library tfe_doctest_main) and linked into every test.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
