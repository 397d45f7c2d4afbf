// Closed- and open-loop load over a PerfClient, with a thread-safe tally of the window's answers.
#include "apps/edgeserve/perf_runner.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/strings.h"

namespace edgeserve::cli {

namespace {

double ms_between(PerfClock::time_point from, PerfClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Collects outcomes from the client threads. Thread-safe.
class Recorder {
 public:
  // A measured request was sent; its outcome is expected through record().
  void note_sent() {
    std::lock_guard<std::mutex> lock(mu_);
    ++sent_;
  }

  void record(const PerfOutcome& o, double latency_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    ++answered_;
    if (o.ok) {
      ++result_.ok;
      result_.latencies_ms.push_back(latency_ms);
      return;
    }
    PerfErrorTally& t = result_.errors[o.error_kind];
    if (t.count++ == 0) t.first_message = o.error_message;
  }

  // Call once no record() can run any more; measured sends that got no outcome become errors.
  PerfResult take(const PerfPhases& phases) {
    std::lock_guard<std::mutex> lock(mu_);
    if (sent_ > answered_) {
      result_.errors["no answer"] = {sent_ - answered_, "still unanswered when the run ended"};
    }
    result_.measured_s = phases.measured_s();
    return std::move(result_);
  }

 private:
  std::mutex mu_;
  int64_t sent_ = 0;
  int64_t answered_ = 0;
  PerfResult result_;
};

// A count that can be waited on until it drops to zero. Thread-safe.
class Pending {
 public:
  void add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++n_;
  }
  void remove() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--n_ == 0) zero_.notify_all();
  }
  int64_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return n_;
  }
  void wait_zero_until(PerfClock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    zero_.wait_until(lock, deadline, [this] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable zero_;
  int64_t n_ = 0;
};

// C virtual clients; each one's answer callback sends its next request until the window ends.
class ClosedLoop {
 public:
  ClosedLoop(PerfClient& client, const PerfPhases& phases) : client_(client), phases_(phases) {}

  void start(int concurrency) {
    for (int i = 0; i < concurrency; ++i) active_.add();
    for (int i = 0; i < concurrency; ++i) send_next();
  }
  void wait_until(PerfClock::time_point deadline) { active_.wait_zero_until(deadline); }
  PerfResult take() { return recorder_.take(phases_); }

 private:
  void send_next() {
    const PerfClock::time_point sent = PerfClock::now();
    if (sent >= phases_.end) return active_.remove();
    const bool measured = phases_.measured(sent);
    if (measured) recorder_.note_sent();
    client_.infer([this, sent, measured](PerfOutcome o) {
      if (measured) recorder_.record(o, ms_between(sent, PerfClock::now()));
      send_next();
    });
  }

  PerfClient& client_;
  const PerfPhases phases_;
  Recorder recorder_;
  Pending active_;  // clients that have not seen the end of the window yet
};

}  // namespace

PerfClock::time_point open_loop_send_time(PerfClock::time_point start, double rate_per_s, int64_t index) {
  const std::chrono::duration<double> offset(static_cast<double>(index) / rate_per_s);
  return start + std::chrono::round<PerfClock::duration>(offset);
}

PerfPhases PerfPhases::starting_at(PerfClock::time_point start, double warmup_s, double duration_s) {
  PerfPhases p;
  p.start = start;
  p.measure_start = start + std::chrono::round<PerfClock::duration>(std::chrono::duration<double>(warmup_s));
  p.end = p.measure_start + std::chrono::round<PerfClock::duration>(std::chrono::duration<double>(duration_s));
  return p;
}

int64_t PerfResult::error_count() const {
  int64_t n = 0;
  for (const auto& [kind, tally] : errors) n += tally.count;
  return n;
}

PerfResult run_closed_loop(PerfClient& client, int concurrency, const PerfPhases& phases, const PerfLoopLimits& limits) {
  ClosedLoop loop(client, phases);
  loop.start(concurrency);
  loop.wait_until(phases.end + limits.drain);
  client.shutdown();
  return loop.take();
}

PerfResult run_open_loop(PerfClient& client, double rate_per_s, const PerfPhases& phases, const PerfLoopLimits& limits) {
  Recorder recorder;
  Pending outstanding;
  const PerfOutcome overloaded =
      perf_error("client overloaded", str_cat("more than ", limits.max_outstanding, " requests unanswered at once"));
  for (int64_t i = 0;; ++i) {
    const PerfClock::time_point due = open_loop_send_time(phases.start, rate_per_s, i);
    if (due >= phases.end) break;
    // A late wake-up sends at once: the schedule, not the sleep, decides what is due.
    std::this_thread::sleep_until(due);
    const bool measured = phases.measured(due);
    if (measured) recorder.note_sent();
    if (outstanding.count() >= limits.max_outstanding) {
      if (measured) recorder.record(overloaded, 0);
      continue;
    }
    outstanding.add();
    client.infer([&recorder, &outstanding, due, measured](PerfOutcome o) {
      if (measured) recorder.record(o, ms_between(due, PerfClock::now()));
      outstanding.remove();
    });
  }
  outstanding.wait_zero_until(phases.end + limits.drain);
  client.shutdown();
  return recorder.take(phases);
}

}  // namespace edgeserve::cli
