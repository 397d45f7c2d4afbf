// Triton's JSON form of a model config (GET /v2/models/<m>/config): protobuf's JSON printer
// with snake_case names, defaults shown, and 64-bit integers as numbers as Triton writes them.
#include "serving/repository/model_config_io.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

namespace edgeserve::serving {
namespace {

// The names of every 64-bit integer field reachable from `d`. Protobuf's JSON writes those as
// strings (a JavaScript number is a double); Triton writes numbers, and clients read numbers.
void collect_int64_fields(const google::protobuf::Descriptor* d, std::set<std::string>* names) {
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    const auto type = f->cpp_type();
    if (type == google::protobuf::FieldDescriptor::CPPTYPE_INT64 ||
        type == google::protobuf::FieldDescriptor::CPPTYPE_UINT64) {
      names->insert(f->name());
    } else if (type == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE && f->message_type() != d) {
      collect_int64_fields(f->message_type(), names);
    }
  }
}

bool is_integer_literal(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Rewrites `"key":"12"` and `"key":["1","2"]` as numbers for the int64 keys. A key is a string
// followed by ':'; user strings (names, map keys) are never values of those keys.
std::string unquote_int64_values(const std::string& json, const std::set<std::string>& keys) {
  std::string out;
  bool pending = false, in_array = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c != '"') {
      if (c == '[' && pending) in_array = true;
      if (c == ']') in_array = false;
      if (c != ':' && c != ' ' && c != '[') pending = false;
      out += c;
      continue;
    }
    size_t end = i + 1;
    while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    const std::string_view text(json.data() + i + 1, std::min(end, json.size()) - i - 1);
    const bool is_key = end + 1 < json.size() && json[end + 1] == ':';
    if ((pending || in_array) && !is_key && is_integer_literal(text)) {
      out += text;
    } else {
      out.append(json, i, end - i + 1);
    }
    pending = is_key && keys.count(std::string(text)) != 0;
    i = end;
  }
  return out;
}

}  // namespace

std::string model_config_to_json(const inference::ModelConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;     // Triton's JSON is snake_case
  options.always_print_primitive_fields = true;  // like Triton: max_batch_size 0 is shown
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(config, &json, options).ok()) return "{}";
  std::set<std::string> int64_fields;
  collect_int64_fields(config.GetDescriptor(), &int64_fields);
  return unquote_int64_values(json, int64_fields);
}

}  // namespace edgeserve::serving
