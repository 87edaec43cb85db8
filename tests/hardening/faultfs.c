// Test-only LD_PRELOAD shim (issue 9): while the file named by
// $VIDKEEP_FAULT_SWITCH exists, every write, truncate and sync of a file whose
// path contains "vidkeep.db" (the database, its WAL and shared memory) fails
// with $VIDKEEP_FAULT_ERRNO (default EIO); $VIDKEEP_FAULT_CALLS (e.g.
// "fsync,fdatasync") limits the faults to those calls. Each injected fault writes one line
// "vidkeep-fault <call>" to stderr, so a test can count them. Built by
// tests/hardening/disk-full.test.mjs; never linked into vidkeep.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static int Faulty(int fd, const char* call) {
  const char* sw = getenv("VIDKEEP_FAULT_SWITCH");
  if (!sw || syscall(SYS_access, sw, F_OK) != 0) return 0;
  const char* only = getenv("VIDKEEP_FAULT_CALLS");
  if (only && *only) {
    const char* hit = strstr(only, call);
    const size_t n = strlen(call);
    if (!hit || (hit != only && hit[-1] != ',') || (hit[n] != '\0' && hit[n] != ',')) return 0;
  }
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  if (!strstr(target, "vidkeep.db")) return 0;
  char line[96];
  int len = snprintf(line, sizeof line, "vidkeep-fault %s\n", call);
  syscall(SYS_write, 2, line, (size_t)len);
  const char* e = getenv("VIDKEEP_FAULT_ERRNO");
  errno = e ? atoi(e) : EIO;
  return 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void* buf, size_t n) {
  if (Faulty(fd, "write")) return -1;
  return REAL(write)(fd, buf, n);
}
ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (Faulty(fd, "pwrite")) return -1;
  return REAL(pwrite)(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  if (Faulty(fd, "pwrite64")) return -1;
  return REAL(pwrite64)(fd, buf, n, off);
}
int fsync(int fd) {
  if (Faulty(fd, "fsync")) return -1;
  return REAL(fsync)(fd);
}
int fdatasync(int fd) {
  if (Faulty(fd, "fdatasync")) return -1;
  return REAL(fdatasync)(fd);
}
int ftruncate(int fd, off_t len) {
  if (Faulty(fd, "ftruncate")) return -1;
  return REAL(ftruncate)(fd, len);
}
int ftruncate64(int fd, off64_t len) {
  if (Faulty(fd, "ftruncate64")) return -1;
  return REAL(ftruncate64)(fd, len);
}
