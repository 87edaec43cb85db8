// Files on Windows (file_io.h): UTF-16 paths through _wopen and the W calls,
// binary mode and no inheritance on every descriptor, rename-over with
// MoveFileExW. No modes: the data folder is in the user's profile, whose
// ACL is the protection (see file_io.h).
#include "file_io.h"

#include <windows.h>
#include <io.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <spdlog/fmt/fmt.h>

namespace vidkeep {

namespace {

std::wstring Wide(const std::string& utf8) { return FsPath(utf8).wstring(); }

// errno for the last Windows error, as far as the C runtime has one.
int ErrnoFromWin32(DWORD error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION: return EACCES;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS: return EEXIST;
    case ERROR_DISK_FULL: return ENOSPC;
    default: return EIO;
  }
}

}  // namespace

const int kOpenNoWait = 0;

int OpenFd(const std::string& path, int flags, int mode) {
  // _S_IREAD|_S_IWRITE: only the read-only bit exists; the ACL protects.
  (void)mode;
  return ::_wopen(Wide(path).c_str(), flags | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
}

ssize_t ReadFd(int fd, void* buffer, std::size_t size) {
  return ::_read(fd, buffer, static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30)));
}

ssize_t WriteFd(int fd, const void* data, std::size_t size) {
  return ::_write(fd, data, static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30)));
}

ssize_t PreadFd(int fd, void* buffer, std::size_t size, std::int64_t offset) {
  if (::_lseeki64(fd, offset, SEEK_SET) < 0) return -1;
  return ReadFd(fd, buffer, size);
}

ssize_t PwriteFd(int fd, const void* data, std::size_t size, std::int64_t offset) {
  if (::_lseeki64(fd, offset, SEEK_SET) < 0) return -1;
  return WriteFd(fd, data, size);
}

int TruncateFd(int fd, std::int64_t size) {
  const errno_t e = ::_chsize_s(fd, size);
  if (e != 0) errno = e;
  return e == 0 ? 0 : -1;
}

std::int64_t SeekFd(int fd, std::int64_t offset, int whence) { return ::_lseeki64(fd, offset, whence); }
int CloseFd(int fd) { return ::_close(fd); }
int SyncFd(int fd) { return ::_commit(fd); }

std::optional<PathInfo> StatFd(int fd) {
  struct _stati64 st {};
  if (::_fstati64(fd, &st) != 0) return std::nullopt;
  PathInfo info;
  info.regular = (st.st_mode & _S_IFMT) == _S_IFREG;
  info.directory = (st.st_mode & _S_IFMT) == _S_IFDIR;
  info.size = static_cast<std::uint64_t>(st.st_size);
  return info;
}

Status SyncDirectory(const std::string&) { return {}; }

std::optional<PathInfo> StatPath(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!::GetFileAttributesExW(Wide(path).c_str(), GetFileExInfoStandard, &data)) {
    errno = ErrnoFromWin32(::GetLastError());
    return std::nullopt;
  }
  PathInfo info;
  info.directory = (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  info.regular = !info.directory && (data.dwFileAttributes & FILE_ATTRIBUTE_DEVICE) == 0;
  info.size = (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  const auto ext = FsPath(path).extension().wstring();
  info.executable = info.regular && (ext == L".exe" || ext == L".EXE" || ext == L".Exe");
  return info;
}

int RemoveFile(const std::string& path) {
  if (::DeleteFileW(Wide(path).c_str())) return 0;
  errno = ErrnoFromWin32(::GetLastError());
  return -1;
}

std::error_code MoveReplacing(const std::string& from, const std::string& to) {
  if (::MoveFileExW(Wide(from).c_str(), Wide(to).c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    return {};
  return {static_cast<int>(::GetLastError()), std::system_category()};
}

Status MakePrivateDir(const std::string& dir) {
  if (::CreateDirectoryW(Wide(dir).c_str(), nullptr) || ::GetLastError() == ERROR_ALREADY_EXISTS) return {};
  return Status::Unavailable(fmt::format("cannot create {}: {}", dir,
                                         std::system_category().message(static_cast<int>(::GetLastError()))));
}

Status MakePrivateDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(FsPath(dir), ec);
  if (ec) return Status::Unavailable(fmt::format("cannot create {}: {}", dir, ec.message()));
  return {};
}

Status CheckPrivateDir(const std::string& dir) {
  auto info = StatPath(dir);
  if (!info) return Status::Unavailable(fmt::format("cannot use {}: {}", dir, std::strerror(errno)));
  if (!info->directory) return Status::Unavailable(fmt::format("cannot use {}: not a folder", dir));
  return {};
}

void MakeFilePrivate(const std::string&) {}

std::string ExposedSecretFile(const std::string&) { return {}; }

}  // namespace vidkeep
