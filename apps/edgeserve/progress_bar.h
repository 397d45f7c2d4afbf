// A progress line on stderr: "calibrating [=====>    ] 20/100  4.1/s  ETA 19s". On a terminal
// it redraws in place; otherwise it prints a plain line per ~10% so logs stay readable.
// Formatting is pure (format_progress); ProgressBar owns the clock and the stream.
// Not thread-safe: update() from one thread.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace edgeserve::cli {

// `done` of `total` after `elapsed_s` seconds; rate and ETA once something is done.
std::string format_progress(const std::string& label, int done, int total, double elapsed_s, int bar_width = 30);

class ProgressBar {
 public:
  ProgressBar(std::string label, std::FILE* out);
  void update(int done, int total);

 private:
  std::string label_;
  std::FILE* out_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace edgeserve::cli
