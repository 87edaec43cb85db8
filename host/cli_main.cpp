// vidkeep: the command-line tool on the host's data.
#include <sys/stat.h>

#include "cli.h"
#include "media_tool.h"

int main(int argc, char** argv) {
  ::umask(077);
  // The host's media tool first: it never goes through the CLI's parser.
  if (vidkeep::IsMediaToolCommand(argc, argv)) return vidkeep::RunMediaTool(argc, argv);
  return vidkeep::RunCli(argc, argv);
}
