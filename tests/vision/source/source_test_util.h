// Helpers for the source tests: the sample video, a sink that records what arrives, an ffmpeg
// child process (a live sender or a clip cutter) and free loopback ports.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "vision/base/frame.h"

extern char** environ;

namespace edgeserve::vision::testing {

inline const std::string kVtestPath = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
inline const std::string kFfmpegPath = "/usr/bin/ffmpeg";
constexpr int kVtestFrames = 795;

inline bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Polls `done` every 10 ms until it holds or `timeout_s` passes; returns whether it held.
inline bool wait_for(const std::function<bool()>& done, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  while (!done()) {
    if (seconds_since(start) > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// What the sink saw of each frame; pixels only for the sequences asked for (795 full frames
// would be a gigabyte).
struct SeenFrame {
  int64_t sequence;
  double pts_seconds;
  int width;
  int height;
  size_t bytes;
  std::chrono::steady_clock::time_point captured;
};

class Collector {
 public:
  explicit Collector(std::set<int64_t> keep_pixels_of = {}) : keep_(std::move(keep_pixels_of)) {}
  void operator()(Frame&& frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.push_back({frame.sequence, frame.pts_seconds, frame.width, frame.height,
                     frame.bgr ? frame.bgr->size() : 0, frame.captured});
    if (keep_.count(frame.sequence)) pixels_[frame.sequence] = frame.bgr;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.size();
  }
  std::vector<SeenFrame> seen() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }
  std::shared_ptr<const std::vector<uint8_t>> pixels(int64_t sequence) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pixels_.find(sequence);
    return it == pixels_.end() ? nullptr : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::set<int64_t> keep_;
  std::vector<SeenFrame> seen_;
  std::map<int64_t, std::shared_ptr<const std::vector<uint8_t>>> pixels_;
};

// A child process, killed (SIGKILL) and reaped when the object goes away.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() { kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Waits for the process to exit; its exit status, or -1.
  int wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

// A loopback port nobody listens on right now (SOCK_DGRAM or SOCK_STREAM).
inline int free_port(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// A fresh temporary directory for one test.
inline std::string make_temp_dir() {
  std::string pattern = "/tmp/edge_source_test_XXXXXX";
  return ::mkdtemp(pattern.data()) ? pattern : "/tmp";
}

// Runs ffmpeg quietly with `args`; true if it wrote `output`.
inline bool run_ffmpeg(std::vector<std::string> args, const std::string& output) {
  if (!file_exists(kFfmpegPath)) return false;
  args.insert(args.begin(), {kFfmpegPath, "-nostdin", "-loglevel", "error", "-y"});
  args.push_back(output);
  ChildProcess ffmpeg(args);
  return ffmpeg.started() && ffmpeg.wait() == 0 && file_exists(output);
}

// The first `frames` frames of vtest.avi stream-copied into `dir`/clip.avi (fast tests of loop
// and rate); "" when ffmpeg is missing or fails.
inline std::string make_clip(const std::string& dir, int frames) {
  const std::string path = dir + "/clip.avi";
  return run_ffmpeg({"-i", kVtestPath, "-frames:v", std::to_string(frames), "-c", "copy"}, path) ? path : "";
}

}  // namespace edgeserve::vision::testing
