// The media tool: libavformat in a process of its own (see media_child.h).
#pragma once

namespace vidkeep {

/// Whether argv asks for the media tool rather than the CLI.
bool IsMediaToolCommand(int argc, char** argv);
/// Runs it; returns the exit status.
int RunMediaTool(int argc, char** argv);

}  // namespace vidkeep
