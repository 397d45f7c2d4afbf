// Unique event ids: random UUIDv4 strings, so ids stay unique across restarts and across boxes
// without any shared counter. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace edgeserve::vision {

class EventIdGenerator {
 public:
  // Seeded from std::random_device (the kernel's entropy on Linux): two processes, or one process
  // before and after a restart, never share a sequence.
  EventIdGenerator();
  // 122 random bits as "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower-case hex).
  std::string next();

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

}  // namespace edgeserve::vision
