// `edgeserve perf` load loops: the open-loop schedule and phases (pure), and both loops over a
// fake client that answers from its own thread, serially, like a one-worker server.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "apps/edgeserve/perf_runner.h"

namespace edgeserve::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Answers requests in order on one thread, each after `service`; with `answer` false it never
// answers (a hung server). shutdown() drops what is still queued.
class FakeClient : public PerfClient {
 public:
  FakeClient(PerfOutcome outcome, milliseconds service, bool answer = true)
      : outcome_(std::move(outcome)), service_(service), answer_(answer), worker_([this] { serve(); }) {}
  ~FakeClient() override { shutdown(); }

  void infer(PerfDone done) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++sent_;
    queue_.push_back(std::move(done));
    max_outstanding_ = std::max(max_outstanding_, queue_.size());
    wake_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      wake_.notify_one();
    }
    if (worker_.joinable()) worker_.join();
  }

  size_t max_outstanding() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_outstanding_;
  }
  int64_t sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  void serve() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return stop_ || (answer_ && !queue_.empty()); });
      if (stop_) return;
      lock.unlock();
      std::this_thread::sleep_for(service_);
      lock.lock();
      PerfDone done = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      done(outcome_);
      lock.lock();
    }
  }

  const PerfOutcome outcome_;
  const milliseconds service_;
  const bool answer_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<PerfDone> queue_;
  size_t max_outstanding_ = 0;
  int64_t sent_ = 0;
  bool stop_ = false;
  std::thread worker_;  // last: starts once the members it uses exist
};

const PerfOutcome kOk{true, "", ""};

PerfLoopLimits limits(milliseconds drain, int64_t max_outstanding = 4096) {
  PerfLoopLimits l;
  l.drain = drain;
  l.max_outstanding = max_outstanding;
  return l;
}

TEST(PerfSchedule, DueTimesFollowTheIndexWithoutDrift) {
  const PerfClock::time_point start{seconds(100)};
  EXPECT_EQ(open_loop_send_time(start, 1000, 0), start);
  EXPECT_EQ(open_loop_send_time(start, 1000, 1), start + milliseconds(1));
  EXPECT_EQ(open_loop_send_time(start, 1000, 1000), start + seconds(1));
  EXPECT_EQ(open_loop_send_time(start, 3, 1), start + nanoseconds(333'333'333));  // rounded to the nearest ns
  EXPECT_EQ(open_loop_send_time(start, 3, 3), start + seconds(1));
  EXPECT_EQ(open_loop_send_time(start, 0.5, 3), start + seconds(6));
  // A day at a million requests per second still lands on the nanosecond.
  EXPECT_EQ(open_loop_send_time(start, 1e6, int64_t{86400} * 1'000'000), start + seconds(86400));
  PerfClock::time_point previous = start;
  for (int64_t i = 1; i < 100000; ++i) {
    const PerfClock::time_point t = open_loop_send_time(start, 7777.7, i);
    ASSERT_GT(t, previous) << i;
    previous = t;
  }
}

TEST(PerfSchedule, Phases) {
  const PerfClock::time_point start{seconds(5)};
  const PerfPhases p = PerfPhases::starting_at(start, 2, 10);
  EXPECT_EQ(p.measure_start, start + seconds(2));
  EXPECT_EQ(p.end, start + seconds(12));
  EXPECT_DOUBLE_EQ(p.measured_s(), 10);
  EXPECT_FALSE(p.measured(start + milliseconds(1999)));
  EXPECT_TRUE(p.measured(start + seconds(2)));
  EXPECT_TRUE(p.measured(start + milliseconds(11999)));
  EXPECT_FALSE(p.measured(start + seconds(12)));
  const PerfPhases no_warmup = PerfPhases::starting_at(start, 0, 0.25);
  EXPECT_EQ(no_warmup.measure_start, start);
  EXPECT_EQ(no_warmup.end, start + milliseconds(250));
}

TEST(PerfResult, ErrorCountSumsKinds) {
  PerfResult r;
  r.errors["HTTP 503"] = {3, "full"};
  r.errors["timeout"] = {2, "late"};
  EXPECT_EQ(r.error_count(), 5);
}

TEST(PerfClosedLoop, KeepsConcurrencyRequestsOutstanding) {
  FakeClient client(kOk, milliseconds(2));
  const PerfPhases phases = PerfPhases::starting_at(PerfClock::now(), 0.05, 0.2);
  const PerfResult r = run_closed_loop(client, 3, phases, limits(milliseconds(2000)));
  EXPECT_EQ(client.max_outstanding(), 3u);
  EXPECT_GT(r.ok, 0);
  EXPECT_LT(r.ok, client.sent());  // warm-up sends are not counted
  EXPECT_EQ(r.error_count(), 0);
  EXPECT_EQ(r.latencies_ms.size(), static_cast<size_t>(r.ok));
  // Serial 2 ms service with 3 waiting: each answer takes about 3 services from its send.
  for (double ms : r.latencies_ms) EXPECT_GE(ms, 2.0);
  EXPECT_DOUBLE_EQ(r.measured_s, 0.2);
}

TEST(PerfClosedLoop, TalliesErrorsByKindWithTheFirstMessage) {
  FakeClient client(perf_error("HTTP 500", "boom"), milliseconds(1));
  const PerfResult r = run_closed_loop(client, 2, PerfPhases::starting_at(PerfClock::now(), 0, 0.1),
                                       limits(milliseconds(2000)));
  EXPECT_EQ(r.ok, 0);
  EXPECT_TRUE(r.latencies_ms.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_GT(r.errors.at("HTTP 500").count, 0);
  EXPECT_EQ(r.errors.at("HTTP 500").first_message, "boom");
}

TEST(PerfOpenLoop, SendsExactlyTheScheduleInTheWindow) {
  FakeClient client(kOk, milliseconds(0));
  // Due times k/1000 s: k in [50, 250) fall in the window, whatever the sleeps' precision.
  const PerfResult r = run_open_loop(client, 1000, PerfPhases::starting_at(PerfClock::now(), 0.05, 0.2),
                                     limits(milliseconds(2000)));
  EXPECT_EQ(r.ok, 200);
  EXPECT_EQ(r.error_count(), 0);
  EXPECT_EQ(client.sent(), 250);
}

TEST(PerfOpenLoop, LatencyRunsFromTheDueTime) {
  // 100 requests/s to a server that needs 20 ms each: the queue grows by one every 20 ms, and
  // the latency must show it (a closed loop would report ~20 ms throughout).
  FakeClient client(kOk, milliseconds(20));
  const PerfResult r = run_open_loop(client, 100, PerfPhases::starting_at(PerfClock::now(), 0, 0.3),
                                     limits(milliseconds(5000)));
  ASSERT_EQ(r.ok, 30);
  const double max_ms = *std::max_element(r.latencies_ms.begin(), r.latencies_ms.end());
  EXPECT_GE(max_ms, 250.0);  // the 30th: due at 290 ms, answered after 30 * 20 = 600 ms or later
}

TEST(PerfOpenLoop, BoundsOutstandingAndCountsTheUnanswered) {
  FakeClient hung(kOk, milliseconds(0), /*answer=*/false);
  // Due every 1 ms; the first 3 (in the warm-up) never return, so every measured send finds 3
  // outstanding and is refused.
  const PerfResult r = run_open_loop(hung, 1000, PerfPhases::starting_at(PerfClock::now(), 0.02, 0.1),
                                     limits(milliseconds(20), 3));
  EXPECT_EQ(hung.sent(), 3);
  EXPECT_EQ(r.ok, 0);
  ASSERT_EQ(r.errors.count("client overloaded"), 1u);
  EXPECT_EQ(r.errors.at("client overloaded").count, 100);
  EXPECT_EQ(r.errors.at("client overloaded").first_message, "more than 3 requests unanswered at once");
  EXPECT_EQ(r.errors.count("no answer"), 0u);  // the hung ones were sent in the warm-up
}

TEST(PerfOpenLoop, MeasuredSendsLeftUnansweredAreErrors) {
  FakeClient hung(kOk, milliseconds(0), /*answer=*/false);
  const PerfResult r = run_open_loop(hung, 1000, PerfPhases::starting_at(PerfClock::now(), 0, 0.05),
                                     limits(milliseconds(20)));
  EXPECT_EQ(r.ok, 0);
  ASSERT_EQ(r.errors.count("no answer"), 1u);
  EXPECT_EQ(r.errors.at("no answer").count, 50);
}

}  // namespace
}  // namespace edgeserve::cli
