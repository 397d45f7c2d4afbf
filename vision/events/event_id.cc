// UUIDv4 formatting over a 64-bit Mersenne Twister seeded with 256 bits of kernel entropy.
#include "vision/events/event_id.h"

#include <array>
#include <cstdio>

namespace edgeserve::vision {

namespace {

std::mt19937_64 seeded_engine() {
  std::random_device entropy;
  std::array<uint32_t, 8> seed{};
  for (auto& word : seed) word = entropy();
  std::seed_seq sequence(seed.begin(), seed.end());
  return std::mt19937_64(sequence);
}

}  // namespace

EventIdGenerator::EventIdGenerator() : engine_(seeded_engine()) {}

std::string EventIdGenerator::next() {
  uint64_t high = 0, low = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    high = engine_();
    low = engine_();
  }
  high = (high & ~0xF000ull) | 0x4000ull;                       // version 4
  low = (low & ~(0xC000ull << 48)) | (0x8000ull << 48);          // variant 10xx
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xFFFF),
                static_cast<unsigned>(high & 0xFFFF), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFull));
  return text;
}

}  // namespace edgeserve::vision
