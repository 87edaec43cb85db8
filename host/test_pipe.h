// Tests only: an operating-system pipe as two file descriptors, as the
// browser gives the host its stdio (pipe(2); built on Linux only, see
// host/CMakeLists.txt).
#pragma once

#include <array>

namespace vidkeep {

/// {read end, write end}; aborts the test run if the system refuses.
/// Close them with CloseFd (file_io.h).
std::array<int, 2> MakeTestPipe();
/// Writes all of `bytes` to `fd`.
void WriteAllTo(int fd, const void* bytes, unsigned size);
/// Reads up to `size` bytes; 0 at end of input.
int ReadFrom(int fd, void* out, unsigned size);

}  // namespace vidkeep
