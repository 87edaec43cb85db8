// `vidkeep`, the command-line tool (PROTOCOL.md section 6). Exit status: 0
// success, 1 failure, 2 bad usage; errors on stderr in one line.
#pragma once

namespace vidkeep {

int RunCli(int argc, char** argv);

}  // namespace vidkeep
