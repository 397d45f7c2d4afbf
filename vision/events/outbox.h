// The durable outbox: every message is committed to a local SQLite file before it is published and
// deleted only when the broker has acknowledged it, so a broker outage or a crash loses nothing.
//
// Durability: WAL journal with synchronous=NORMAL. A committed append survives a crash or kill -9 of
// the process (the WAL is in the OS before commit returns); after a power loss the last few commits
// may be rolled back (what NORMAL trades for not syncing every commit).
//
// Threading: all methods are thread-safe (one connection behind a mutex); the pipeline appends while
// the publisher thread reads and removes. One process uses a file at a time (the row count behind
// the bound is kept in memory).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgeserve::vision {

struct OutboxOptions {
  std::string path;  // the SQLite file; created if missing (its folder must exist)
  // Bound on stored (unacknowledged) messages: an append that would pass it fails with
  // kResourceExhausted and stores nothing; the caller counts the drop. 1M rows of ~300 bytes is
  // ~300 MB of disk, days of backlog for a busy camera.
  int64_t max_events = 1'000'000;
  int busy_timeout_ms = 5000;  // another process holding the file (e.g. a restart overlapping)
};

struct OutboxMessage {
  int64_t seq = 0;  // assigned by the outbox: strictly increasing, never reused (AUTOINCREMENT)
  std::string id;   // unique; a second append with the same id fails
  std::string topic;
  std::string payload;
  bool retain = false;
};

class Outbox {
 public:
  // Errors (unwritable folder, not a database, wrong schema) name the path.
  static Result<std::unique_ptr<Outbox>> open(const OutboxOptions& options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  Result<OutboxMessage> append(const std::string& topic, const std::string& payload, bool retain,
                               const std::string& id);
  // All or nothing, in one transaction (one WAL commit, so much faster than single appends);
  // fills in each message's seq in order.
  Status append_batch(std::vector<OutboxMessage>& messages);
  // Up to `max` messages with seq > `seq`, ascending.
  Result<std::vector<OutboxMessage>> read_after(int64_t seq, int max);
  // Deleting a seq that is not stored is not an error (already removed).
  Status remove(int64_t seq);
  int64_t depth() const;  // messages stored
  const std::string& path() const { return options_.path; }

 private:
  explicit Outbox(OutboxOptions options) : options_(std::move(options)) {}
  Status init();
  Status exec(const char* sql);
  Status prepare(const char* sql, sqlite3_stmt** statement);
  Status insert_locked(OutboxMessage& message);
  Status error(const std::string& what) const;

  OutboxOptions options_;
  mutable std::mutex mutex_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* select_after_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  int64_t depth_ = 0;
};

}  // namespace edgeserve::vision
