// vidkeep: the command-line tool on the host's data.
#include <string>
#include <vector>

#include "cli.h"
#include "media_tool.h"
#include "platform.h"

int main(int argc, char** argv) {
  vidkeep::UseBinaryStdio();
  vidkeep::PrivateFilesByDefault();
  // UTF-8 arguments on every system (platform.h); argv points into `args`.
  std::vector<std::string> args = vidkeep::CommandLineArguments(argc, argv);
  std::vector<char*> utf8_argv;
  for (auto& arg : args) utf8_argv.push_back(arg.data());
  utf8_argv.push_back(nullptr);
  const int count = static_cast<int>(args.size());
  // The host's media tool first: it never goes through the CLI's parser.
  if (vidkeep::IsMediaToolCommand(count, utf8_argv.data())) return vidkeep::RunMediaTool(count, utf8_argv.data());
  return vidkeep::RunCli(count, utf8_argv.data());
}
