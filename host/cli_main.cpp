// vidkeep: the command-line tool on the host's data.
#include "cli.h"
#include "media_tool.h"
#include "platform.h"

int main(int argc, char** argv) {
  vidkeep::UseBinaryStdio();
  vidkeep::PrivateFilesByDefault();
  // The host's media tool first: it never goes through the CLI's parser.
  if (vidkeep::IsMediaToolCommand(argc, argv)) return vidkeep::RunMediaTool(argc, argv);
  return vidkeep::RunCli(argc, argv);
}
