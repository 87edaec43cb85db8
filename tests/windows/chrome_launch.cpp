// Starts vidkeep-host.exe the way a browser does on Windows and checks that it
// answers a framed `hello` (tests/windows/run.sh runs it under Wine).
//
//   vidkeep_chrome_launch chrome  HOST.EXE ORIGIN
//   vidkeep_chrome_launch firefox HOST.EXE MANIFEST EXTENSION_ID
//
// chrome:  as Chromium's native_process_launcher_win.cc does it: two named
//          pipes \\.\pipe\chrome.nativeMessaging.{in,out}.<random hex>, one
//          instance each, overlapped on the browser's side; the host started
//          through %COMSPEC% (`cmd.exe /d /s /c "..."`) with its standard input
//          and output redirected to those pipes by cmd itself, hidden, in the
//          host's folder, with `ORIGIN --parent-window=0` as its arguments.
// firefox: as Firefox's subprocess module does it: the host started directly,
//          the client ends of two pipes inherited as its stdin and stdout, and
//          the manifest path and extension id as its arguments.
//
// Then: one `hello` frame in, one frame out (printed), our end of the host's
// stdin closed, and the host must exit 0. Exit status 0 when all of that held,
// 1 otherwise (the reason on stderr). Every wait is bounded: VIDKEEP_LAUNCH_TIMEOUT_MS
// (default 30000) per step, so a host that never answers fails the test
// instead of hanging it. Windows-only: built by CMake when WIN32.
#include <windows.h>
#include <shellapi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

DWORD g_timeout_ms = 30000;

int Fail(const char* what, DWORD error = GetLastError()) {
  std::fprintf(stderr, "vidkeep_chrome_launch: %s (Windows error %lu)\n", what, error);
  return 1;
}

/// Closes a handle when it goes out of scope.
class Handle {
 public:
  explicit Handle(HANDLE h = nullptr) : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { Reset(); }
  HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  void Reset(HANDLE h = nullptr) {
    if (h_) CloseHandle(h_);
    h_ = h == INVALID_HANDLE_VALUE ? nullptr : h;
  }

 private:
  HANDLE h_;
};

std::wstring DirName(const std::wstring& path) {
  auto slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::wstring(L".") : path.substr(0, slash);
}

// Finishes one overlapped operation started on `h`: waits up to the step
// timeout, and cancels it (CancelIoEx works under Wine, unlike
// CancelSynchronousIo) when it did not complete. Returns the bytes moved, or
// -1 with the reason in GetLastError().
long long Finish(HANDLE h, OVERLAPPED* ov, BOOL started) {
  DWORD moved = 0;
  if (!started) {
    DWORD error = GetLastError();
    if (error == ERROR_PIPE_CONNECTED) return 0;  // ConnectNamedPipe: the client was first
    if (error != ERROR_IO_PENDING) return -1;
    if (WaitForSingleObject(ov->hEvent, g_timeout_ms) != WAIT_OBJECT_0) {
      CancelIoEx(h, ov);
      GetOverlappedResult(h, ov, &moved, TRUE);
      SetLastError(WAIT_TIMEOUT);
      return -1;
    }
  }
  if (!GetOverlappedResult(h, ov, &moved, TRUE)) return -1;
  return moved;
}

struct Op {
  Op() { ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr); }
  ~Op() { CloseHandle(ov.hEvent); }
  OVERLAPPED ov{};
};

bool Connect(HANDLE pipe) {
  Op op;
  return Finish(pipe, &op.ov, ConnectNamedPipe(pipe, &op.ov)) >= 0;
}

bool WriteAll(HANDLE h, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    Op op;
    long long n = Finish(h, &op.ov, WriteFile(h, bytes.data() + done, static_cast<DWORD>(bytes.size() - done), nullptr, &op.ov));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool ReadExactly(HANDLE h, char* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    Op op;
    long long n = Finish(h, &op.ov, ReadFile(h, out + done, static_cast<DWORD>(size - done), nullptr, &op.ov));
    if (n <= 0) return false;  // an error, a timeout, or the host closed its output
    done += static_cast<size_t>(n);
  }
  return true;
}

// A server end for this side: overlapped, byte mode, one instance.
HANDLE ServerPipe(const std::wstring& name, DWORD direction) {
  // Buffer sizes 0: the system default, as Chromium passes.
  return CreateNamedPipeW(name.c_str(), direction | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                          PIPE_TYPE_BYTE | PIPE_WAIT, 1, 0, 0, 5000, nullptr);
}

// The job the started processes run in (cmd.exe and the host it starts):
// main ends it whatever happened, so a failing run leaves no process behind.
// Terminated explicitly: Wine does not kill a job's processes when its last
// handle closes.
HANDLE g_job = nullptr;

// Starts the suspended process in the job, then lets it run.
void RunInJob(const PROCESS_INFORMATION& pi) {
  if (g_job) AssignProcessToJobObject(g_job, pi.hProcess);
  ResumeThread(pi.hThread);
}

// One hello over the pipes; then stdin closed and the process's exit awaited.
int Exchange(Handle& to_host, Handle& from_host, HANDLE process) {
  const std::string body = R"({"id":"launch","type":"hello","extension_version":"0.0.0"})";
  std::string frame(4, '\0');
  const uint32_t n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((n >> (8 * i)) & 0xff);  // native order: little-endian
  frame += body;
  if (!WriteAll(to_host.get(), frame)) return Fail("writing the hello frame failed");

  char header[4];
  if (!ReadExactly(from_host.get(), header, 4)) return Fail("no answer header from the host");
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size |= static_cast<uint32_t>(static_cast<unsigned char>(header[i])) << (8 * i);
  if (size == 0 || size > 1024 * 1024) return Fail("the answer's length header is not a plausible frame", size);
  std::string answer(size, '\0');
  if (!ReadExactly(from_host.get(), answer.data(), size)) return Fail("the answer frame was cut short");
  std::printf("%s\n", answer.c_str());
  std::fflush(stdout);
  if (answer.find(R"("id":"launch")") == std::string::npos || answer.find(R"("ok":true)") == std::string::npos)
    return Fail("the answer is not an ok hello for our id", 0);

  to_host.Reset();  // end of input: the host must shut down by itself
  if (WaitForSingleObject(process, g_timeout_ms) != WAIT_OBJECT_0)
    return Fail("the host did not exit after its input closed", WAIT_TIMEOUT);
  DWORD code = 1;
  GetExitCodeProcess(process, &code);
  if (code != 0) return Fail("the host exited with a non-zero status", code);
  return 0;
}

int LaunchLikeChrome(const std::wstring& host, const std::wstring& origin) {
  std::mt19937_64 random(std::random_device{}());
  wchar_t token[17];
  swprintf(token, 17, L"%llx", static_cast<unsigned long long>(random()));
  const std::wstring out_name = std::wstring(L"\\\\.\\pipe\\chrome.nativeMessaging.out.") + token;
  const std::wstring in_name = std::wstring(L"\\\\.\\pipe\\chrome.nativeMessaging.in.") + token;
  Handle from_host(ServerPipe(out_name, PIPE_ACCESS_INBOUND));
  if (!from_host) return Fail("CreateNamedPipeW (out) failed");
  Handle to_host(ServerPipe(in_name, PIPE_ACCESS_OUTBOUND));
  if (!to_host) return Fail("CreateNamedPipeW (in) failed");

  wchar_t comspec[MAX_PATH];
  DWORD len = GetEnvironmentVariableW(L"COMSPEC", comspec, MAX_PATH);
  if (len == 0 || len >= MAX_PATH) return Fail("COMSPEC is not set");
  // cmd /s /c "...": cmd strips the outer quotes and runs the rest as typed,
  // redirections included; the host's path is quoted inside (it may hold spaces).
  std::wstring command = L"\"" + std::wstring(comspec) + L"\" /d /s /c \"\"" + host + L"\" " + origin +
                         L" --parent-window=0 < " + in_name + L" > " + out_name + L"\"";
  std::fwprintf(stderr, L"vidkeep_chrome_launch: %ls\n", command.c_str());

  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESHOWWINDOW;
  si.wShowWindow = SW_HIDE;
  PROCESS_INFORMATION pi{};
  std::wstring dir = DirName(host);
  // Chromium starts it from a GUI process, so cmd gets a console of its own
  // (hidden); from this console program CREATE_NO_WINDOW is that console-less
  // equivalent. No handle is inherited: the pipes are opened by name.
  if (!CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, CREATE_NO_WINDOW | CREATE_SUSPENDED, nullptr,
                      dir.c_str(), &si, &pi))
    return Fail("CreateProcessW (cmd.exe) failed");
  Handle process(pi.hProcess), thread(pi.hThread);
  RunInJob(pi);

  if (!Connect(from_host.get())) return Fail("the host never opened the out pipe");
  if (!Connect(to_host.get())) return Fail("the host never opened the in pipe");
  return Exchange(to_host, from_host, process.get());
}

int LaunchLikeFirefox(const std::wstring& host, const std::wstring& manifest, const std::wstring& extension_id) {
  const std::wstring base = L"\\\\.\\pipe\\vidkeep-launch-" + std::to_wstring(GetCurrentProcessId());
  Handle to_host(ServerPipe(base + L"-in", PIPE_ACCESS_OUTBOUND));
  Handle from_host(ServerPipe(base + L"-out", PIPE_ACCESS_INBOUND));
  if (!to_host || !from_host) return Fail("CreateNamedPipeW failed");
  // The child's ends: synchronous, inheritable (Firefox's subprocess_win does
  // the same: overlapped server end for itself, plain client end for the child).
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  Handle child_in(CreateFileW((base + L"-in").c_str(), GENERIC_READ, 0, &inherit, OPEN_EXISTING, 0, nullptr));
  Handle child_out(CreateFileW((base + L"-out").c_str(), GENERIC_WRITE, 0, &inherit, OPEN_EXISTING, 0, nullptr));
  if (!child_in || !child_out) return Fail("opening the child's pipe ends failed");
  if (!Connect(to_host.get()) || !Connect(from_host.get())) return Fail("ConnectNamedPipe failed");
  HANDLE child_err = nullptr;
  DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE), GetCurrentProcess(), &child_err, 0, TRUE,
                  DUPLICATE_SAME_ACCESS);
  Handle err(child_err);

  std::wstring command = L"\"" + host + L"\" \"" + manifest + L"\" " + extension_id;
  std::fwprintf(stderr, L"vidkeep_chrome_launch: %ls\n", command.c_str());
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = child_in.get();
  si.hStdOutput = child_out.get();
  si.hStdError = err.get();
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(nullptr, command.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW | CREATE_SUSPENDED, nullptr,
                      nullptr, &si, &pi))
    return Fail("CreateProcessW (host) failed");
  Handle process(pi.hProcess), thread(pi.hThread);
  RunInJob(pi);
  // The child holds its own copies now; ours would keep the pipes open (no
  // EOF for the host when we close our end).
  child_in.Reset();
  child_out.Reset();
  err.Reset();
  return Exchange(to_host, from_host, process.get());
}

}  // namespace

int main() {
  if (const char* t = std::getenv("VIDKEEP_LAUNCH_TIMEOUT_MS")) g_timeout_ms = static_cast<DWORD>(std::strtoul(t, nullptr, 10));
  // The arguments as UTF-16 (argv would be in the ANSI code page).
  int argc = 0;
  wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
  std::vector<std::wstring> args;
  for (int i = 1; argv && i < argc; ++i) args.push_back(argv[i]);
  LocalFree(argv);
  int status = 2;
  g_job = CreateJobObjectW(nullptr, nullptr);
  if (args.size() == 3 && args[0] == L"chrome") {
    status = LaunchLikeChrome(args[1], args[2]);
  } else if (args.size() == 4 && args[0] == L"firefox") {
    status = LaunchLikeFirefox(args[1], args[2], args[3]);
  } else {
    std::fprintf(stderr,
                 "usage: vidkeep_chrome_launch chrome HOST.EXE ORIGIN\n"
                 "       vidkeep_chrome_launch firefox HOST.EXE MANIFEST EXTENSION_ID\n");
  }
  if (g_job) TerminateJobObject(g_job, 1);
  return status;
}
