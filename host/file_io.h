// Files, one way on each platform: file_io-posix.cpp and file_io-win32.cpp,
// chosen in host/CMakeLists.txt (as subprocess.h is). Paths are UTF-8
// strings everywhere in vidkeep; only this module turns them into what the
// system takes (on Windows: UTF-16, and every descriptor in binary mode, or
// the C runtime would stop reading at byte 0x1A and turn \n into \r\n).
//
// Protection: on Linux the files and folders vidkeep makes are private by
// mode (0600/0700, the umask 077 of both programs) and their owner is
// checked. On Windows there are no modes: the data lives in the user's
// profile (%LOCALAPPDATA%), whose ACL already grants only the user, SYSTEM
// and administrators; the mode calls below are no-ops there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>  // O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC for OpenFd
#include <sys/types.h>

#include "status.h"

namespace vidkeep {

/// A UTF-8 path as std::filesystem takes it. Never fs::path(std::string)
/// directly: libstdc++ on Windows reads that in the ANSI code page.
inline std::filesystem::path FsPath(std::string_view utf8) {
  return std::filesystem::path(std::u8string_view(reinterpret_cast<const char8_t*>(utf8.data()), utf8.size()));
}
/// The path as UTF-8 (the inverse of FsPath).
inline std::string Utf8Path(const std::filesystem::path& path) {
  const std::u8string s = path.u8string();
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

/// Add to OpenFd's flags for a file that must not block the open (a FIFO
/// given as a media file) nor become a terminal; nothing on Windows.
extern const int kOpenNoWait;

/// open(2) on a UTF-8 path, never inherited by children (O_CLOEXEC;
/// O_NOINHERIT on Windows) and in binary mode. `flags` from <fcntl.h>:
/// O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_TRUNC, kOpenNoWait. -1 and errno on failure.
int OpenFd(const std::string& path, int flags, int mode = 0600);
ssize_t ReadFd(int fd, void* buffer, std::size_t size);
ssize_t WriteFd(int fd, const void* data, std::size_t size);
/// Reads at `offset` (on Windows through the file position: one user of a
/// descriptor at a time, as all of vidkeep's are).
ssize_t PreadFd(int fd, void* buffer, std::size_t size, std::int64_t offset);
ssize_t PwriteFd(int fd, const void* data, std::size_t size, std::int64_t offset);
int TruncateFd(int fd, std::int64_t size);
/// lseek(2); the new offset, or -1 with errno.
std::int64_t SeekFd(int fd, std::int64_t offset, int whence);
int CloseFd(int fd);
/// fsync(2): the written bytes reach the disk.
int SyncFd(int fd);

/// A directory's entries reach the disk (after a rename into it). On Windows
/// NTFS journals its metadata and no directory can be flushed: nothing.
Status SyncDirectory(const std::string& dir);

struct PathInfo {
  bool regular = false;
  bool directory = false;
  bool executable = false;  // a regular file this user may run (Windows: its name ends in .exe)
  std::uint64_t size = 0;
};
/// stat(2) on a UTF-8 path; nullopt with errno when it does not exist.
std::optional<PathInfo> StatPath(const std::string& path);
/// fstat(2) of an open file (`executable` not filled in); nullopt with errno.
std::optional<PathInfo> StatFd(int fd);

/// Deletes a file (unlink(2)); 0 or -1 with errno.
int RemoveFile(const std::string& path);
/// Renames `from` over `to`, replacing `to` if it exists (rename(2);
/// MoveFileExW with MOVEFILE_REPLACE_EXISTING on Windows, where a file that
/// is open cannot be replaced: close it first).
std::error_code MoveReplacing(const std::string& from, const std::string& to);

/// Creates `dir` (one level) private to the user; an existing one is fine.
Status MakePrivateDir(const std::string& dir);
/// mkdir -p, each created folder private to the user.
Status MakePrivateDirs(const std::string& dir);
/// A folder of ours that someone else owns or may write to would let them
/// read, replace or plant videos and logs: refused, saying why (issue 13).
/// Windows: only that it is a folder (the profile's ACL protects it).
Status CheckPrivateDir(const std::string& dir);
/// chmod 0600 (the database); nothing on Windows.
void MakeFilePrivate(const std::string& path);
/// A secret file (the admin token) that others may read: the message saying
/// so and how to fix it; "" when private (always on Windows).
std::string ExposedSecretFile(const std::string& path);

}  // namespace vidkeep
