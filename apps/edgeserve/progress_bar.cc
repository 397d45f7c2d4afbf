// Progress line (see progress_bar.h).
#include "apps/edgeserve/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace edgeserve::cli {

std::string format_progress(const std::string& label, int done, int total, double elapsed_s, int bar_width) {
  const double frac = total > 0 ? std::clamp(static_cast<double>(done) / total, 0.0, 1.0) : 1.0;
  const int filled = static_cast<int>(frac * bar_width);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < bar_width) bar += '>';
  bar.resize(static_cast<size_t>(bar_width), ' ');
  std::string line = str_cat(label, " [", bar, "] ", done, "/", total);
  if (done > 0 && elapsed_s > 0) {
    const double rate = done / elapsed_s;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "  %.1f/s  ETA %.0fs", rate, std::max(0, total - done) / rate);
    line += buf;
  }
  return line;
}

ProgressBar::ProgressBar(std::string label, std::FILE* out)
    : label_(std::move(label)), out_(out), tty_(isatty(fileno(out)) != 0), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int done, int total) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = format_progress(label_, done, total, elapsed);
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K%s", line.c_str(), done >= total ? "\n" : "");
  } else {
    const int decile = total > 0 ? done * 10 / total : 10;
    if (decile == last_decile_ && done < total) return;
    last_decile_ = decile;
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace edgeserve::cli
