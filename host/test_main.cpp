#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

// VIDKEEP_DEFAULT_TEST_SPEC (set by host/CMakeLists.txt on Windows: "~[posix]")
// applies when no test is named on the command line.
int main(int argc, char** argv) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
#ifdef VIDKEEP_DEFAULT_TEST_SPEC
  if (session.configData().testsOrTags.empty()) {
    session.configData().testsOrTags.push_back(VIDKEEP_DEFAULT_TEST_SPEC);
    session.useConfigData(session.configData());
  }
#endif
  return session.run();
}
