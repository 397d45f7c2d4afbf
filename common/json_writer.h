// A minimal JSON writer for machine-readable outputs (`bench --json`, the server's responses): objects,
// arrays, strings and numbers, written compactly in the order given. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgeserve {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Inside an object: the key of the next value.
  JsonWriter& key(std::string_view k);
  // Distinct names rather than value() overloads: a string literal would otherwise pick bool.
  JsonWriter& string(std::string_view s);
  JsonWriter& number(double v);  // non-finite values are written as null
  JsonWriter& integer(int64_t v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  const std::string& str() const { return out_; }

 private:
  void before_value();
  void append_escaped(std::string_view s);

  std::string out_;
  std::vector<bool> empty_;  // per open container: nothing written into it yet
  bool after_key_ = false;
};

}  // namespace edgeserve
