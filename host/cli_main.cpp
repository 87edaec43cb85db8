// vidkeep: the command-line tool on the host's data.
#include <sys/stat.h>

#include "cli.h"

int main(int argc, char** argv) {
  ::umask(077);
  return vidkeep::RunCli(argc, argv);
}
