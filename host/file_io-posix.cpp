// Files on Linux: the system calls as they are (file_io.h).
#include "file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/fmt/fmt.h>

namespace vidkeep {

const int kOpenNoWait = O_NOCTTY | O_NONBLOCK;

int OpenFd(const std::string& path, int flags, int mode) {
  return ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
}
ssize_t ReadFd(int fd, void* buffer, std::size_t size) { return ::read(fd, buffer, size); }
ssize_t WriteFd(int fd, const void* data, std::size_t size) { return ::write(fd, data, size); }
ssize_t PreadFd(int fd, void* buffer, std::size_t size, std::int64_t offset) {
  return ::pread(fd, buffer, size, static_cast<off_t>(offset));
}
ssize_t PwriteFd(int fd, const void* data, std::size_t size, std::int64_t offset) {
  return ::pwrite(fd, data, size, static_cast<off_t>(offset));
}
int TruncateFd(int fd, std::int64_t size) { return ::ftruncate(fd, static_cast<off_t>(size)); }
std::int64_t SeekFd(int fd, std::int64_t offset, int whence) {
  return ::lseek(fd, static_cast<off_t>(offset), whence);
}
int CloseFd(int fd) { return ::close(fd); }
int SyncFd(int fd) { return ::fsync(fd); }

std::optional<PathInfo> StatFd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  PathInfo info;
  info.regular = S_ISREG(st.st_mode);
  info.directory = S_ISDIR(st.st_mode);
  info.size = static_cast<std::uint64_t>(st.st_size);
  return info;
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Unavailable("cannot sync " + dir + ": " + std::strerror(errno));
  return {};
}

std::optional<PathInfo> StatPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  PathInfo info;
  info.regular = S_ISREG(st.st_mode);
  info.directory = S_ISDIR(st.st_mode);
  info.executable = info.regular && (st.st_mode & 0111) != 0 && ::access(path.c_str(), X_OK) == 0;
  info.size = static_cast<std::uint64_t>(st.st_size);
  return info;
}

int RemoveFile(const std::string& path) { return ::unlink(path.c_str()); }

std::error_code MoveReplacing(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return {errno, std::generic_category()};
  return {};
}

Status MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::Unavailable(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
  return {};
}

Status MakePrivateDirs(const std::string& path) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    if (Status s = MakePrivateDir(path.substr(0, pos)); !s.ok()) return s;
  }
  return {};
}

Status CheckPrivateDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return Status::Unavailable(fmt::format("cannot use {}: {}", dir, std::strerror(errno)));
  if (st.st_uid != ::geteuid())
    return Status::Unavailable(fmt::format(
        "{} belongs to uid {}, not to you (uid {}): vidkeep will not keep your videos where another "
        "user controls them; move it away or fix its owner",
        dir, st.st_uid, ::geteuid()));
  if ((st.st_mode & 022) != 0)
    return Status::Unavailable(fmt::format(
        "{} is writable by {} (mode {:o}): vidkeep will not keep your videos where others can "
        "change them; run: chmod 700 {}",
        dir, (st.st_mode & 002) ? "everyone" : "its group", st.st_mode & 07777, dir));
  return {};
}

void MakeFilePrivate(const std::string& path) { ::chmod(path.c_str(), 0600); }

std::string ExposedSecretFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return {};
  return fmt::format("the token file {} is readable by others; run: chmod 600 {}", path, path);
}

}  // namespace vidkeep
