#include "test_pipe.h"

#include <unistd.h>

#include <cstdlib>

namespace vidkeep {

std::array<int, 2> MakeTestPipe() {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  return {fds[0], fds[1]};
}

void WriteAllTo(int fd, const void* bytes, unsigned size) {
  const char* p = static_cast<const char*>(bytes);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n <= 0) std::abort();
    p += n;
    size -= static_cast<unsigned>(n);
  }
}

int ReadFrom(int fd, void* out, unsigned size) { return static_cast<int>(::read(fd, out, size)); }

}  // namespace vidkeep
