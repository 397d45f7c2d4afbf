// SQLite outbox: one table, prepared statements, a row count kept in memory for the bound.
#include "vision/events/outbox.h"

#include <sqlite3.h>

#include <chrono>

#include "common/strings.h"

namespace edgeserve::vision {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " topic TEXT NOT NULL,"
    " payload BLOB NOT NULL,"
    " retain INTEGER NOT NULL,"
    " created REAL NOT NULL)";

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Resets a statement on every exit path so that it never holds a read lock between calls.
class StatementScope {
 public:
  explicit StatementScope(sqlite3_stmt* s) : s_(s) {}
  ~StatementScope() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  sqlite3_stmt* s_;
};

std::string column_text(sqlite3_stmt* s, int column) {
  const void* bytes = sqlite3_column_blob(s, column);
  const int size = sqlite3_column_bytes(s, column);
  return bytes == nullptr ? std::string() : std::string(static_cast<const char*>(bytes), size);
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::open(const OutboxOptions& options) {
  if (options.path.empty()) return invalid_argument("outbox: the path is empty");
  if (options.max_events <= 0) {
    return invalid_argument(str_cat("outbox '", options.path, "': max_events must be > 0, got ",
                                    options.max_events));
  }
  std::unique_ptr<Outbox> outbox(new Outbox(options));
  EDGE_RETURN_IF_ERROR(outbox->init());
  return outbox;
}

Outbox::~Outbox() {
  sqlite3_finalize(insert_);
  sqlite3_finalize(select_after_);
  sqlite3_finalize(delete_);
  sqlite3_close_v2(db_);
}

Status Outbox::error(const std::string& what) const {
  const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  return unavailable(str_cat("outbox '", options_.path, "': ", what, ": ", detail));
}

Status Outbox::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(sql);
  return Status::ok();
}

Status Outbox::prepare(const char* sql, sqlite3_stmt** statement) {
  if (sqlite3_prepare_v2(db_, sql, -1, statement, nullptr) != SQLITE_OK) {
    return error(str_cat("cannot prepare '", sql, "' (a file with another schema?)"));
  }
  return Status::ok();
}

Status Outbox::init() {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(options_.path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    return error("cannot open");
  }
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  // journal_mode is the first statement that reads the file, so "not a database" shows up here.
  EDGE_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL"));
  EDGE_RETURN_IF_ERROR(exec("PRAGMA synchronous=NORMAL"));
  EDGE_RETURN_IF_ERROR(exec(kSchema));
  EDGE_RETURN_IF_ERROR(prepare(
      "INSERT INTO outbox (id, topic, payload, retain, created) VALUES (?1, ?2, ?3, ?4, ?5)",
      &insert_));
  EDGE_RETURN_IF_ERROR(prepare(
      "SELECT seq, id, topic, payload, retain FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
      &select_after_));
  EDGE_RETURN_IF_ERROR(prepare("DELETE FROM outbox WHERE seq = ?1", &delete_));
  sqlite3_stmt* count = nullptr;
  EDGE_RETURN_IF_ERROR(prepare("SELECT COUNT(*) FROM outbox", &count));
  const int rc = sqlite3_step(count);
  depth_ = rc == SQLITE_ROW ? sqlite3_column_int64(count, 0) : 0;
  sqlite3_finalize(count);
  if (rc != SQLITE_ROW) return error("cannot count the stored messages");
  return Status::ok();
}

Status Outbox::insert_locked(OutboxMessage& message) {
  StatementScope scope(insert_);
  sqlite3_bind_text(insert_, 1, message.id.data(), static_cast<int>(message.id.size()), SQLITE_STATIC);
  sqlite3_bind_text(insert_, 2, message.topic.data(), static_cast<int>(message.topic.size()),
                    SQLITE_STATIC);
  sqlite3_bind_blob(insert_, 3, message.payload.data(), static_cast<int>(message.payload.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int(insert_, 4, message.retain ? 1 : 0);
  sqlite3_bind_double(insert_, 5, unix_now());
  if (sqlite3_step(insert_) != SQLITE_DONE) {
    return error(str_cat("cannot store message '", message.id, "' for topic '", message.topic, "'"));
  }
  message.seq = sqlite3_last_insert_rowid(db_);
  return Status::ok();
}

Result<OutboxMessage> Outbox::append(const std::string& topic, const std::string& payload,
                                     bool retain, const std::string& id) {
  std::vector<OutboxMessage> one{{0, id, topic, payload, retain}};
  EDGE_RETURN_IF_ERROR(append_batch(one));
  return std::move(one.front());
}

Status Outbox::append_batch(std::vector<OutboxMessage>& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto count = static_cast<int64_t>(messages.size());
  if (depth_ + count > options_.max_events) {
    return resource_exhausted(str_cat("outbox '", options_.path, "': full (", depth_, " of ",
                                      options_.max_events, " messages stored); ", count,
                                      " messages dropped"));
  }
  EDGE_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  for (auto& message : messages) {
    Status status = insert_locked(message);
    if (!status.is_ok()) {
      (void)exec("ROLLBACK");
      for (auto& m : messages) m.seq = 0;
      return status;
    }
  }
  Status committed = exec("COMMIT");
  if (!committed.is_ok()) {
    (void)exec("ROLLBACK");
    return committed;
  }
  depth_ += count;
  return Status::ok();
}

Result<std::vector<OutboxMessage>> Outbox::read_after(int64_t seq, int max) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<OutboxMessage> messages;
  if (max <= 0) return messages;
  StatementScope scope(select_after_);
  sqlite3_bind_int64(select_after_, 1, seq);
  sqlite3_bind_int(select_after_, 2, max);
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(select_after_)) == SQLITE_ROW) {
    OutboxMessage m;
    m.seq = sqlite3_column_int64(select_after_, 0);
    m.id = column_text(select_after_, 1);
    m.topic = column_text(select_after_, 2);
    m.payload = column_text(select_after_, 3);
    m.retain = sqlite3_column_int(select_after_, 4) != 0;
    messages.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE) return error(str_cat("cannot read messages after seq ", seq));
  return messages;
}

Status Outbox::remove(int64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementScope scope(delete_);
  sqlite3_bind_int64(delete_, 1, seq);
  if (sqlite3_step(delete_) != SQLITE_DONE) return error(str_cat("cannot delete seq ", seq));
  depth_ -= sqlite3_changes(db_);
  return Status::ok();
}

int64_t Outbox::depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return depth_;
}

}  // namespace edgeserve::vision
