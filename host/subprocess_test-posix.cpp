// RunSubprocess (issue 16, item 4), through real child processes: what both
// `vidkeep doctor`'s hello round trip and the media sandbox rely on.
#include "subprocess.h"
#include "platform.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

using namespace vidkeep;
using namespace std::chrono_literals;

namespace {

SubprocessOptions Shell(const std::string& script) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.timeout = 10s;
  return o;
}

// True once `pid` is gone or a zombie (killed, not yet reaped by init);
// waits at most 5 s for the kernel to finish a SIGKILL.
bool Dead(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto paren = line.rfind(')');
    if (paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z') return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST_CASE("subprocess: exit codes and signals come back as they were") {
  auto ok = RunSubprocess(Shell("exit 0"));
  REQUIRE(ok.ok());
  CHECK(ok->exit_code == 0);
  CHECK(ok->signal == 0);
  auto three = RunSubprocess(Shell("exit 3"));
  REQUIRE(three.ok());
  CHECK(three->exit_code == 3);
  auto segv = RunSubprocess(Shell("kill -SEGV $$"));
  REQUIRE(segv.ok());
  CHECK(segv->exit_code == -1);
  CHECK(segv->signal == SIGSEGV);
  CHECK_FALSE(segv->killed);
  CHECK_FALSE(segv->timed_out);
}

TEST_CASE("subprocess: stdout and stderr are captured apart, each up to the cap, and the child never blocks") {
  auto both = RunSubprocess(Shell("echo out; echo err >&2"));
  REQUIRE(both.ok());
  CHECK(both->out == "out\n");
  CHECK(both->err == "err\n");

  // 200 kB through a 1000-byte cap: the rest is read and dropped, the child
  // finishes (a full pipe would have hung it until the 10 s timeout).
  auto capped = Shell("head -c 200000 /dev/zero; head -c 3000 /dev/zero >&2; echo done >&2");
  capped.output_cap = 1000;
  auto r = RunSubprocess(capped);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK_FALSE(r->timed_out);
  CHECK(r->out == std::string(1000, '\0'));
  CHECK(r->err.size() == 1000);

  auto quiet = Shell("echo hidden >&2");
  quiet.capture_stderr = false;
  auto q = RunSubprocess(quiet);
  REQUIRE(q.ok());
  CHECK(q->err.empty());
}

TEST_CASE("subprocess: input bigger than a pipe goes in while the output comes out") {
  SubprocessOptions cat;
  cat.argv = {"/bin/cat"};
  cat.timeout = 10s;
  cat.input = std::string(1 << 20, 'x');
  cat.input->append("end");
  cat.output_cap = 2 << 20;
  auto r = RunSubprocess(cat);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->input_written);
  CHECK(r->out == *cat.input);

  // No input: stdin is /dev/null, so a reader sees end of file at once.
  auto none = RunSubprocess(Shell("cat; echo eof"));
  REQUIRE(none.ok());
  CHECK(none->out == "eof\n");
}

TEST_CASE("subprocess: a child that closes its stdin early is input_written false, not our SIGPIPE") {
  auto early = Shell("exec 0<&-; echo closed");
  early.input = std::string(1 << 20, 'x');
  auto r = RunSubprocess(early);  // a SIGPIPE would end this test binary
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->out == "closed\n");
  CHECK_FALSE(r->input_written);
  sigset_t pending;
  sigpending(&pending);
  CHECK_FALSE(sigismember(&pending, SIGPIPE));
}

TEST_CASE("subprocess: input is delivered to a child that exits at once, which runs with SIGPIPE unblocked") {
  // doctor's "a host that exits without answering" (tests/installer/run.sh)
  // read "exited before reading the request" when the child won the race.
  SubprocessOptions quick;  // not through sh: a shell may reset its mask
  quick.argv = {"/bin/grep", "SigBlk", "/proc/self/status"};
  quick.input = std::string(1000, 'x');
  auto r = RunSubprocess(quick);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->input_written);
  // SigBlk is hex, bit N-1 for signal N: SIGPIPE (13) is 0x1000.
  REQUIRE(r->out.rfind("SigBlk:", 0) == 0);
  const unsigned long long blocked = std::stoull(r->out.substr(7), nullptr, 16);
  CHECK((blocked & (1ULL << (SIGPIPE - 1))) == 0);
}

TEST_CASE("subprocess: at the deadline the child is killed, and with own_process_group its children too") {
  const auto start = std::chrono::steady_clock::now();
  auto hung = Shell("exec sleep 30");
  hung.timeout = 300ms;
  auto r = RunSubprocess(hung);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->killed);
  CHECK(r->signal == SIGKILL);
  CHECK(std::chrono::steady_clock::now() - start < 10s);

  // The shell's background sleep holds stdout open; killing the group ends it.
  auto family = Shell("sleep 30 & echo $!; wait");
  family.timeout = 300ms;
  family.own_process_group = true;
  auto f = RunSubprocess(family);
  REQUIRE(f.ok());
  CHECK(f->timed_out);
  REQUIRE_FALSE(f->out.empty());
  const pid_t grandchild = static_cast<pid_t>(std::stol(f->out));
  CHECK(Dead(grandchild));
}

TEST_CASE("subprocess: on_output ends the reading; the child then has exit_grace to exit") {
  auto lingers = Shell("echo ready; exec sleep 30");
  lingers.exit_grace = 200ms;
  std::string seen;
  lingers.on_output = [&](std::string_view piece) {
    seen.append(piece);
    return seen.find("ready\n") != std::string::npos;
  };
  const auto start = std::chrono::steady_clock::now();
  auto r = RunSubprocess(lingers);
  REQUIRE(r.ok());
  CHECK(seen == "ready\n");
  CHECK_FALSE(r->timed_out);
  CHECK(r->killed);
  CHECK(r->signal == SIGKILL);
  CHECK(std::chrono::steady_clock::now() - start < 10s);

  auto exits = Shell("echo ready; exit 4");
  exits.on_output = [](std::string_view) { return true; };
  auto e = RunSubprocess(exits);
  REQUIRE(e.ok());
  CHECK(e->exit_code == 4);
  CHECK_FALSE(e->killed);
}

TEST_CASE("subprocess: the environment is exactly the given one, or ours when none is given") {
  SetEnv("VIDKEEP_TOKEN", "admin-secret");
  SubprocessOptions scrubbed;
  scrubbed.argv = {"/usr/bin/env"};
  scrubbed.env = std::vector<std::string>{"A=1", "LANG=C.UTF-8"};
  auto s = RunSubprocess(scrubbed);
  auto inherited = Shell("echo \"token=${VIDKEEP_TOKEN-unset}\"");
  auto i = RunSubprocess(inherited);
  UnsetEnv("VIDKEEP_TOKEN");
  REQUIRE(s.ok());
  CHECK(s->out == "A=1\nLANG=C.UTF-8\n");
  REQUIRE(i.ok());
  CHECK(i->out == "token=admin-secret\n");
}

TEST_CASE("subprocess: working directory, and only stdin, stdout and stderr are open in the child") {
  auto where = Shell("pwd; ls /proc/self/fd");
  where.working_dir = "/usr";
  auto r = RunSubprocess(where);
  REQUIRE(r.ok());
  // ls's own directory descriptor shows up as 3.
  CHECK(r->out == "/usr\n0\n1\n2\n3\n");
}

TEST_CASE("subprocess: a missing program, a file that is not one and a missing folder are errors") {
  SubprocessOptions missing;
  missing.argv = {"/nonexistent/tool", "--version"};
  auto m = RunSubprocess(missing);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == ErrorCode::kUnavailable);
  CHECK(m.status().message() == "cannot run /nonexistent/tool: No such file or directory");

  SubprocessOptions not_program;
  not_program.argv = {"/etc/passwd"};
  auto n = RunSubprocess(not_program);
  REQUIRE_FALSE(n.ok());
  CHECK(n.status().message() == "cannot run /etc/passwd: Permission denied");

  auto nowhere = Shell("exit 0");
  nowhere.working_dir = "/nonexistent";
  auto w = RunSubprocess(nowhere);
  REQUIRE_FALSE(w.ok());
  CHECK(w.status().message() == "cannot run /bin/sh in /nonexistent: No such file or directory");
}
