// Outbox: append/read/remove, persistence and order across reopen, the bound, bad paths.
#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.h"
#include "vision/events/outbox.h"

namespace edgeserve::vision {
namespace {

using testing::TempDir;

std::unique_ptr<Outbox> open_or_die(const std::string& path, int64_t max_events = 1'000'000) {
  auto outbox = Outbox::open({path, max_events});
  EXPECT_TRUE(outbox.is_ok()) << outbox.status().to_string();
  return outbox.is_ok() ? std::move(outbox).value() : nullptr;
}

TEST(Outbox, AppendReadRemove) {
  TempDir dir;
  auto outbox = open_or_die(dir.file("o.db"));
  ASSERT_NE(outbox, nullptr);
  auto a = outbox->append("t/a", std::string("p\0a", 3), true, "id-a");
  auto b = outbox->append("t/b", "pb", false, "id-b");
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_LT(a->seq, b->seq);
  EXPECT_EQ(outbox->depth(), 2);

  auto rows = outbox->read_after(0, 10);
  ASSERT_TRUE(rows.is_ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].id, "id-a");
  EXPECT_EQ((*rows)[0].topic, "t/a");
  EXPECT_EQ((*rows)[0].payload, std::string("p\0a", 3));  // payloads are bytes, not C strings
  EXPECT_TRUE((*rows)[0].retain);
  EXPECT_FALSE((*rows)[1].retain);

  auto after_a = outbox->read_after(a->seq, 10);
  ASSERT_EQ(after_a->size(), 1u);
  EXPECT_EQ((*after_a)[0].id, "id-b");
  EXPECT_EQ(outbox->read_after(0, 1)->size(), 1u);

  EXPECT_TRUE(outbox->remove(a->seq).is_ok());
  EXPECT_TRUE(outbox->remove(a->seq).is_ok());  // already gone: not an error, depth unchanged
  EXPECT_EQ(outbox->depth(), 1);
  EXPECT_EQ(outbox->read_after(0, 10)->front().id, "id-b");
}

TEST(Outbox, DuplicateIdIsRefusedAndTheBatchRolledBack) {
  TempDir dir;
  auto outbox = open_or_die(dir.file("o.db"));
  ASSERT_TRUE(outbox->append("t", "p", false, "same").is_ok());
  std::vector<OutboxMessage> batch{{0, "new", "t", "p", false}, {0, "same", "t", "p", false}};
  Status s = outbox->append_batch(batch);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("'same'"), std::string::npos) << s.to_string();
  EXPECT_EQ(outbox->depth(), 1);
  EXPECT_EQ(outbox->read_after(0, 10)->size(), 1u);  // "new" was not kept either
}

TEST(Outbox, ReopenKeepsRowsAndSeqKeepsGrowing) {
  TempDir dir;
  int64_t last_seq = 0;
  {
    auto outbox = open_or_die(dir.file("o.db"));
    std::vector<OutboxMessage> batch;
    for (int i = 0; i < 5; ++i) batch.push_back({0, "id" + std::to_string(i), "t", "p", false});
    ASSERT_TRUE(outbox->append_batch(batch).is_ok());
    for (size_t i = 1; i < batch.size(); ++i) EXPECT_EQ(batch[i].seq, batch[i - 1].seq + 1);
    last_seq = batch.back().seq;
    ASSERT_TRUE(outbox->remove(last_seq).is_ok());  // the highest seq is deleted before closing
  }
  auto outbox = open_or_die(dir.file("o.db"));
  EXPECT_EQ(outbox->depth(), 4);
  auto rows = outbox->read_after(0, 100);
  ASSERT_EQ(rows->size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*rows)[i].id, "id" + std::to_string(i));
  auto next = outbox->append("t", "p", false, "after-reopen");
  ASSERT_TRUE(next.is_ok());
  EXPECT_GT(next->seq, last_seq);  // AUTOINCREMENT: a deleted seq is never handed out again
}

TEST(Outbox, BoundRefusesTheWholeBatch) {
  TempDir dir;
  auto outbox = open_or_die(dir.file("o.db"), 3);
  std::vector<OutboxMessage> two{{0, "a", "t", "p", false}, {0, "b", "t", "p", false}};
  ASSERT_TRUE(outbox->append_batch(two).is_ok());
  std::vector<OutboxMessage> more{{0, "c", "t", "p", false}, {0, "d", "t", "p", false}};
  Status s = outbox->append_batch(more);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find(dir.file("o.db")), std::string::npos) << s.to_string();
  EXPECT_EQ(outbox->depth(), 2);
  EXPECT_TRUE(outbox->append("t", "p", false, "c").is_ok());  // exactly at the bound is fine
  EXPECT_EQ(outbox->append("t", "p", false, "d").status().code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(outbox->remove(two[0].seq).is_ok());
  EXPECT_TRUE(outbox->append("t", "p", false, "d").is_ok());  // room again after an ack
}

void expect_open_error_names_path(const std::string& path) {
  auto outbox = Outbox::open({path});
  ASSERT_FALSE(outbox.is_ok()) << path;
  EXPECT_NE(outbox.status().message().find(path), std::string::npos) << outbox.status().to_string();
}

TEST(Outbox, BadPathsGiveAStatusNamingThePath) {
  TempDir dir;
  expect_open_error_names_path(dir.file("no/such/folder/o.db"));
  expect_open_error_names_path(dir.path());  // a folder, not a file
  const std::string garbage = dir.file("garbage.db");
  std::ofstream(garbage) << std::string(4096, 'x');
  expect_open_error_names_path(garbage);  // not a database
  EXPECT_FALSE(Outbox::open({""}).is_ok());
  EXPECT_FALSE(Outbox::open({dir.file("o.db"), 0}).is_ok());
}

TEST(Outbox, UsesWalJournal) {
  TempDir dir;
  auto outbox = open_or_die(dir.file("o.db"));
  ASSERT_TRUE(outbox->append("t", "p", false, "x").is_ok());
  EXPECT_TRUE(std::filesystem::exists(dir.file("o.db-wal")));
}

}  // namespace
}  // namespace edgeserve::vision
