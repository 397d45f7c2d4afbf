// TensorProto <-> Tensor, with every size checked against the declared dims before copying.
#include "engine/onnx/tensor_proto.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "onnx/onnx_pb.h"

namespace edgeserve {

namespace {

namespace fs = std::filesystem;

// Copies typed-field values (float_data, int32_data, ...) into the tensor's storage.
template <typename Dst, typename Field>
Status copy_field(const Field& field, Tensor& t, const std::string& what, const char* field_name) {
  if (field.size() != t.num_elements()) {
    return invalid_argument(str_cat(what, ": ", field_name, " holds ", field.size(), " values, dims ",
                                    dims_to_string(t.dims()), " need ", t.num_elements()));
  }
  Dst* out = t.mutable_data<Dst>();
  for (int i = 0; i < field.size(); ++i) {
    if constexpr (std::is_same_v<Dst, Float16> || std::is_same_v<Dst, BFloat16>) {
      out[i].bits = static_cast<uint16_t>(field.Get(i));
    } else if constexpr (std::is_same_v<Dst, bool>) {
      out[i] = field.Get(i) != 0;
    } else {
      out[i] = static_cast<Dst>(field.Get(i));
    }
  }
  return Status::ok();
}

Status copy_typed_fields(const onnx::TensorProto& p, Tensor& t, const std::string& what) {
  switch (t.dtype()) {
    case DType::kFloat32: return copy_field<float>(p.float_data(), t, what, "float_data");
    case DType::kFloat64: return copy_field<double>(p.double_data(), t, what, "double_data");
    case DType::kInt64: return copy_field<int64_t>(p.int64_data(), t, what, "int64_data");
    case DType::kUint64: return copy_field<uint64_t>(p.uint64_data(), t, what, "uint64_data");
    case DType::kUint32: return copy_field<uint32_t>(p.uint64_data(), t, what, "uint64_data");
    case DType::kInt32: return copy_field<int32_t>(p.int32_data(), t, what, "int32_data");
    case DType::kInt16: return copy_field<int16_t>(p.int32_data(), t, what, "int32_data");
    case DType::kUint16: return copy_field<uint16_t>(p.int32_data(), t, what, "int32_data");
    case DType::kInt8: return copy_field<int8_t>(p.int32_data(), t, what, "int32_data");
    case DType::kUint8: return copy_field<uint8_t>(p.int32_data(), t, what, "int32_data");
    case DType::kBool: return copy_field<bool>(p.int32_data(), t, what, "int32_data");
    case DType::kFloat16: return copy_field<Float16>(p.int32_data(), t, what, "int32_data");
    case DType::kBFloat16: return copy_field<BFloat16>(p.int32_data(), t, what, "int32_data");
    case DType::kString: {
      if (p.string_data_size() != t.num_elements()) {
        return invalid_argument(str_cat(what, ": string_data holds ", p.string_data_size(), " values, dims ",
                                        dims_to_string(t.dims()), " need ", t.num_elements()));
      }
      for (int i = 0; i < p.string_data_size(); ++i) t.mutable_data<std::string>()[i] = p.string_data(i);
      return Status::ok();
    }
    case DType::kUndefined: break;
  }
  return internal_error("unhandled dtype");
}

Status copy_raw(const char* bytes, size_t size, Tensor& t, const std::string& what, const char* source) {
  if (t.dtype() == DType::kString) return invalid_argument(str_cat(what, ": string tensors cannot use ", source));
  if (size != t.byte_size()) {
    return invalid_argument(str_cat(what, ": ", source, " has ", size, " bytes, but ", dtype_name(t.dtype()),
                                    dims_to_string(t.dims()), " needs ", t.byte_size()));
  }
  if (size > 0) std::memcpy(t.mutable_raw_data(), bytes, size);
  if (t.dtype() == DType::kBool) {  // any non-zero byte is true; keep bools 0/1
    auto* b = static_cast<uint8_t*>(t.mutable_raw_data());
    for (size_t i = 0; i < size; ++i) b[i] = b[i] != 0;
  }
  return Status::ok();
}

// Resolves an external-data location, refusing anything that leaves the model directory.
Result<fs::path> resolve_external_path(const std::string& location, const ExternalDataPolicy& policy,
                                       const std::string& what) {
  if (policy.model_dir.empty()) {
    return invalid_argument(str_cat(what, ": external data '", location, "' needs a model loaded from a file"));
  }
  const fs::path rel(location);
  if (location.empty() || rel.is_absolute()) {
    return invalid_argument(str_cat(what, ": external data location '", location, "' must be a relative path"));
  }
  for (const auto& part : rel) {
    if (part == "..") {
      return invalid_argument(str_cat(what, ": external data location '", location, "' escapes the model directory"));
    }
  }
  std::error_code ec;
  const fs::path dir = fs::canonical(policy.model_dir, ec);
  if (ec) return not_found(str_cat(what, ": model directory '", policy.model_dir, "': ", ec.message()));
  const fs::path full = fs::canonical(dir / rel, ec);
  if (ec) return not_found(str_cat(what, ": external data file '", location, "': ", ec.message()));
  const auto [end, unused] = std::mismatch(dir.begin(), dir.end(), full.begin(), full.end());
  if (end != dir.end()) {
    return invalid_argument(str_cat(what, ": external data '", location, "' resolves outside the model directory"));
  }
  return full;
}

Status read_external(const onnx::TensorProto& p, const ExternalDataPolicy& policy, Tensor& t,
                     const std::string& what) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : p.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      if (kv.key() == "offset") offset = std::stoll(kv.value());
      if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      return invalid_argument(str_cat(what, ": external data ", kv.key(), " '", kv.value(), "' is not a number"));
    }
  }
  EDGE_ASSIGN_OR_RETURN(fs::path path, resolve_external_path(location, policy, what));
  std::error_code ec;
  const auto file_size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) return not_found(str_cat(what, ": external data '", location, "': ", ec.message()));
  const auto needed = static_cast<int64_t>(t.byte_size());
  if (length < 0) length = needed;
  if (offset < 0 || length != needed || offset > file_size || length > file_size - offset) {
    return invalid_argument(str_cat(what, ": external data '", location, "' offset ", offset, " length ", length,
                                    " does not fit the file (", file_size, " bytes) or the tensor (", needed,
                                    " bytes)"));
  }
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  if (needed > 0 && !in.read(static_cast<char*>(t.mutable_raw_data()), needed)) {
    return invalid_argument(str_cat(what, ": cannot read external data '", location, "'"));
  }
  return Status::ok();
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& p, const ExternalDataPolicy& policy,
                                 const std::string& what) {
  const DType dtype = dtype_from_onnx(p.data_type());
  if (dtype == DType::kUndefined) {
    return unimplemented(str_cat(what, ": data_type ", p.data_type(), " is not supported"));
  }
  if (p.has_segment()) return unimplemented(str_cat(what, ": segmented tensors are not supported"));
  Dims dims(p.dims().begin(), p.dims().end());
  for (int64_t d : dims) {
    if (d < 0) return invalid_argument(str_cat(what, ": negative dimension in ", dims_to_string(dims)));
  }
  // Check the payload size before allocating, so a huge declared shape over a small payload is
  // an error rather than a huge allocation.
  EDGE_ASSIGN_OR_RETURN(int64_t n, checked_num_elements(dims));
  const bool external = p.data_location() == onnx::TensorProto::EXTERNAL;
  if (!external && dtype != DType::kString) {
    const int64_t have = p.has_raw_data() ? static_cast<int64_t>(p.raw_data().size()) / static_cast<int64_t>(dtype_size(dtype))
                                          : std::max({p.float_data_size(), p.int32_data_size(), p.int64_data_size(),
                                                      p.double_data_size(), p.uint64_data_size()});
    if (have != n) {
      return invalid_argument(str_cat(what, ": dims ", dims_to_string(dims), " need ", n, " elements of ",
                                      dtype_name(dtype), " but the data holds ", have));
    }
  }
  // raw_data overwrites every byte (copy_raw checks the size first) or the tensor is dropped.
  const bool overwritten = !external && p.has_raw_data() && dtype != DType::kString;
  auto allocated = overwritten ? Tensor::allocate_uninitialized(dtype, dims) : Tensor::allocate(dtype, dims);
  if (!allocated.is_ok()) return allocated.status().with_context(what);
  Tensor t = std::move(allocated).value();
  if (external) {
    EDGE_RETURN_IF_ERROR(read_external(p, policy, t, what));
  } else if (p.has_raw_data()) {
    EDGE_RETURN_IF_ERROR(copy_raw(p.raw_data().data(), p.raw_data().size(), t, what, "raw_data"));
  } else {
    EDGE_RETURN_IF_ERROR(copy_typed_fields(p, t, what));
  }
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* proto) {
  proto->Clear();
  proto->set_name(name);
  proto->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) proto->add_dims(d);
  if (t.dtype() == DType::kString) {
    for (int64_t i = 0; i < t.num_elements(); ++i) proto->add_string_data(t.data<std::string>()[i]);
  } else {
    proto->set_raw_data(static_cast<const char*>(t.raw_data()), t.byte_size());
  }
}

}  // namespace edgeserve
