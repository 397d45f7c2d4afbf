// Reads config.pbtxt (protobuf text format), completes it from the model's interface and checks
// what it gives against the model; every message starts with the config's path.
#include "serving/repository/model_config_io.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace edgeserve::serving {
namespace {

using inference::DataType;
using inference::ModelConfig;
using inference::ModelInstanceGroup;
using inference::ModelVersionPolicy;

constexpr const char* kOnnxPlatform = "onnxruntime_onnx";  // Triton's name for ONNX models
constexpr const char* kDefaultModelFile = "model.onnx";

Status config_error(const std::string& path, const std::string& what) { return invalid_argument(path + ": " + what); }

std::string quoted(std::string_view s) {
  std::string q = "\"";  // appended: `"\"" + std::string(s)` trips GCC 12's -Wrestrict
  q += s;
  q += '"';
  return q;
}

// Keeps the first error only: the parser stops there, and later ones would be consequences.
class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (has_error_) return;
    has_error_ = true;
    line_ = line;
    column_ = column;
    message_ = message;
  }
  bool has_error() const { return has_error_; }

  // "<path>:<line>:<column>: <message>", counting from 1 like editors (protobuf counts from 0).
  std::string describe(const std::string& path, std::string_view text) const {
    if (line_ < 0) return path + ": " + message_;
    const std::string_view line = line_of(text);
    std::string out = path + ":" + std::to_string(line_ + 1) + ":" + std::to_string(field_column(line) + 1) + ": ";
    out += message_;
    // A value error ("Expected integer, got: \"four\"") does not name its field; the line does.
    const std::string_view trimmed = trim(line);
    if (message_.find(kNoField) == std::string::npos && !trimmed.empty() && trimmed.size() <= 100) {
      out += " (in `" + std::string(trimmed) + "`)";
    }
    return out;
  }

 private:
  static constexpr std::string_view kNoField = "no field named \"";

  std::string_view line_of(std::string_view text) const {
    for (int i = 0; i < line_ && !text.empty(); ++i) {
      const size_t eol = text.find('\n');
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    }
    return text.substr(0, text.find('\n'));
  }
  static std::string_view trim(std::string_view s) {
    const size_t first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
  }
  // The column as a byte offset: protobuf advances a tab to the next multiple of 8 columns.
  // An unknown field is reported after its name is read; point at the name instead.
  size_t field_column(std::string_view line) const {
    size_t byte = 0;
    for (int col = 0; byte < line.size() && col < column_; ++byte) col += line[byte] == '\t' ? 8 - col % 8 : 1;
    const size_t at = message_.find(kNoField);
    if (at == std::string::npos) return byte;
    const size_t begin = at + kNoField.size();
    const size_t found = line.substr(0, byte).rfind(message_.substr(begin, message_.find('"', begin) - begin));
    return found == std::string_view::npos ? byte : found;
  }

  bool has_error_ = false;
  int line_ = -1;
  int column_ = -1;
  std::string message_;
};

// Open (proto3) enums accept any number in text format ("data_type: 99"); a number without a
// name is a typo, so every enum field in the parsed message must hold a named value.
std::string find_unnamed_enum(const google::protobuf::Message& message, const std::string& prefix) {
  const auto* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    const std::string name = prefix + field->name();
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
        const int value = field->is_repeated() ? reflection->GetRepeatedEnumValue(message, field, i)
                                               : reflection->GetEnumValue(message, field);
        if (field->enum_type()->FindValueByNumber(value) == nullptr) {
          return name + ": " + std::to_string(value) + " is not a value of " + field->enum_type()->full_name();
        }
      } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        const auto& child = field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                                 : reflection->GetMessage(message, field);
        std::string found = find_unnamed_enum(child, name + ".");
        if (!found.empty()) return found;
      }
    }
  }
  return "";
}

DataType to_data_type(DType t) {
  switch (t) {  // no default: a new DType must be mapped here
    case DType::kUndefined: return inference::TYPE_INVALID;
    case DType::kFloat32: return inference::TYPE_FP32;
    case DType::kUint8: return inference::TYPE_UINT8;
    case DType::kInt8: return inference::TYPE_INT8;
    case DType::kUint16: return inference::TYPE_UINT16;
    case DType::kInt16: return inference::TYPE_INT16;
    case DType::kInt32: return inference::TYPE_INT32;
    case DType::kInt64: return inference::TYPE_INT64;
    case DType::kString: return inference::TYPE_STRING;
    case DType::kBool: return inference::TYPE_BOOL;
    case DType::kFloat16: return inference::TYPE_FP16;
    case DType::kFloat64: return inference::TYPE_FP64;
    case DType::kUint32: return inference::TYPE_UINT32;
    case DType::kUint64: return inference::TYPE_UINT64;
    case DType::kBFloat16: return inference::TYPE_BF16;
  }
  return inference::TYPE_INVALID;
}

template <typename Dims>
std::string dims_string(const Dims& dims) {
  std::string s = "[";
  for (int64_t d : dims) s += (s.size() > 1 ? ", " : "") + std::to_string(d);
  return s + "]";
}

std::string names_of(const std::vector<TensorInfo>& tensors) {
  std::string s;
  for (const auto& t : tensors) s += (s.empty() ? "" : ", ") + quoted(t.name);
  return s.empty() ? "(none)" : s;
}

bool has_variable_first_dim(const TensorType& type) {
  return type.dims && !type.dims->empty() && !type.dims->front().is_known();
}

// The model's dims as config dims (a variable dim is -1), without the batch dim when batched;
// nullopt when the model does not declare the rank.
std::optional<std::vector<int64_t>> config_dims_of(const TensorType& type, bool batched) {
  if (!type.dims) return std::nullopt;
  std::vector<int64_t> dims;
  for (size_t i = batched ? 1 : 0; i < type.dims->size(); ++i) {
    const Dim& d = (*type.dims)[i];
    dims.push_back(d.is_known() ? d.value : -1);
  }
  return dims;
}

template <typename Dims>
Status check_dim_values(const Dims& dims, int64_t min_value, const std::string& what, const std::string& path) {
  for (int64_t d : dims) {
    if (d < min_value) {
      return config_error(path, what + " " + dims_string(dims) + ": " + std::to_string(d) + " is not a dim" +
                                    (min_value < 0 ? " (-1 is a variable dim)" : " (give every dim's size)"));
    }
  }
  return Status::ok();
}

// Equal rank, and equal sizes wherever both sides fix the size.
template <typename Dims>
bool dims_compatible(const Dims& given, const std::vector<int64_t>& model) {
  if (static_cast<size_t>(given.size()) != model.size()) return false;
  for (size_t i = 0; i < model.size(); ++i) {
    const int64_t g = given[static_cast<int>(i)];
    if (g != -1 && model[i] != -1 && g != model[i]) return false;
  }
  return true;
}

// Element count of a shape: (product of fixed dims, count of variable dims); false on overflow.
template <typename Dims>
bool count_elements(const Dims& dims, int64_t* fixed, int* variable) {
  *fixed = 1;
  *variable = 0;
  for (int64_t d : dims) {
    if (d < 0) ++*variable;
    if (d >= 0 && __builtin_mul_overflow(*fixed, d, fixed)) return false;
  }
  return true;
}

// A reshape turns the dims the client sends into the dims the model takes: the element counts
// must agree. With variable dims only the fixed parts can be compared.
template <typename ConfigTensor>
Status check_reshape(const ConfigTensor& tensor, const std::string& where, const std::string& path) {
  const auto& shape = tensor.reshape().shape();
  EDGE_RETURN_IF_ERROR(check_dim_values(shape, -1, where + " reshape.shape", path));
  int64_t dims_fixed = 0, shape_fixed = 0;
  int dims_variable = 0, shape_variable = 0;
  const bool counted = count_elements(tensor.dims(), &dims_fixed, &dims_variable) &&
                       count_elements(shape, &shape_fixed, &shape_variable);
  if (counted && dims_fixed == shape_fixed && dims_variable == shape_variable) return Status::ok();
  return config_error(path, where + ": reshape.shape " + dims_string(shape) +
                                " does not hold the same elements as dims " + dims_string(tensor.dims()));
}

// One input or output the config lists: its data type and shape must be the model's.
template <typename ConfigTensor>
Status check_listed_tensor(ConfigTensor* tensor, const TensorInfo& info, bool batched, const std::string& where,
                           const std::string& path) {
  const DataType model_type = to_data_type(info.type.dtype);
  if (tensor->data_type() == inference::TYPE_INVALID) tensor->set_data_type(model_type);
  if (tensor->data_type() != model_type) {
    return config_error(path, where + ": data_type " + inference::DataType_Name(tensor->data_type()) +
                                  " does not match the model's " + dtype_name(info.type.dtype) + " (" +
                                  inference::DataType_Name(model_type) + ")");
  }
  EDGE_RETURN_IF_ERROR(check_dim_values(tensor->dims(), -1, where + " dims", path));
  if (tensor->has_reshape()) EDGE_RETURN_IF_ERROR(check_reshape(*tensor, where, path));
  const auto model_dims = config_dims_of(info.type, batched);
  if (!model_dims) return Status::ok();  // the model does not say; the engine checks at run time
  // With a reshape, reshape.shape is what reaches the model; dims are what the client sends.
  const bool reshaped = tensor->has_reshape();
  const auto& facing_model = reshaped ? tensor->reshape().shape() : tensor->dims();
  if (dims_compatible(facing_model, *model_dims)) return Status::ok();
  return config_error(path, where + ": " + (reshaped ? "reshape.shape " : "dims ") + dims_string(facing_model) +
                                " do not match the model's " + dims_string(*model_dims) +
                                (batched ? " (dims exclude the batch dim when max_batch_size > 0)" : ""));
}

template <typename ConfigTensor>
void fill_tensor(ConfigTensor* tensor, const TensorInfo& info, bool batched) {
  tensor->set_name(info.name);
  tensor->set_data_type(to_data_type(info.type.dtype));
  // config.pbtxt cannot say "any rank"; [-1] is the closest (the engine checks at run time).
  const auto dims = config_dims_of(info.type, batched).value_or(std::vector<int64_t>{-1});
  for (int64_t d : dims) tensor->add_dims(d);
}

// Checks the listed tensors of one kind, then adds the model's unlisted ones. Inputs must be
// listed all or none: a model input that a client is not told about can never be fed.
template <typename ConfigTensor>
Status complete_tensors(google::protobuf::RepeatedPtrField<ConfigTensor>* listed, const std::vector<TensorInfo>& model,
                        bool batched, const std::string& kind, const std::string& path) {
  const bool any_listed = !listed->empty();
  std::set<std::string> seen;
  for (auto& tensor : *listed) {
    const std::string where = kind + " " + quoted(tensor.name());
    const auto info = std::find_if(model.begin(), model.end(), [&](const auto& t) { return t.name == tensor.name(); });
    if (info == model.end()) {
      return config_error(path, where + " is not in the model; its " + kind + "s are " + names_of(model));
    }
    if (!seen.insert(tensor.name()).second) return config_error(path, where + " is listed twice");
    EDGE_RETURN_IF_ERROR(check_listed_tensor(&tensor, *info, batched, where, path));
  }
  for (const auto& info : model) {
    if (to_data_type(info.type.dtype) == inference::TYPE_INVALID) {
      return config_error(path, "model " + kind + " " + quoted(info.name) +
                                    " has a type config.pbtxt cannot express (" + info.type.to_string() + ")");
    }
    if (seen.count(info.name) != 0) continue;
    if (kind == "input" && any_listed) {
      return config_error(path, "model input " + quoted(info.name) + " is not listed; list every input or none");
    }
    fill_tensor(listed->Add(), info, batched);
  }
  return Status::ok();
}

Status check_name_and_platform(ModelConfig* config, const std::string& model_name, const std::string& path) {
  if (config->name().empty()) config->set_name(model_name);
  if (config->name() != model_name) {
    return config_error(path, "name " + quoted(config->name()) + " differs from the model's folder name " +
                                  quoted(model_name));
  }
  const std::string& backend = config->backend();
  if (!backend.empty() && backend != "onnxruntime" && backend != "edgeserve") {
    return config_error(path, "backend " + quoted(backend) + " is not served (use \"onnxruntime\" or \"edgeserve\")");
  }
  if (config->platform().empty()) config->set_platform(kOnnxPlatform);  // what clients expect of ONNX
  if (config->platform() != kOnnxPlatform) {
    return config_error(path, "platform " + quoted(config->platform()) + " is not served here (use \"" +
                                  kOnnxPlatform + "\")");
  }
  return Status::ok();
}

bool model_is_batchable(const ModelInterface& model) {
  const auto variable = [](const TensorInfo& t) { return has_variable_first_dim(t.type); };
  return !model.inputs.empty() && std::all_of(model.inputs.begin(), model.inputs.end(), variable) &&
         std::all_of(model.outputs.begin(), model.outputs.end(), variable);
}

// A batched model receives [batch, dims...], so the first dim of every tensor must be free.
Status check_batch_dims(const ModelConfig& config, const ModelInterface& model, const std::string& path) {
  const std::pair<const char*, const std::vector<TensorInfo>*> lists[] = {{"input", &model.inputs},
                                                                          {"output", &model.outputs}};
  for (const auto& [kind, list] : lists) {
    for (const auto& t : *list) {
      if (!t.type.dims || has_variable_first_dim(t.type)) continue;  // unknown rank: unchecked
      return config_error(path, "max_batch_size " + std::to_string(config.max_batch_size()) +
                                    " needs a variable first (batch) dim, but model " + kind + " " + quoted(t.name) +
                                    " has the fixed dims " + t.type.to_string() + "; use max_batch_size: 0");
    }
  }
  return Status::ok();
}

Status complete_batching(ModelConfig* config, const ModelInterface& model, const std::string& path) {
  const int max_batch = config->max_batch_size();
  if (max_batch < 0) return config_error(path, "max_batch_size " + std::to_string(max_batch) + " is negative");
  // Only a config that says nothing about shapes is batched automatically: listed dims were
  // written for one max_batch_size, and reinterpreting them would shift every dim.
  const bool says_nothing = max_batch == 0 && config->input_size() == 0 && config->output_size() == 0;
  if (says_nothing && model_is_batchable(model)) {
    config->set_max_batch_size(kAutoMaxBatchSize);
    if (!config->has_dynamic_batching()) {
      config->mutable_dynamic_batching()->set_max_queue_delay_microseconds(kDefaultMaxQueueDelayUs);
    }
  }
  if (config->max_batch_size() > 0) EDGE_RETURN_IF_ERROR(check_batch_dims(*config, model, path));
  return Status::ok();
}

Status complete_version_policy(ModelVersionPolicy* policy, const std::string& path) {
  switch (policy->policy_choice_case()) {
    case ModelVersionPolicy::POLICY_CHOICE_NOT_SET:
      policy->mutable_latest()->set_num_versions(1);
      return Status::ok();
    case ModelVersionPolicy::kLatest:
      if (policy->latest().num_versions() > 0) return Status::ok();
      return config_error(path, "version_policy.latest.num_versions must be at least 1");
    case ModelVersionPolicy::kAll:
      return Status::ok();
    case ModelVersionPolicy::kSpecific:
      if (policy->specific().versions_size() == 0) return config_error(path, "version_policy.specific is empty");
      for (int64_t v : policy->specific().versions()) {
        if (v < 0) return config_error(path, "version_policy.specific.versions: " + std::to_string(v) + " is negative");
      }
      return Status::ok();
  }
  return Status::ok();
}

Status complete_instance_groups(ModelConfig* config, const std::string& path) {
  if (config->instance_group_size() == 0) config->add_instance_group()->set_kind(ModelInstanceGroup::KIND_CPU);
  for (int i = 0; i < config->instance_group_size(); ++i) {
    ModelInstanceGroup* group = config->mutable_instance_group(i);
    const std::string where = "instance_group[" + std::to_string(i) + "]";
    // proto3 cannot tell an absent count from 0; Triton reads both as 1, and so do we.
    if (group->count() == 0) group->set_count(1);
    if (group->count() < 1) {
      return config_error(path, where + ".count " + std::to_string(group->count()) + " is below 1");
    }
    if (group->kind() == ModelInstanceGroup::KIND_AUTO) group->set_kind(ModelInstanceGroup::KIND_CPU);
    if (group->kind() != ModelInstanceGroup::KIND_CPU) {
      return config_error(path, where + ".kind " + ModelInstanceGroup::Kind_Name(group->kind()) +
                                    ": edgeserve runs on CPU (use KIND_CPU or KIND_AUTO)");
    }
    if (group->name().empty()) group->set_name(config->name() + "_" + std::to_string(i));
  }
  return Status::ok();
}

Status check_dynamic_batching(const ModelConfig& config, const std::string& path) {
  if (!config.has_dynamic_batching()) return Status::ok();
  const auto& batching = config.dynamic_batching();
  const int max_batch = config.max_batch_size();
  if (max_batch == 0) return config_error(path, "dynamic_batching needs max_batch_size > 0 (no batch dim)");
  for (int32_t size : batching.preferred_batch_size()) {
    if (size < 1 || size > max_batch) {
      return config_error(path, "dynamic_batching.preferred_batch_size " + std::to_string(size) +
                                    " is outside [1, max_batch_size " + std::to_string(max_batch) + "]");
    }
  }
  const uint64_t levels = batching.priority_levels();
  const uint64_t level = batching.default_priority_level();
  if (levels == 0 ? level == 0 : level >= 1 && level <= levels) return Status::ok();
  return config_error(path, "dynamic_batching.default_priority_level " + std::to_string(level) +
                                (levels == 0 ? " needs priority_levels > 0"
                                             : " is outside [1, priority_levels " + std::to_string(levels) + "]"));
}

Result<int> parameter_in_range(const std::string& key, const std::string& text, int lo, int hi,
                               const std::string& path) {
  int value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);  // whole text, no spaces or signs
  if (ec == std::errc() && ptr == end && value >= lo && value <= hi) return value;
  const std::string range =
      hi == INT32_MAX ? ">= " + std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
  return config_error(path, "parameters " + quoted(key) + ": " + quoted(text) + " is not an integer " + range);
}

// Warmup data is generated from its dims, so they must be sizes; they follow the config's
// (client-facing) dims of the input.
Status check_warmup_input(inference::ModelWarmup::Input* input, const inference::ModelInput& config_input,
                          const std::string& where, const std::string& path) {
  if (input->data_type() == inference::TYPE_INVALID) input->set_data_type(config_input.data_type());
  if (input->data_type() != config_input.data_type()) {
    return config_error(path, where + ": data_type " + inference::DataType_Name(input->data_type()) +
                                  " is not the input's " + inference::DataType_Name(config_input.data_type()));
  }
  EDGE_RETURN_IF_ERROR(check_dim_values(input->dims(), 0, where + " dims", path));
  std::vector<int64_t> expected(config_input.dims().begin(), config_input.dims().end());
  if (!dims_compatible(input->dims(), expected)) {
    return config_error(path, where + ": dims " + dims_string(input->dims()) + " do not match the input's dims " +
                                  dims_string(expected));
  }
  if (input->input_data_type_case() == inference::ModelWarmup::Input::INPUT_DATA_TYPE_NOT_SET) {
    return config_error(path, where + ": give one of zero_data or random_data");
  }
  return Status::ok();
}

Status check_warmup(ModelConfig* config, const std::string& path) {
  const int max_batch = config->max_batch_size();
  for (int i = 0; i < config->model_warmup_size(); ++i) {
    auto* warmup = config->mutable_model_warmup(i);
    const std::string where = "model_warmup[" + std::to_string(i) + "]";
    const uint32_t limit = max_batch > 0 ? static_cast<uint32_t>(max_batch) : 1;
    if (warmup->batch_size() > limit) {
      return config_error(path, where + ": batch_size " + std::to_string(warmup->batch_size()) + " is above " +
                                    (max_batch > 0 ? "max_batch_size " + std::to_string(max_batch)
                                                   : std::string("1 (max_batch_size is 0)")));
    }
    std::vector<std::string> keys;
    for (const auto& [key, unused] : warmup->inputs()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());  // map order is unspecified; messages should not be
    for (const auto& key : keys) {
      const auto& inputs = config->input();
      const auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto& in) { return in.name() == key; });
      if (it == inputs.end()) return config_error(path, where + ": " + quoted(key) + " is not a model input");
      auto& input = (*warmup->mutable_inputs())[key];
      EDGE_RETURN_IF_ERROR(check_warmup_input(&input, *it, where + " input " + quoted(key), path));
    }
    for (const auto& input : config->input()) {
      if (warmup->inputs().count(input.name()) == 0) {
        return config_error(path, where + ": no data for model input " + quoted(input.name()));
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<inference::ModelConfig> parse_model_config(std::string_view text, const std::string& path) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  ModelConfig config;
  if (!parser.ParseFromString(std::string(text), &config) || errors.has_error()) {
    return invalid_argument(errors.has_error() ? errors.describe(path, text) : path + ": not a valid config");
  }
  const std::string unnamed = find_unnamed_enum(config, "");
  if (!unnamed.empty()) return config_error(path, unnamed);
  return config;
}

Result<std::string> model_file_name(const inference::ModelConfig& config, const std::string& path) {
  const std::string& name = config.default_model_filename();
  if (name.empty()) return std::string(kDefaultModelFile);
  if (name == "." || name == ".." || name.find_first_of("/\\") != std::string::npos) {
    return config_error(path, "default_model_filename " + quoted(name) + " must be a plain file name");
  }
  return name;
}

Result<ConfigParameters> parse_config_parameters(const inference::ModelConfig& config, const std::string& path) {
  std::map<std::string, std::string> sorted;  // map order is unspecified; messages should not be
  for (const auto& [key, value] : config.parameters()) sorted[key] = value.string_value();
  ConfigParameters params;
  for (const auto& [key, text] : sorted) {
    if (key == "threads") {
      EDGE_ASSIGN_OR_RETURN(params.threads, parameter_in_range(key, text, 0, INT32_MAX, path));
    } else if (key == "optimization_level") {
      EDGE_ASSIGN_OR_RETURN(params.optimization_level, parameter_in_range(key, text, 0, 2, path));
    } else if (key == "layout") {
      ActivationLayout layout;
      if (!parse_activation_layout(text, &layout)) {
        return config_error(path, "parameters: \"layout\" is " + quoted(text) + ", expected measure, auto or blocked");
      }
      params.layout = layout;
    } else if (key == "conv_algorithm") {
      ConvAlgorithm algorithm;
      if (!parse_conv_algorithm(text, &algorithm)) {
        return config_error(path, "parameters: \"conv_algorithm\" is " + quoted(text) +
                                      ", expected measure, direct or winograd");
      }
      params.conv_algorithm = algorithm;
    } else {
      return config_error(path, "parameters: unknown key " + quoted(key) +
                                    " (known: \"threads\", \"optimization_level\", \"layout\", \"conv_algorithm\")");
    }
  }
  return params;
}

Status complete_model_config(inference::ModelConfig* config, const std::string& model_name,
                             const ModelInterface& model, const std::string& path) {
  EDGE_RETURN_IF_ERROR(check_name_and_platform(config, model_name, path));
  EDGE_ASSIGN_OR_RETURN(const std::string file_name, model_file_name(*config, path));
  config->set_default_model_filename(file_name);
  EDGE_RETURN_IF_ERROR(complete_batching(config, model, path));
  const bool batched = config->max_batch_size() > 0;
  EDGE_RETURN_IF_ERROR(complete_tensors(config->mutable_input(), model.inputs, batched, "input", path));
  EDGE_RETURN_IF_ERROR(complete_tensors(config->mutable_output(), model.outputs, batched, "output", path));
  EDGE_RETURN_IF_ERROR(complete_version_policy(config->mutable_version_policy(), path));
  EDGE_RETURN_IF_ERROR(complete_instance_groups(config, path));
  EDGE_RETURN_IF_ERROR(check_dynamic_batching(*config, path));
  EDGE_RETURN_IF_ERROR(parse_config_parameters(*config, path).status());
  return check_warmup(config, path);
}

std::vector<int64_t> select_versions(const inference::ModelConfig& config, const std::vector<int64_t>& available) {
  std::vector<int64_t> versions = available;
  std::sort(versions.begin(), versions.end());
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  const auto& policy = config.version_policy();
  switch (policy.policy_choice_case()) {
    case ModelVersionPolicy::kAll:
      return versions;
    case ModelVersionPolicy::kSpecific: {
      const auto& wanted = policy.specific().versions();
      std::erase_if(versions, [&](int64_t v) { return std::find(wanted.begin(), wanted.end(), v) == wanted.end(); });
      return versions;
    }
    case ModelVersionPolicy::kLatest:
    case ModelVersionPolicy::POLICY_CHOICE_NOT_SET: {
      const size_t keep = policy.has_latest() ? policy.latest().num_versions() : 1;
      if (versions.size() > keep) versions.erase(versions.begin(), versions.end() - static_cast<ptrdiff_t>(keep));
      return versions;
    }
  }
  return versions;
}

}  // namespace edgeserve::serving
