// vidkeep benchmark driver: speaks native messaging (32-bit native-order
// length + UTF-8 JSON) to any host command over pipes, as a browser does, and
// times it with CLOCK_MONOTONIC. No interpreter in the measured path.
//
//   driver cold   [opts] -- CMD ARGS...   spawn -> hello answer, repeated
//   driver ingest [opts] -- CMD ARGS...   N video requests back to back
//   driver lat    [opts] -- CMD ARGS...   round trips of list / query / status
//   driver sync   [opts] -- CMD ARGS...   configure -> N videos synced
//   driver run    [opts] -- CMD ARGS...   run a command to its end (wall, rusage)
//   driver media  [opts] -- CMD ARGS...   one video of --bytes from a loopback HTTP
//                                         server (this process) -> media_state cached
//
// Common options: --env K=V (repeatable; added to the driver's environment),
// --stderr FILE (child's stderr; default /dev/null). Every subcommand prints
// one JSON object on stdout. Build: g++ -O2 -std=c++20 -pthread driver.cpp -lcrypto
#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

extern char** environ;

namespace {

[[noreturn]] void Die(const char* fmt, const char* arg = "") {
  std::fprintf(stderr, "driver: ");
  std::fprintf(stderr, fmt, arg);
  std::fprintf(stderr, " (%s)\n", std::strerror(errno));
  std::exit(1);
}

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// ---------------------------------------------------------------- options
struct Options {
  std::vector<std::string> env;  // K=V overrides
  std::string stderr_file = "/dev/null";
  std::vector<std::string> cmd;
  int runs = 10;
  int warmup = 1;
  long n = 1000;
  double dup = 0.25;
  std::string origin = "https://chat.example";
  std::string word = "zebrafish";
  int every = 1000;  // one prompt in `every` carries `word`
  int repeat = 200;
  int idle_ms = 0;
  std::string configure;  // JSON of the configure request (sync)
  long expect = 0;        // sync: videos to wait for
  int timeout_s = 300;
  long seed = 1;
  std::string latency_out;  // file for per-request samples (ns, one per line)
  std::vector<std::string> requests;  // lat: label=JSON
  long long bytes = 1LL << 30;        // media: the file's size
};

Options Parse(int argc, char** argv, int start) {
  Options o;
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for %s", a.c_str());
      return argv[++i];
    };
    if (a == "--") {
      for (++i; i < argc; ++i) o.cmd.push_back(argv[i]);
      break;
    } else if (a == "--env") o.env.push_back(next());
    else if (a == "--stderr") o.stderr_file = next();
    else if (a == "--runs") o.runs = std::stoi(next());
    else if (a == "--warmup") o.warmup = std::stoi(next());
    else if (a == "--n") o.n = std::stol(next());
    else if (a == "--dup") o.dup = std::stod(next());
    else if (a == "--origin") o.origin = next();
    else if (a == "--word") o.word = next();
    else if (a == "--every") o.every = std::stoi(next());
    else if (a == "--repeat") o.repeat = std::stoi(next());
    else if (a == "--idle-ms") o.idle_ms = std::stoi(next());
    else if (a == "--configure") o.configure = next();
    else if (a == "--expect") o.expect = std::stol(next());
    else if (a == "--timeout") o.timeout_s = std::stoi(next());
    else if (a == "--seed") o.seed = std::stol(next());
    else if (a == "--latency-out") o.latency_out = next();
    else if (a == "--request") o.requests.push_back(next());
    else if (a == "--bytes") o.bytes = std::stoll(next());
    else Die("unknown option %s", a.c_str());
  }
  if (o.cmd.empty()) Die("no command after --%s", "");
  return o;
}

// ---------------------------------------------------------------- child
struct Child {
  pid_t pid = -1;
  int in = -1;   // we write the host's stdin
  int out = -1;  // we read the host's stdout
};

std::vector<std::string> BuildEnv(const Options& o) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& ov : o.env)
      if (kv.substr(0, kv.find('=') + 1) == std::string_view(ov).substr(0, ov.find('=') + 1)) overridden = true;
    if (!overridden) env.emplace_back(kv);
  }
  for (const auto& ov : o.env) env.push_back(ov);
  return env;
}

struct SpawnSpec {
  std::vector<char*> argv, envp;
  std::vector<std::string> env_store;
  int errfd = -1;
};

SpawnSpec PrepareSpawn(const Options& o) {
  SpawnSpec s;
  s.env_store = BuildEnv(o);
  for (auto& c : o.cmd) s.argv.push_back(const_cast<char*>(c.c_str()));
  s.argv.push_back(nullptr);
  for (auto& e : s.env_store) s.envp.push_back(const_cast<char*>(e.c_str()));
  s.envp.push_back(nullptr);
  s.errfd = ::open(o.stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (s.errfd < 0) Die("cannot open %s", o.stderr_file.c_str());
  return s;
}

Child Spawn(const SpawnSpec& s, bool pipes = true) {
  int to_child[2], from_child[2];
  if (pipes) {
    if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) Die("pipe%s", "");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (pipes) {
    posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
  }
  posix_spawn_file_actions_adddup2(&fa, s.errfd, 2);
  Child c;
  int rc = posix_spawnp(&c.pid, s.argv[0], &fa, nullptr, s.argv.data(), s.envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    Die("cannot spawn %s", s.argv[0]);
  }
  if (pipes) {
    ::close(to_child[0]);
    ::close(from_child[1]);
    c.in = to_child[1];
    c.out = from_child[0];
  }
  return c;
}

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Die("write to host%s", "");
    }
    p += w;
    n -= size_t(w);
  }
}

void AppendFrame(std::string& buf, std::string_view json) {
  uint32_t len = uint32_t(json.size());
  buf.append(reinterpret_cast<const char*>(&len), 4);  // native byte order
  buf.append(json);
}

// Buffered frame reader.
struct Reader {
  int fd;
  std::vector<char> buf = std::vector<char>(1 << 20);
  size_t start = 0, end = 0;
  // Whether a whole frame is buffered (Next returns it without reading).
  bool HasFrame() const {
    if (end - start < 4) return false;
    uint32_t len;
    std::memcpy(&len, buf.data() + start, 4);
    return end - start >= 4 + size_t(len);
  }
  // Returns false at EOF. `frame` views into the buffer until the next call.
  bool Next(std::string_view& frame) {
    while (true) {
      if (end - start >= 4) {
        uint32_t len;
        std::memcpy(&len, buf.data() + start, 4);
        if (end - start >= 4 + size_t(len)) {
          frame = std::string_view(buf.data() + start + 4, len);
          start += 4 + len;
          return true;
        }
        if (4 + size_t(len) > buf.size()) buf.resize(4 + size_t(len) + (1 << 16));
      }
      if (start > 0 && (end == buf.size() || start == end)) {
        std::memmove(buf.data(), buf.data() + start, end - start);
        end -= start;
        start = 0;
      }
      ssize_t r = ::read(fd, buf.data() + end, buf.size() - end);
      if (r < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (r == 0) return false;
      end += size_t(r);
    }
  }
};

bool HasId(std::string_view f) { return f.find("\"id\":") != std::string_view::npos; }
bool IsOk(std::string_view f) {
  return f.find("\"ok\":true") != std::string_view::npos || f.find("\"ok\": true") != std::string_view::npos;
}
long IdNumber(std::string_view f) {
  size_t p = f.find("\"id\":");
  if (p == std::string_view::npos) return -1;
  p += 5;
  while (p < f.size() && f[p] == ' ') ++p;
  long v = 0;
  bool any = false;
  while (p < f.size() && f[p] >= '0' && f[p] <= '9') { v = v * 10 + (f[p] - '0'); ++p; any = true; }
  return any ? v : -1;
}
std::string_view StringField(std::string_view f, std::string_view key) {
  std::string pat = "\"" + std::string(key) + "\":";
  size_t p = f.find(pat);
  if (p == std::string_view::npos) return {};
  p += pat.size();
  while (p < f.size() && f[p] == ' ') ++p;
  if (p >= f.size() || f[p] != '"') return {};
  size_t q = f.find('"', p + 1);
  if (q == std::string_view::npos) return {};
  return f.substr(p + 1, q - p - 1);
}

int WaitChild(Child& c, rusage* ru = nullptr) {
  if (c.in >= 0) { ::close(c.in); c.in = -1; }
  int status = 0;
  rusage tmp;
  while (wait4(c.pid, &status, 0, ru ? ru : &tmp) < 0 && errno == EINTR) {}
  if (c.out >= 0) { ::close(c.out); c.out = -1; }
  return status;
}

long ProcStatusKb(pid_t pid, const char* key) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", int(pid));
  FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t kl = std::strlen(key);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, key, kl) == 0 && line[kl] == ':') { v = std::strtol(line + kl + 1, nullptr, 10); break; }
  std::fclose(f);
  return v;
}

// On-CPU time of every thread of pid, in ns (schedstat: ns resolution).
int64_t CpuNs(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/task", int(pid));
  DIR* d = opendir(path);
  if (!d) return -1;
  int64_t total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char p2[320];
    std::snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", int(pid), e->d_name);
    FILE* f = std::fopen(p2, "r");
    if (!f) continue;
    long long ns = 0;
    if (std::fscanf(f, "%lld", &ns) == 1) total += ns;
    std::fclose(f);
  }
  closedir(d);
  return total;
}
// utime+stime from /proc/PID/stat (clock ticks), in seconds.
double CpuTicksS(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
  FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  char buf[2048];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  unsigned long ut = 0, st = 0;
  // fields after ')': state(3) ... utime(14) stime(15)
  std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
  return double(ut + st) / double(sysconf(_SC_CLK_TCK));
}

std::string Json(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if (static_cast<unsigned char>(c) < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += c;
  }
  return o + "\"";
}

std::string NsArray(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

const char kHello[] = R"({"type":"hello","id":"h","extension_version":"bench"})";

// Spawn + hello; returns the time of the answer.
Child StartAndHello(const SpawnSpec& s, int64_t* t_spawn = nullptr, int64_t* t_hello = nullptr,
                    Reader** reader_out = nullptr) {
  std::string hello;
  AppendFrame(hello, kHello);
  int64_t t0 = NowNs();
  Child c = Spawn(s);
  WriteAll(c.in, hello.data(), hello.size());
  auto* r = new Reader{c.out};
  std::string_view f;
  while (true) {
    if (!r->Next(f)) Die("host closed before answering hello%s", "");
    if (HasId(f)) break;
  }
  int64_t t1 = NowNs();
  if (!IsOk(f)) {
    std::fprintf(stderr, "hello answer: %.*s\n", int(f.size()), f.data());
    Die("hello refused%s", "");
  }
  if (t_spawn) *t_spawn = t0;
  if (t_hello) *t_hello = t1;
  if (reader_out) *reader_out = r; else delete r;
  return c;
}

// ---------------------------------------------------------------- workload
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

const char* kWords[] = {
    "a", "cat", "dog", "surfing", "wave", "sunset", "over", "the", "city", "neon", "rain", "slow", "motion",
    "drone", "shot", "of", "mountain", "lake", "forest", "cinematic", "close", "up", "portrait", "robot",
    "dancing", "in", "street", "golden", "hour", "timelapse", "clouds", "ocean", "beach", "astronaut",
    "walking", "on", "moon", "desert", "storm", "lightning", "snow", "falling", "train", "station", "vintage",
    "film", "grain", "aerial", "view", "river", "bridge", "night", "market", "lanterns", "dragon", "flying",
    "castle", "medieval", "knight", "horse", "running", "field", "flowers", "spring", "autumn", "leaves",
    "coffee", "cup", "steam", "kitchen", "chef", "cooking", "pasta", "painting", "watercolor", "style",
    "anime", "girl", "boy", "smiling", "crowd", "concert", "lights", "fireworks", "celebration", "underwater",
    "coral", "reef", "turtle", "swimming", "jellyfish", "glowing", "space", "station", "planet", "rings",
    "galaxy", "spiral", "tiny", "giant", "old", "man", "woman", "child", "playing", "piano", "guitar",
    "violin", "jazz", "club", "smoke", "fog", "mist", "morning", "window", "reflection", "mirror", "glass",
    "car", "chase", "highway", "bicycle", "skateboard", "park", "fountain", "birds", "eagle", "soaring",
    "wolf", "howling", "fox", "rabbit", "garden", "butterfly", "macro", "photography", "hyperrealistic",
    "4k", "8k", "epic", "dramatic", "lighting", "soft", "warm", "cold", "blue", "red", "green", "purple"};
constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);

std::string Hex(Rng& r, int n) {
  static const char* h = "0123456789abcdef";
  std::string s;
  s.reserve(n);
  for (int i = 0; i < n; ++i) s += h[r.Below(16)];
  return s;
}

std::string ChatId(uint64_t k) {
  // UUID-shaped, deterministic per chat number.
  Rng r{k * 7919 + 17};
  std::string h = Hex(r, 32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-8" + h.substr(17, 3) + "-" +
         h.substr(20, 12);
}

// The workload: request i (1-based id) is a video; every 1/dup-th request
// repeats an earlier video with a fresh signature (the canonical URL, so the
// video, stays the same).
std::string BuildVideos(const Options& o, std::vector<size_t>* frame_ends) {
  Rng rng{uint64_t(o.seed)};
  std::string out;
  out.reserve(size_t(o.n) * 1200);
  long unique = 0;
  const long chats = 200;
  std::vector<std::string> chat_ids;
  for (long c = 0; c < chats; ++c) chat_ids.push_back(ChatId(uint64_t(c)));
  char buf[8192];
  double dup_acc = 0;
  for (long i = 0; i < o.n; ++i) {
    dup_acc += o.dup;
    long u;
    bool is_dup = false;
    if (dup_acc >= 1.0 && unique > 0) {
      dup_acc -= 1.0;
      u = long(rng.Below(uint64_t(unique)));
      is_dup = true;
    } else {
      u = unique++;
    }
    Rng vr{uint64_t(u) * 1000003 + uint64_t(o.seed)};  // per-video, same for its duplicates
    const std::string& chat = chat_ids[size_t(vr.Below(chats))];
    std::string asset = Hex(vr, 24);
    // Prompt: 6..14 words; one video in `every` carries the search word.
    std::string prompt;
    int words = 6 + int(vr.Below(9));
    int at = (o.every > 0 && u % o.every == o.every / 2) ? int(vr.Below(uint64_t(words))) : -1;
    for (int w = 0; w < words; ++w) {
      if (w) prompt += ' ';
      prompt += (w == at) ? o.word : kWords[vr.Below(kWordCount)];
    }
    // Signature differs on every sighting, duplicates included.
    std::string sig = Hex(rng, 64);
    int day = 10 + int(rng.Below(18));
    int len = std::snprintf(
        buf, sizeof buf,
        "{\"type\":\"video\",\"id\":%ld,\"video\":{"
        "\"url\":\"https://cdn.example.com/generations/%s/%ld.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAEXAMPLE%%2F202611%02d%%2Fus-east-1%%2Fs3%%2Faws4_request&X-Amz-Date=202611%02dT100000Z"
        "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=%s\","
        "\"thumbnail_url\":\"https://cdn.example.com/generations/%s/%ld.webp\","
        "\"prompt\":\"%s\",\"chat_id\":\"%s\",\"source\":\"sse\","
        "\"page_url\":\"%s/chat/%s\",\"observed_at\":\"2026-11-%02dT10:%02d:%02dZ\","
        "\"meta\":{\"duration_s\":5.0,\"width\":1280,\"height\":720,\"model\":\"video-gen-1\"}}}",
        i + 1, asset.c_str(), u, day, day, sig.c_str(), asset.c_str(), u, prompt.c_str(), chat.c_str(),
        o.origin.c_str(), chat.c_str(), day, int(i / 60 % 60), int(i % 60));
    (void)is_dup;
    AppendFrame(out, std::string_view(buf, size_t(len)));
    if (frame_ends) frame_ends->push_back(out.size());
  }
  return out;
}

// ---------------------------------------------------------------- cold
int Cold(const Options& o) {
  SpawnSpec s = PrepareSpawn(o);
  std::vector<int64_t> samples;
  long idle_rss = -1, hello_rss = -1;
  for (int r = 0; r < o.warmup + o.runs; ++r) {
    int64_t t0, t1;
    Child c = StartAndHello(s, &t0, &t1);
    if (r >= o.warmup) samples.push_back(t1 - t0);
    if (r == o.warmup + o.runs - 1) {
      hello_rss = ProcStatusKb(c.pid, "VmRSS");
      if (o.idle_ms > 0) {
        usleep(useconds_t(o.idle_ms) * 1000);
        idle_rss = ProcStatusKb(c.pid, "VmRSS");
      }
    }
    WaitChild(c);
  }
  std::printf("{\"samples_ns\":%s,\"rss_after_hello_kb\":%ld,\"idle_rss_kb\":%ld,\"idle_ms\":%d}\n",
              NsArray(samples).c_str(), hello_rss, idle_rss, o.idle_ms);
  return 0;
}

// ---------------------------------------------------------------- ingest
int Ingest(const Options& o) {
  std::vector<size_t> ends;
  std::string frames = BuildVideos(o, &ends);
  SpawnSpec s = PrepareSpawn(o);
  Reader* reader = nullptr;
  int64_t ts, th;
  Child c = StartAndHello(s, &ts, &th, &reader);
  const long n = o.n;
  std::vector<int64_t> sent(size_t(n), 0), acked(size_t(n), 0);
  std::atomic<long> peak_sampled{-1};
  std::atomic<bool> done{false};

  // RSS sampler (VmHWM is the kernel's own peak; the sampler only adds a curve).
  std::thread sampler([&] {
    long peak = -1;
    while (!done.load()) {
      long v = ProcStatusKb(c.pid, "VmRSS");
      if (v > peak) peak = v;
      usleep(5000);
    }
    peak_sampled = peak;
  });

  long answered = 0, ok = 0, events = 0, duplicates = 0;
  int64_t t_last = 0;
  std::thread rd([&] {
    std::string_view f;
    while (answered < n && reader->Next(f)) {
      if (!HasId(f)) { ++events; continue; }
      long id = IdNumber(f);
      int64_t t = NowNs();
      if (id >= 1 && id <= n) acked[size_t(id - 1)] = t;
      ++answered;
      if (IsOk(f)) ++ok;
      if (f.find("\"duplicate\":true") != std::string_view::npos) ++duplicates;
      t_last = t;
    }
  });

  const int64_t t0 = NowNs();
  // Written back to back in chunks of 64 frames; a frame's send time is the
  // moment the write that carried its last byte began.
  size_t pos = 0;
  for (long i = 0; i < n;) {
    long j = std::min(n, i + 64);
    int64_t t = NowNs();
    for (long k = i; k < j; ++k) sent[size_t(k)] = t;
    WriteAll(c.in, frames.data() + pos, ends[size_t(j - 1)] - pos);
    pos = ends[size_t(j - 1)];
    i = j;
  }
  const int64_t t_written = NowNs();
  rd.join();
  long hwm = ProcStatusKb(c.pid, "VmHWM");
  long rss_end = ProcStatusKb(c.pid, "VmRSS");
  int64_t cpu = CpuNs(c.pid);
  done = true;
  sampler.join();
  long idle_rss = -1;
  if (o.idle_ms > 0) {
    usleep(useconds_t(o.idle_ms) * 1000);
    idle_rss = ProcStatusKb(c.pid, "VmRSS");
  }
  int64_t t_close = NowNs();
  int status = WaitChild(c);
  int64_t t_exit = NowNs();
  if (!o.latency_out.empty()) {
    FILE* lf = std::fopen(o.latency_out.c_str(), "w");
    if (lf) {
      for (long i = 0; i < n; ++i) std::fprintf(lf, "%" PRId64 "\n", acked[size_t(i)] - sent[size_t(i)]);
      std::fclose(lf);
    }
  }
  std::vector<int64_t> lat;
  for (long i = 0; i < n; ++i) if (acked[size_t(i)]) lat.push_back(acked[size_t(i)] - sent[size_t(i)]);
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat.empty() ? 0 : lat[std::min(lat.size() - 1, size_t(p * double(lat.size())))]; };
  std::printf(
      "{\"n\":%ld,\"bytes\":%zu,\"answered\":%ld,\"ok\":%ld,\"duplicates\":%ld,\"events\":%ld,"
      "\"hello_ns\":%" PRId64 ",\"elapsed_ns\":%" PRId64 ",\"write_ns\":%" PRId64 ",\"exit_after_close_ns\":%" PRId64 ","
      "\"vm_hwm_kb\":%ld,\"rss_end_kb\":%ld,\"rss_peak_sampled_kb\":%ld,\"idle_rss_kb\":%ld,\"cpu_ns\":%" PRId64 ","
      "\"exit_status\":%d,\"lat_p50_ns\":%" PRId64 ",\"lat_p99_ns\":%" PRId64 ",\"lat_max_ns\":%" PRId64 "}\n",
      n, frames.size(), answered, ok, duplicates, events, th - ts, t_last - t0, t_written - t0, t_exit - t_close,
      hwm, rss_end, peak_sampled.load(), idle_rss, cpu, status, pct(0.5), pct(0.99), lat.empty() ? 0 : lat.back());
  delete reader;
  return answered == n ? 0 : 1;
}

// ---------------------------------------------------------------- lat
int Lat(const Options& o) {
  SpawnSpec s = PrepareSpawn(o);
  Reader* reader = nullptr;
  Child c = StartAndHello(s, nullptr, nullptr, &reader);
  std::string out = "{";
  long id = 1;
  for (size_t q = 0; q < o.requests.size(); ++q) {
    const std::string& spec = o.requests[q];
    size_t eq = spec.find('=');
    std::string label = spec.substr(0, eq), body = spec.substr(eq + 1);  // body: JSON without id, e.g. {"type":"list","limit":50}
    std::vector<int64_t> samples;
    size_t answer_bytes = 0;
    std::string first_answer;
    for (int r = 0; r < o.warmup + o.repeat; ++r) {
      std::string json = body.substr(0, body.size() - 1) + ",\"id\":" + std::to_string(id) + "}";
      std::string fr;
      AppendFrame(fr, json);
      int64_t t0 = NowNs();
      WriteAll(c.in, fr.data(), fr.size());
      std::string_view f;
      while (true) {
        if (!reader->Next(f)) Die("host closed during %s", label.c_str());
        if (HasId(f) && IdNumber(f) == id) break;
      }
      int64_t t1 = NowNs();
      if (!IsOk(f)) {
        std::fprintf(stderr, "%s answer: %.*s\n", label.c_str(), int(std::min<size_t>(f.size(), 400)), f.data());
        Die("request refused%s", "");
      }
      answer_bytes = f.size();
      if (r == 0) first_answer = std::string(f.substr(0, 300));
      if (r >= o.warmup) samples.push_back(t1 - t0);
      ++id;
    }
    size_t results = 0;
    // count records in the last answer: occurrences of "video_id"
    // (approximate; used for sanity only)
    if (q < o.requests.size()) {
      std::string_view fa = first_answer;
      (void)fa;
    }
    (void)results;
    if (q) out += ',';
    out += Json(label) + ":{\"samples_ns\":" + NsArray(samples) + ",\"answer_bytes\":" +
           std::to_string(answer_bytes) + ",\"answer_head\":" + Json(first_answer) + "}";
  }
  out += ",\"rss_kb\":" + std::to_string(ProcStatusKb(c.pid, "VmRSS")) + "}";
  WaitChild(c);
  delete reader;
  std::printf("%s\n", out.c_str());
  return 0;
}

// ---------------------------------------------------------------- sync
int Sync(const Options& o) {
  SpawnSpec s = PrepareSpawn(o);
  Reader* reader = nullptr;
  Child c = StartAndHello(s, nullptr, nullptr, &reader);
  std::string fr;
  AppendFrame(fr, o.configure);
  const int64_t cpu0 = CpuNs(c.pid);
  const double tick0 = CpuTicksS(c.pid);
  const int64_t t0 = NowNs();
  WriteAll(c.in, fr.data(), fr.size());
  std::unordered_set<std::string> synced;
  long events = 0, other_states = 0;
  int64_t t_last = 0, t_first = 0;
  bool configured = false;
  std::vector<int64_t> progress;  // time of every 500th synced video
  // Read with a deadline.
  const int64_t deadline = t0 + int64_t(o.timeout_s) * 1000000000LL;
  std::string_view f;
  bool timed_out = false;
  while (long(synced.size()) < o.expect) {
    // Only poll when the buffer holds no complete frame.
    if (!reader->HasFrame()) {
      pollfd p{c.out, POLLIN, 0};
      int64_t left = deadline - NowNs();
      if (left <= 0) { timed_out = true; break; }
      int pr = ::poll(&p, 1, int(std::min<int64_t>(left / 1000000 + 1, 1000)));
      if (pr == 0) continue;
    }
    if (!reader->Next(f)) break;
    if (HasId(f)) { configured = configured || IsOk(f); continue; }
    ++events;
    if (StringField(f, "type") != "sync_state") continue;
    if (StringField(f, "sync") == "synced") {
      if (synced.insert(std::string(StringField(f, "video_id"))).second) {
        t_last = NowNs();
        if (synced.size() == 1) t_first = t_last;
        if (synced.size() % 500 == 0) progress.push_back(t_last - t0);
      }
    } else {
      ++other_states;
    }
  }
  const int64_t cpu1 = CpuNs(c.pid);
  const double tick1 = CpuTicksS(c.pid);
  long hwm = ProcStatusKb(c.pid, "VmHWM");
  // Status, for the record.
  std::string st;
  AppendFrame(st, R"({"type":"status","id":"st"})");
  WriteAll(c.in, st.data(), st.size());
  std::string status_answer;
  while (reader->Next(f)) {
    if (HasId(f)) { status_answer = std::string(f); break; }
  }
  rusage ru{};
  WaitChild(c, &ru);
  std::printf(
      "{\"expect\":%ld,\"synced\":%zu,\"configured\":%s,\"timed_out\":%s,\"events\":%ld,\"other_state_events\":%ld,"
      "\"elapsed_ns\":%" PRId64 ",\"first_ns\":%" PRId64 ",\"cpu_ns\":%" PRId64 ",\"cpu_ticks_s\":%.3f,"
      "\"vm_hwm_kb\":%ld,\"progress_ns\":%s,\"status\":%s,"
      "\"total_rusage_user_s\":%.6f,\"total_rusage_sys_s\":%.6f}\n",
      o.expect, synced.size(), configured ? "true" : "false", timed_out ? "true" : "false", events, other_states,
      t_last - t0, t_first ? t_first - t0 : 0, cpu1 - cpu0, tick1 - tick0, hwm, NsArray(progress).c_str(),
      status_answer.empty() ? "null" : status_answer.c_str(), double(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6,
      double(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6);
  delete reader;
  return timed_out ? 1 : 0;
}

// ---------------------------------------------------------------- media
// A loopback HTTP/1.1 server in this process, one thread per connection:
// /bench.mp4 is `size` bytes made block by block (1 MiB blocks of one
// xorshift block, each stamped with its index, an ISO-BMFF ftyp box first so
// it is sniffed as video/mp4), with Content-Length, a strong ETag and Range
// (bytes=N-); /thumb.jpg is 4 KiB starting with a JPEG marker. Nothing is
// read from disk and nothing is held but one block, so the server's cost is a
// memcpy of 32 bytes and a write() per MiB.
class MediaServer {
 public:
  static constexpr size_t kBlock = 1 << 20;
  static constexpr long long kBlockLL = 1 << 20;

  explicit MediaServer(long long size) : size_(size), base_(kBlock) {
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < kBlock; i += 4) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      std::memcpy(base_.data() + i, &x, 4);
    }
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_ < 0) Die("socket%s", "");
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) || ::listen(listen_, 16)) Die("bind/listen%s", "");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~MediaServer() {
    stop_ = true;
    acceptor_.join();
    ::close(listen_);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : conns_) t.join();
  }

  int port() const { return port_; }
  long long size() const { return size_; }

  // Block k of the file (its first `n` bytes) into `out`.
  void Block(size_t k, char* out, size_t n) const {
    std::memcpy(out, base_.data(), n);
    uint64_t stamp = k;
    if (n >= 8) std::memcpy(out, &stamp, 8);
    static const unsigned char kFtyp[24] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm',
                                            0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'};
    if (k == 0) std::memcpy(out, kFtyp, std::min<size_t>(n, sizeof kFtyp));
  }

  // SHA-256 (hex) of the whole file, made the same way it is served.
  std::string Sha256() const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::vector<char> buf(kBlock);
    for (long long at = 0; at < size_; at += kBlockLL) {
      size_t n = size_t(std::min<long long>(size_ - at, kBlockLL));
      Block(size_t(at / kBlockLL), buf.data(), n);
      EVP_DigestUpdate(ctx.get(), buf.data(), n);
    }
    unsigned char d[32];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(ctx.get(), d, &dl);
    std::string hex;
    char h[3];
    for (unsigned i = 0; i < dl; ++i) { std::snprintf(h, sizeof h, "%02x", d[i]); hex += h; }
    return hex;
  }

  std::atomic<int64_t> first_byte_ns{0}, last_byte_ns{0};
  std::atomic<long long> sent{0};
  std::atomic<int> requests{0}, ranged{0};

 private:
  void Accept() {
    while (!stop_) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      conns_.emplace_back([this, fd] { Serve(fd); ::close(fd); });
    }
  }

  bool Send(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= size_t(w);
    }
    return true;
  }

  void Serve(int fd) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) return;
      req.append(buf, size_t(r));
    }
    ++requests;
    const bool thumb = req.compare(0, 14, "GET /thumb.jpg") == 0;
    const long long total = thumb ? 4096 : size_;
    long long from = 0;
    std::string lower = req;
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (size_t at = lower.find("\r\nrange: bytes="); at != std::string::npos && !thumb) {
      from = std::atoll(lower.c_str() + at + 15);
      if (from < 0 || from >= total) from = 0;
      if (from > 0) ++ranged;
    }
    char head[512];
    int hl = from > 0
        ? std::snprintf(head, sizeof head,
                        "HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\nContent-Length: %lld\r\n"
                        "Content-Range: bytes %lld-%lld/%lld\r\nAccept-Ranges: bytes\r\nETag: \"bench-1\"\r\n"
                        "Connection: close\r\n\r\n", total - from, from, total - 1, total)
        : std::snprintf(head, sizeof head,
                        "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\nAccept-Ranges: bytes\r\n"
                        "ETag: \"bench-1\"\r\nConnection: close\r\n\r\n", thumb ? "image/jpeg" : "video/mp4", total);
    if (!Send(fd, head, size_t(hl))) return;
    std::vector<char> block(kBlock);
    if (thumb) {
      std::memcpy(block.data(), base_.data(), 4096);
      block[0] = char(0xff); block[1] = char(0xd8); block[2] = char(0xff);
      Send(fd, block.data(), 4096);
      return;
    }
    int64_t expected = 0;
    first_byte_ns.compare_exchange_strong(expected, NowNs());
    for (long long at = from; at < total;) {
      const size_t k = size_t(at / kBlockLL);
      const size_t in = size_t(at % kBlockLL);
      const size_t n = size_t(std::min<long long>(total - (long long)(k * kBlock), kBlockLL));
      Block(k, block.data(), n);
      if (!Send(fd, block.data() + in, n - in)) return;
      at += (long long)(n - in);
      sent += (long long)(n - in);
    }
    last_byte_ns = NowNs();
  }

  long long size_;
  std::vector<char> base_;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

// Saves one video whose URL is on the loopback server and times the host's
// downloader: request written -> `media_state` video `cached`. VmRSS is
// sampled every 20 ms, VmHWM read at the end; the file's SHA-256 must match.
int Media(const Options& o) {
  MediaServer server(o.bytes);
  const int64_t h0 = NowNs();
  const std::string expected = server.Sha256();
  const int64_t hash_ns = NowNs() - h0;
  SpawnSpec s = PrepareSpawn(o);
  Reader* reader = nullptr;
  Child c = StartAndHello(s, nullptr, nullptr, &reader);
  char body[1024];
  std::snprintf(body, sizeof body,
                "{\"type\":\"video\",\"id\":\"v\",\"video\":{"
                "\"url\":\"http://127.0.0.1:%d/bench.mp4?X-Amz-Expires=3600&X-Amz-Signature=%016llx\","
                "\"thumbnail_url\":\"http://127.0.0.1:%d/thumb.jpg\",\"prompt\":\"bench download\","
                "\"source\":\"manual\",\"observed_at\":\"2026-11-25T00:00:00Z\"}}",
                server.port(), (unsigned long long)h0, server.port());
  std::string fr;
  AppendFrame(fr, body);
  const int64_t cpu0 = CpuNs(c.pid);
  const int64_t t0 = NowNs();
  WriteAll(c.in, fr.data(), fr.size());
  const int64_t deadline = t0 + int64_t(o.timeout_s) * 1000000000LL;
  const long rss_before_kb = ProcStatusKb(c.pid, "VmRSS");
  long max_rss = rss_before_kb, hwm_download = 0;
  int64_t last_sample = 0, t_cached = 0, t_downloading = 0;
  long progress_events = 0;
  std::string state, sha, error, answer;
  bool timed_out = false;
  std::string_view f;
  while (t_cached == 0) {
    const int64_t now = NowNs();
    if (now - last_sample >= 20000000) {
      max_rss = std::max(max_rss, ProcStatusKb(c.pid, "VmRSS"));
      hwm_download = ProcStatusKb(c.pid, "VmHWM");
      last_sample = now;
    }
    if (!reader->HasFrame()) {
      if (now >= deadline) { timed_out = true; break; }
      pollfd p{c.out, POLLIN, 0};
      if (::poll(&p, 1, 20) == 0) continue;
    }
    if (!reader->Next(f)) break;
    if (HasId(f)) { answer = std::string(f); continue; }
    if (StringField(f, "type") != "media_state" || StringField(f, "kind") != "video") continue;
    state = std::string(StringField(f, "state"));
    if (state == "downloading") {
      ++progress_events;
      if (!t_downloading) t_downloading = NowNs();
    } else if (state == "cached") {
      t_cached = NowNs();
      // The high-water mark of the download itself: what follows (the
      // libavformat probe on the worker thread) is not the downloader's.
      hwm_download = ProcStatusKb(c.pid, "VmHWM");
      sha = std::string(StringField(f, "sha256"));
    } else if (state == "failed" || state == "not_cached") {
      error = std::string(StringField(f, "error"));
      if (state == "failed") break;
    }
  }
  const int64_t cpu1 = CpuNs(c.pid);
  // And after the probe, which starts once the file is cached (bounded wait).
  for (int i = 0; i < 100 && t_cached; ++i) {
    pollfd p{c.out, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0 && reader->Next(f) && StringField(f, "type") == "media_state" &&
        StringField(f, "kind") == "video" && f.find("\"info\"") != std::string_view::npos)
      break;
  }
  const long hwm = ProcStatusKb(c.pid, "VmHWM");
  max_rss = std::max(max_rss, ProcStatusKb(c.pid, "VmRSS"));
  rusage ru{};
  WaitChild(c, &ru);
  delete reader;
  const int64_t first = server.first_byte_ns.load(), last = server.last_byte_ns.load();
  std::printf(
      "{\"bytes\":%lld,\"cached\":%s,\"timed_out\":%s,\"sha_ok\":%s,\"sha256\":%s,\"expected_sha256\":%s,"
      "\"error\":%s,\"elapsed_ns\":%" PRId64 ",\"first_byte_ns\":%" PRId64 ",\"transfer_ns\":%" PRId64 ","
      "\"after_last_byte_ns\":%" PRId64 ",\"sent\":%lld,\"requests\":%d,\"ranged_requests\":%d,"
      "\"progress_events\":%ld,\"cpu_ns\":%" PRId64 ",\"vm_hwm_kb\":%ld,\"vm_hwm_after_probe_kb\":%ld,"
      "\"max_vm_rss_kb\":%ld,\"rss_before_kb\":%ld,"
      "\"server_hash_ns\":%" PRId64 ",\"answer\":%s}\n",
      server.size(), t_cached ? "true" : "false", timed_out ? "true" : "false",
      (t_cached && sha == expected) ? "true" : "false", Json(sha).c_str(), Json(expected).c_str(),
      Json(error).c_str(), t_cached ? t_cached - t0 : 0, first ? first - t0 : 0, last && first ? last - first : 0,
      t_cached && last ? t_cached - last : 0, server.sent.load(), server.requests.load(), server.ranged.load(),
      progress_events, cpu1 - cpu0, hwm_download, hwm, max_rss, rss_before_kb, hash_ns, answer.empty() ? "null" : answer.c_str());
  return t_cached && sha == expected ? 0 : 1;
}

// ---------------------------------------------------------------- run
int Run(const Options& o) {
  SpawnSpec s = PrepareSpawn(o);
  int64_t t0 = NowNs();
  Child c = Spawn(s, false);
  rusage ru{};
  int status = WaitChild(c, &ru);
  int64_t t1 = NowNs();
  std::printf("{\"elapsed_ns\":%" PRId64 ",\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kb\":%ld,\"exit_status\":%d}\n",
              t1 - t0, double(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6,
              double(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, status);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- gen
// Writes the workload frames to stdout (for inspection or other tools).
int Gen(const Options& o) {
  std::string frames = BuildVideos(o, nullptr);
  WriteAll(1, frames.data(), frames.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::fprintf(stderr, "usage: driver cold|ingest|lat|sync|run|media|gen [options] -- command args...\n");
    return 2;
  }
  std::string sub = argv[1];
  if (sub == "gen") {
    // gen needs no command
    std::vector<char*> a(argv, argv + argc);
    static char dd[] = "--", tru[] = "true";
    a.push_back(dd);
    a.push_back(tru);
    return Gen(Parse(int(a.size()), a.data(), 2));
  }
  Options o = Parse(argc, argv, 2);
  if (sub == "cold") return Cold(o);
  if (sub == "ingest") return Ingest(o);
  if (sub == "lat") return Lat(o);
  if (sub == "sync") return Sync(o);
  if (sub == "run") return Run(o);
  if (sub == "media") return Media(o);
  std::fprintf(stderr, "unknown subcommand %s\n", sub.c_str());
  return 2;
}
