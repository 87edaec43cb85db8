// RunSubprocess on Windows (docs/windows.md "Child processes"): CreateProcessW
// with an explicit list of the three handles the child inherits (the
// analogue of close_range on Linux), a UTF-16 environment block, a job
// object for the limits and for the kill (the child and every process it
// started), and one thread per pipe, since anonymous pipes have no
// overlapped I/O. The calling thread waits for their pieces with one
// deadline and runs on_output itself, as on Linux.
//
// Differences from Linux, by necessity: no file-size limit (the tool checks
// its output size itself) and no core files to turn off; a child that ends
// by an exception (an NTSTATUS such as 0xC0000005) is reported in `signal`
// with exit_code -1, as a signal is on Linux; a kill is TerminateJobObject,
// reported as SIGKILL (9).
#include "subprocess.h"

#include <windows.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "win32_text.h"

namespace vidkeep {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kKilledSignal = 9;  // SIGKILL, as RunSubprocess reports a kill on Linux

struct Handle {
  HANDLE h = nullptr;
  Handle() = default;
  explicit Handle(HANDLE handle) : h(handle == INVALID_HANDLE_VALUE ? nullptr : handle) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { Close(); }
  void Close() {
    if (h) ::CloseHandle(h);
    h = nullptr;
  }
  HANDLE Release() {
    HANDLE out = h;
    h = nullptr;
    return out;
  }
};

Status Unavailable(const std::string& what, DWORD error = ::GetLastError()) {
  return Status::Unavailable(what + ": " + WindowsErrorText(error));
}

// A pipe whose `child` end is inheritable and whose `parent` end is not.
Status MakePipe(Handle& parent, Handle& child, bool child_reads, DWORD size = 0) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE read = nullptr, write = nullptr;
  if (!::CreatePipe(&read, &write, &sa, size)) return Unavailable("pipe");
  parent.h = child_reads ? write : read;
  child.h = child_reads ? read : write;
  ::SetHandleInformation(parent.h, HANDLE_FLAG_INHERIT, 0);
  return {};
}

Status OpenNul(Handle& handle, DWORD access) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  const HANDLE nul = ::CreateFileW(L"NUL", access, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, nullptr);
  if (nul == INVALID_HANDLE_VALUE) return Unavailable("cannot open NUL");
  handle.h = nul;
  return {};
}

// One argument as the Microsoft C runtime's parser (CommandLineToArgvW)
// reads it back.
void AppendQuoted(std::wstring& line, const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    line += arg;
    return;
  }
  line += L'"';
  for (auto it = arg.begin();; ++it) {
    std::size_t backslashes = 0;
    while (it != arg.end() && *it == L'\\') ++it, ++backslashes;
    if (it == arg.end()) {
      line.append(backslashes * 2, L'\\');
      break;
    }
    if (*it == L'"') {
      line.append(backslashes * 2 + 1, L'\\');
      line += L'"';
    } else {
      line.append(backslashes, L'\\');
      line += *it;
    }
  }
  line += L'"';
}

// The pieces the pipe threads read, for the calling thread. Shared with the
// threads, which may outlive the call (see Finish below).
struct Pipes {
  std::mutex mutex;
  std::condition_variable changed;
  struct Piece {
    int stream;  // 0 stdout, 1 stderr
    std::string bytes;
  };
  std::deque<Piece> pieces;
  bool open[2] = {false, false};  // a reader thread is still reading
  bool stop = false;              // the caller wants no more pieces
  bool input_done = false;
  bool input_written = true;
};

void ReadPipe(std::shared_ptr<Pipes> pipes, HANDLE handle, int stream) {
  Handle owned(handle);
  char buffer[4096];
  for (;;) {
    DWORD got = 0;
    if (!::ReadFile(owned.h, buffer, sizeof buffer, &got, nullptr) || got == 0) break;
    std::lock_guard lock(pipes->mutex);
    if (pipes->stop) break;
    pipes->pieces.push_back({stream, std::string(buffer, got)});
    pipes->changed.notify_all();
  }
  std::lock_guard lock(pipes->mutex);
  pipes->open[stream] = false;
  pipes->changed.notify_all();
}

void WriteInput(std::shared_ptr<Pipes> pipes, HANDLE handle, std::string input) {
  Handle owned(handle);
  std::size_t written = 0;
  while (written < input.size()) {
    DWORD put = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(input.size() - written, 1 << 20));
    if (!::WriteFile(owned.h, input.data() + written, chunk, &put, nullptr)) break;
    written += put;
  }
  owned.Close();  // end of input
  std::lock_guard lock(pipes->mutex);
  pipes->input_written = written == input.size();
  pipes->input_done = true;
  pipes->changed.notify_all();
}

std::wstring EnvironmentBlock(const std::vector<std::string>& env) {
  std::vector<std::wstring> entries;
  for (const auto& e : env) entries.push_back(Widen(e));
  // Windows keeps the block sorted by name, case-insensitively.
  std::sort(entries.begin(), entries.end(), [](const std::wstring& a, const std::wstring& b) {
    return ::CompareStringOrdinal(a.data(), static_cast<int>(a.size()), b.data(), static_cast<int>(b.size()),
                                  TRUE) == CSTR_LESS_THAN;
  });
  std::wstring block;
  for (const auto& e : entries) block += e + L'\0';
  block += L'\0';
  if (entries.empty()) block += L'\0';
  return block;
}

}  // namespace

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> out;
  wchar_t* block = ::GetEnvironmentStringsW();
  if (!block) return out;
  for (const wchar_t* e = block; *e; e += std::wcslen(e) + 1)
    if (*e != L'=') out.push_back(Narrow(e));  // "=C:=C:\\..." are cmd.exe's drive folders
  ::FreeEnvironmentStringsW(block);
  return out;
}

Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options) {
  if (options.argv.empty()) return Status::Internal("RunSubprocess: no program");
  const std::string& program = options.argv.front();
  const std::string input = options.input.value_or(std::string());

  Handle in_parent, in_child, out_parent, out_child, err_parent, err_child;
  if (options.input) {
    // Sized for the input (up to 64 KiB), so a child that exits at once
    // most likely still had it delivered.
    const DWORD size = static_cast<DWORD>(std::clamp<std::size_t>(input.size(), 4096, 64 * 1024));
    if (Status s = MakePipe(in_parent, in_child, true, size); !s.ok()) return s;
  } else if (Status s = OpenNul(in_child, GENERIC_READ); !s.ok()) {
    return s;
  }
  if (Status s = MakePipe(out_parent, out_child, false); !s.ok()) return s;
  if (options.capture_stderr) {
    if (Status s = MakePipe(err_parent, err_child, false); !s.ok()) return s;
  } else if (Status s = OpenNul(err_child, GENERIC_WRITE); !s.ok()) {
    return s;
  }

  if (!options.working_dir.empty()) {
    const DWORD attributes = ::GetFileAttributesW(Widen(options.working_dir).c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_DIRECTORY))
      return Unavailable("cannot run " + program + " in " + options.working_dir,
                         attributes == INVALID_FILE_ATTRIBUTES ? ::GetLastError() : ERROR_DIRECTORY);
  }

  // Only these three handles reach the child.
  HANDLE inherit[3] = {in_child.h, out_child.h, err_child.h};
  SIZE_T attr_size = 0;
  ::InitializeProcThreadAttributeList(nullptr, 1, 0, &attr_size);
  std::vector<char> attr_buffer(attr_size);
  auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attr_buffer.data());
  if (!::InitializeProcThreadAttributeList(attrs, 1, 0, &attr_size)) return Unavailable("cannot start " + program);
  struct AttrsGuard {
    LPPROC_THREAD_ATTRIBUTE_LIST a;
    ~AttrsGuard() { ::DeleteProcThreadAttributeList(a); }
  } attrs_guard{attrs};
  if (!::UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit, sizeof inherit, nullptr,
                                   nullptr))
    return Unavailable("cannot start " + program);

  // The job: limits, and a kill that reaches the child's own children too.
  // KILL_ON_JOB_CLOSE: if we die, so does the child.
  Handle job(::CreateJobObjectW(nullptr, nullptr));
  if (!job.h) return Unavailable("cannot make a job object for " + program);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (options.limits.cpu_seconds) {
    limits.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_TIME;
    limits.BasicLimitInformation.PerProcessUserTimeLimit.QuadPart =
        static_cast<LONGLONG>(*options.limits.cpu_seconds) * 10'000'000;  // 100 ns units
  }
  if (options.limits.address_space_bytes) {
    limits.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY;
    limits.ProcessMemoryLimit = static_cast<SIZE_T>(*options.limits.address_space_bytes);
  }
  if (!::SetInformationJobObject(job.h, JobObjectExtendedLimitInformation, &limits, sizeof limits))
    return Unavailable("cannot limit " + program);

  std::wstring command_line;
  for (const auto& arg : options.argv) {
    if (!command_line.empty()) command_line += L' ';
    AppendQuoted(command_line, Widen(arg));
  }
  std::wstring env_block;
  if (options.env) env_block = EnvironmentBlock(*options.env);
  const std::wstring workdir = Widen(options.working_dir);

  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof startup;
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = in_child.h;
  startup.StartupInfo.hStdOutput = out_child.h;
  startup.StartupInfo.hStdError = err_child.h;
  startup.lpAttributeList = attrs;
  DWORD flags = EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT | CREATE_SUSPENDED | CREATE_NO_WINDOW;
  if (options.own_process_group) flags |= CREATE_NEW_PROCESS_GROUP;
  PROCESS_INFORMATION pi{};
  if (!::CreateProcessW(Widen(program).c_str(), command_line.data(), nullptr, nullptr, TRUE, flags,
                        options.env ? env_block.data() : nullptr, workdir.empty() ? nullptr : workdir.c_str(),
                        &startup.StartupInfo, &pi))
    return Unavailable("cannot run " + program);
  Handle process(pi.hProcess), thread(pi.hThread);
  if (!::AssignProcessToJobObject(job.h, process.h)) {
    const DWORD error = ::GetLastError();
    ::TerminateProcess(process.h, 1);
    return Unavailable("cannot limit " + program, error);
  }
  ::ResumeThread(thread.h);
  thread.Close();
  in_child.Close();
  out_child.Close();
  err_child.Close();

  auto pipes = std::make_shared<Pipes>();
  std::vector<std::thread> threads;
  pipes->open[0] = true;
  threads.emplace_back(ReadPipe, pipes, out_parent.Release(), 0);
  if (err_parent.h) {
    pipes->open[1] = true;
    threads.emplace_back(ReadPipe, pipes, err_parent.Release(), 1);
  }
  if (in_parent.h) threads.emplace_back(WriteInput, pipes, in_parent.Release(), input);
  else pipes->input_done = true;

  SubprocessResult result;
  const auto deadline = Clock::now() + options.timeout;
  std::string* const sinks[] = {&result.out, &result.err};
  bool complete = false;
  {
    std::unique_lock lock(pipes->mutex);
    while (!complete && (pipes->open[0] || pipes->open[1] || !pipes->pieces.empty())) {
      if (pipes->pieces.empty()) {
        if (pipes->changed.wait_until(lock, deadline) == std::cv_status::timeout && pipes->pieces.empty() &&
            (pipes->open[0] || pipes->open[1])) {
          result.timed_out = true;
          break;
        }
        continue;
      }
      Pipes::Piece piece = std::move(pipes->pieces.front());
      pipes->pieces.pop_front();
      lock.unlock();  // on_output runs without the lock
      std::string& sink = *sinks[piece.stream];
      sink.append(std::string_view(piece.bytes)
                      .substr(0, options.output_cap - std::min(options.output_cap, sink.size())));
      if (piece.stream == 0 && options.on_output && options.on_output(piece.bytes)) complete = true;
      lock.lock();
    }
    pipes->stop = true;
  }

  DWORD wait = WAIT_TIMEOUT;
  if (!result.timed_out)
    wait = ::WaitForSingleObject(process.h, static_cast<DWORD>(std::min<long long>(options.exit_grace.count(), 0x7fffffff)));
  if (wait != WAIT_OBJECT_0) {
    ::TerminateJobObject(job.h, 1);
    ::WaitForSingleObject(process.h, INFINITE);
    result.killed = true;
  } else {
    // The child is gone; what it started is not ours to keep running
    // (their pipe ends would keep our readers waiting).
    ::TerminateJobObject(job.h, 1);
  }

  // With every process of the job gone, the pipes' other ends are closed and
  // the threads finish; a pipe handed on outside the job is not waited for.
  {
    std::unique_lock lock(pipes->mutex);
    pipes->changed.wait_for(lock, std::chrono::seconds(2),
                            [&] { return !pipes->open[0] && !pipes->open[1] && pipes->input_done; });
    result.input_written = pipes->input_done && pipes->input_written;
  }
  for (auto& t : threads) t.detach();  // each owns its handle and the shared state

  DWORD code = 0;
  ::GetExitCodeProcess(process.h, &code);
  if (result.killed) {
    result.signal = kKilledSignal;
  } else if (code >= 0xC0000000u) {
    result.signal = static_cast<int>(code);  // an exception ended it
  } else {
    result.exit_code = static_cast<int>(code);
  }
  return result;
}

}  // namespace vidkeep
