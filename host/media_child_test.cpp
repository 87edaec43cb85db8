// The media child's sandbox (issue 13, finding 7): a scrubbed environment and
// kernel limits set before exec, seen from inside a real child process.
#include "media_child.h"
#include "platform.h"

#include <cstdlib>
#include <sstream>

#include <catch2/catch.hpp>

using namespace vidkeep;

namespace {
// The soft limit of one row of /proc/self/limits ("Max cpu time  20  20  seconds").
std::string LimitOf(const std::string& limits, const std::string& row) {
  std::istringstream in(limits);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(row, 0) == 0) {
      std::istringstream fields(line.substr(26));
      std::string soft;
      fields >> soft;
      return soft;
    }
  return "?";
}
}  // namespace

TEST_CASE("the media child's environment keeps the locale and drops VIDKEEP_TOKEN and credentials") {
  const std::vector<std::string> env = {
      "VIDKEEP_TOKEN=admin-secret", "LANG=de_DE.UTF-8", "LC_ALL=C.UTF-8",
      "HOME=/home/me", "PATH=/home/me/bin:/usr/bin", "HTTPS_PROXY=http://u:p@proxy:3128",
      "VIDKEEP_HOME=/x", "TZ=UTC", "AWS_SECRET_ACCESS_KEY=k", "LD_PRELOAD=/tmp/evil.so"};
  CHECK(ChildEnvironment(env) ==
        std::vector<std::string>{"PATH=/usr/bin:/bin", "LANG=de_DE.UTF-8", "LC_ALL=C.UTF-8", "TZ=UTC"});
}

TEST_CASE("a real child sees no VIDKEEP_TOKEN and runs under CPU, address-space, file-size and core limits (Linux: /bin/sh, /proc/self/limits)", "[posix]") {
  SetEnv("VIDKEEP_TOKEN", "admin-secret");
  auto run = RunSandboxed("/bin/sh", {"-c", "echo \"token=${VIDKEEP_TOKEN-unset}\"; cat /proc/self/limits"},
                          std::chrono::seconds(10), ChildLimits{7, 1UL << 30, 32UL << 20});
  UnsetEnv("VIDKEEP_TOKEN");
  REQUIRE(run.ok());
  CHECK(run->exit_code == 0);
  CHECK(run->out.rfind("token=unset\n", 0) == 0);
  CHECK(LimitOf(run->out, "Max cpu time") == "7");
  CHECK(LimitOf(run->out, "Max file size") == std::to_string(32UL << 20));
  CHECK(LimitOf(run->out, "Max core file size") == "0");
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(LimitOf(run->out, "Max address space") == std::to_string(1UL << 30));
#endif
}

TEST_CASE("a child writing past the file-size limit is stopped, and a missing program is an error (Linux: RLIMIT_FSIZE; Windows has no file-size limit)", "[posix]") {
  const std::string file = "vidkeep_test_fsize.bin";
  auto big = RunSandboxed("/bin/sh", {"-c", "exec head -c 200000 /dev/zero > " + file},
                          std::chrono::seconds(10), ChildLimits{7, 1UL << 30, 65536});
  std::remove(file.c_str());
  REQUIRE_FALSE(big.ok());  // killed by SIGXFSZ: "crashed"
  CHECK(big.status().message().find("crashed") != std::string::npos);
  auto missing = RunSandboxed("/nonexistent/tool", {}, std::chrono::seconds(5), ChildLimits{});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("No such file") != std::string::npos);
}
