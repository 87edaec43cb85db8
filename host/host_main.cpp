// vidkeep-host: the native messaging host the browser starts.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "host.h"

int main(int argc, char** argv) {
  ::umask(077);  // every file and directory the host creates is private
  vidkeep::RunHost(std::vector<std::string>(argv, argv + argc));
}
