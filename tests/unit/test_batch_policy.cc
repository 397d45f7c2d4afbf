// decide_batch (the dynamic batcher's pure decision) with a fake clock, and RequestQueue's
// admission bounds, priorities and timeouts.
#include <gtest/gtest.h>

#include <thread>

#include "serving/scheduler/batch_policy.h"
#include "serving/scheduler/request_queue.h"

namespace edgeserve::serving {
namespace {

using std::chrono::microseconds;
using Kind = BatchDecision::Kind;

const TimePoint kT0 = TimePoint() + std::chrono::hours(1);

BatchPolicy batching(int max_batch, std::vector<int> preferred = {}, int delay_us = 1000) {
  return {max_batch, true, std::move(preferred), microseconds(delay_us)};
}

std::vector<QueuedRequestView> queue_of(std::vector<int64_t> rows, TimePoint first = kT0, uint64_t key = 0) {
  std::vector<QueuedRequestView> q;
  for (size_t i = 0; i < rows.size(); ++i) q.push_back({rows[i], key, first + microseconds(10 * i)});
  return q;
}

TEST(BatchPolicy, EmptyQueueIsIdle) {
  EXPECT_EQ(decide_batch({}, kT0, batching(8)).kind, Kind::kIdle);
}

TEST(BatchPolicy, UnbatchedModelsDispatchOneAtOnce) {
  const auto q = queue_of({1, 1, 1});
  BatchDecision d = decide_batch(q, kT0, BatchPolicy{0, false, {}, microseconds(0)});
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 1);
  BatchPolicy no_dynamic = batching(8);
  no_dynamic.dynamic_batching = false;
  EXPECT_EQ(decide_batch(q, kT0, no_dynamic).count, 1);
}

TEST(BatchPolicy, WaitsForTheDelayThenDispatchesWhatIsThere) {
  const auto q = queue_of({1, 1, 1});
  BatchDecision d = decide_batch(q, kT0 + microseconds(100), batching(8, {}, 1000));
  EXPECT_EQ(d.kind, Kind::kWait);
  EXPECT_EQ(d.wake_at, kT0 + microseconds(1000));
  d = decide_batch(q, kT0 + microseconds(1000), batching(8, {}, 1000));
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 3);
}

TEST(BatchPolicy, DispatchesAtOnceWhenFull) {
  const auto q = queue_of({2, 2, 2, 2, 1});
  BatchDecision d = decide_batch(q, kT0, batching(8));
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 4);  // 8 rows; the fifth request waits for the next batch
}

TEST(BatchPolicy, NextRequestThatDoesNotFitClosesTheBatch) {
  const auto q = queue_of({3, 3, 4});
  BatchDecision d = decide_batch(q, kT0, batching(8));
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 2);
}

TEST(BatchPolicy, PreferredSizeDispatchesWithoutWaiting) {
  BatchDecision d = decide_batch(queue_of({1, 1, 1, 1}), kT0, batching(8, {4}));
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 4);
  EXPECT_EQ(decide_batch(queue_of({1, 1, 1}), kT0, batching(8, {4})).kind, Kind::kWait);
}

TEST(BatchPolicy, DifferentShapesNeverShareABatch) {
  auto q = queue_of({1, 1});
  q.push_back({1, 42, kT0});
  BatchDecision d = decide_batch(q, kT0, batching(8));
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 2);
}

TEST(BatchPolicy, OversizedRequestRunsAlone) {
  BatchDecision d = decide_batch(queue_of({16, 1}), kT0, batching(8));
  EXPECT_EQ(d.kind, Kind::kDispatch);
  EXPECT_EQ(d.count, 1);
}

std::unique_ptr<PendingRequest> request(int priority = 0, int64_t timeout_us = 0) {
  auto r = std::make_unique<PendingRequest>();
  r->request.priority = priority;
  r->request.timeout_us = timeout_us;
  r->done = [](Result<InferResponse>) {};
  return r;
}

TEST(RequestQueue, RefusesBeyondItsBoundAtOnce) {
  QueuePolicy policy;
  policy.max_queue_size = 2;
  RequestQueue q(batching(8), policy);
  for (int i = 0; i < 2; ++i) {
    auto r = request();
    ASSERT_TRUE(q.push(r, Clock::now()).is_ok());
  }
  auto r = request();
  Status s = q.push(r, Clock::now());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("queue is full"), std::string::npos);
  EXPECT_NE(r, nullptr);  // the caller keeps the refused request
  EXPECT_EQ(q.size(), 2);
}

TEST(RequestQueue, HigherPriorityIsServedFirst) {
  QueuePolicy policy;
  policy.priority_levels = 2;
  policy.default_priority_level = 2;
  RequestQueue q(BatchPolicy{}, policy);
  auto low = request();
  low->request.id = "low";
  auto high = request(1);
  high->request.id = "high";
  ASSERT_TRUE(q.push(low, Clock::now()).is_ok());
  ASSERT_TRUE(q.push(high, Clock::now()).is_ok());
  PoppedBatch b = q.pop_batch();
  ASSERT_EQ(b.batch.size(), 1u);
  EXPECT_EQ(b.batch[0]->request.id, "high");
  auto bad = request(3);
  EXPECT_EQ(q.push(bad, Clock::now()).code(), StatusCode::kInvalidArgument);
}

TEST(RequestQueue, ExpiredRequestsAreHandedBackForRejection) {
  RequestQueue q(BatchPolicy{}, QueuePolicy{});
  auto r = request(0, 1);
  ASSERT_TRUE(q.push(r, Clock::now() - std::chrono::milliseconds(5)).is_ok());
  PoppedBatch b = q.pop_batch();
  EXPECT_TRUE(b.batch.empty());
  ASSERT_EQ(b.expired.size(), 1u);
  EXPECT_EQ(q.size(), 0);
}

TEST(RequestQueue, CloseDispatchesWhatIsQueuedWithoutWaiting) {
  RequestQueue q(batching(8, {}, 60'000'000), QueuePolicy{});
  auto r = request();
  ASSERT_TRUE(q.push(r, Clock::now()).is_ok());
  std::thread closer([&q] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.close();
  });
  PoppedBatch b = q.pop_batch();  // would wait a minute for more requests without close()
  closer.join();
  EXPECT_EQ(b.batch.size(), 1u);
  EXPECT_TRUE(q.pop_batch().closed);
  auto late = request();
  EXPECT_EQ(q.push(late, Clock::now()).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace edgeserve::serving
