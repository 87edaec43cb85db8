// vidkeep-host: the native messaging host the browser starts.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "host.h"

int main(int argc, char** argv) {
  ::umask(077);  // every file and directory the host creates is private
  // The host holds the chat app's session cookies and the admin token: no
  // core file of it, and no other process of the user may ptrace it or read
  // its /proc memory (PR_SET_DUMPABLE 0 does both).
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  vidkeep::RunHost(std::vector<std::string>(argv, argv + argc));
}
