// RunSubprocess on Windows (subprocess-win32.cpp), through real children of
// cmd.exe, the one program every Windows (and Wine) has. The Linux file
// (subprocess_test-posix.cpp) checks signals, rlimits and /proc, which have
// no Windows counterpart.
#include "subprocess.h"

#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "platform.h"
#include "test_support.h"

using namespace vidkeep;
using namespace std::chrono_literals;

namespace {

std::string CmdExe() {
  const char* root = std::getenv("SystemRoot");
  return std::string(root && *root ? root : "C:\\windows") + "\\system32\\cmd.exe";
}

SubprocessOptions Cmd(const std::string& script) {
  SubprocessOptions o;
  o.argv = {CmdExe(), "/d", "/v:on", "/c", script};
  o.timeout = 20s;
  return o;
}

}  // namespace

TEST_CASE("subprocess (Windows): exit codes come back as they were") {
  auto ok = RunSubprocess(Cmd("exit 0"));
  REQUIRE(ok.ok());
  CHECK(ok->exit_code == 0);
  CHECK(ok->signal == 0);
  auto three = RunSubprocess(Cmd("exit 3"));
  REQUIRE(three.ok());
  CHECK(three->exit_code == 3);
  CHECK_FALSE(three->killed);
  CHECK_FALSE(three->timed_out);
}

TEST_CASE("subprocess (Windows): stdout and stderr are captured apart, each up to the cap") {
  auto r = RunSubprocess(Cmd("echo out&echo err>&2"));
  REQUIRE(r.ok());
  CHECK(r->out == "out\r\n");
  CHECK(r->err == "err\r\n");
  auto capped = Cmd("echo 0123456789");
  capped.output_cap = 4;
  auto c = RunSubprocess(capped);
  REQUIRE(c.ok());
  CHECK(c->out == "0123");
  auto no_err = Cmd("echo err>&2");
  no_err.capture_stderr = false;
  auto n = RunSubprocess(no_err);
  REQUIRE(n.ok());
  CHECK(n->err.empty());
}

TEST_CASE("subprocess (Windows): input reaches the child's stdin, then its end") {
  auto o = Cmd("set /p LINE=&echo got:!LINE!");
  o.input = "hello\r\n";
  auto r = RunSubprocess(o);
  REQUIRE(r.ok());
  CHECK(r->out == "got:hello\r\n");
  CHECK(r->input_written);
}

TEST_CASE("subprocess (Windows): at the deadline the child is killed") {
  // An endless loop in cmd itself (step 0).
  auto o = Cmd("for /l %i in (1,0,2) do @rem");
  o.timeout = 1500ms;
  auto r = RunSubprocess(o);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->killed);
  CHECK(r->exit_code == -1);
  CHECK(r->signal == 9);
}

TEST_CASE("subprocess (Windows): on_output ends the reading; the child then has exit_grace") {
  auto o = Cmd("echo ready&for /l %i in (1,0,2) do @rem");
  o.exit_grace = 500ms;
  o.on_output = [](std::string_view piece) { return piece.find("ready") != std::string_view::npos; };
  auto r = RunSubprocess(o);
  REQUIRE(r.ok());
  CHECK_FALSE(r->timed_out);
  CHECK(r->killed);  // it did not exit within the grace
  CHECK(r->out.starts_with("ready"));
}

TEST_CASE("subprocess (Windows): the environment is exactly the given one, or ours when none is given") {
  SetEnv("VIDKEEP_SUBPROCESS_TEST", "inherited");
  auto ours = RunSubprocess(Cmd("echo [%VIDKEEP_SUBPROCESS_TEST%]"));
  REQUIRE(ours.ok());
  CHECK(ours->out == "[inherited]\r\n");
  auto given = Cmd("echo [%VIDKEEP_SUBPROCESS_TEST%][%ONLY%]");
  const char* root = std::getenv("SystemRoot");
  given.env = std::vector<std::string>{"ONLY=this", std::string("SystemRoot=") + (root ? root : "C:\\windows")};
  auto r = RunSubprocess(given);
  UnsetEnv("VIDKEEP_SUBPROCESS_TEST");
  REQUIRE(r.ok());
  CHECK(r->out == "[%VIDKEEP_SUBPROCESS_TEST%][this]\r\n");
}

TEST_CASE("subprocess (Windows): the working directory is the given one") {
  const std::string dir = test::MakeTempDir("/tmp/vidkeep-subprocess-XXXXXX");
  auto o = Cmd("cd");
  o.working_dir = dir;
  auto r = RunSubprocess(o);
  REQUIRE(r.ok());
  CHECK(FsPath(r->out.substr(0, r->out.find('\r'))) == FsPath(dir).make_preferred());
  std::filesystem::remove(FsPath(dir));
}

TEST_CASE("subprocess (Windows): a missing program and a missing folder are errors") {
  SubprocessOptions missing;
  missing.argv = {"C:\\no\\such\\program.exe"};
  auto r = RunSubprocess(missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().starts_with("cannot run C:\\no\\such\\program.exe: "));
  auto o = Cmd("exit 0");
  o.working_dir = "C:\\no\\such\\folder";
  auto w = RunSubprocess(o);
  REQUIRE_FALSE(w.ok());
  CHECK(w.status().message().find(" in C:\\no\\such\\folder: ") != std::string::npos);
}
