// vidkeep-host: the native messaging host the browser starts.
#include <string>
#include <vector>

#include "host.h"
#include "platform.h"

int main(int argc, char** argv) {
  vidkeep::UseBinaryStdio();
  // The host holds the chat app's session cookies and the admin token
  // (platform.h says what each system allows).
  vidkeep::HardenHostProcess();
  vidkeep::RunHost(vidkeep::CommandLineArguments(argc, argv));
}
