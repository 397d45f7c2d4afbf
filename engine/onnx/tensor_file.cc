// .pb and .npy tensor files.
#include "engine/onnx/tensor_file.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "engine/onnx/tensor_proto.h"
#include "onnx/onnx-data_pb.h"
#include "onnx/onnx_pb.h"

namespace edgeserve {

namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";

Result<DType> npy_dtype(const std::string& descr) {
  if (descr.size() < 2 || descr[0] == '>') return unimplemented(str_cat("npy dtype '", descr, "' (big-endian or unknown)"));
  const std::string code = descr.substr(1);
  static const std::pair<const char*, DType> kCodes[] = {
      {"f2", DType::kFloat16}, {"f4", DType::kFloat32}, {"f8", DType::kFloat64}, {"i1", DType::kInt8},
      {"i2", DType::kInt16},   {"i4", DType::kInt32},   {"i8", DType::kInt64},   {"u1", DType::kUint8},
      {"u2", DType::kUint16},  {"u4", DType::kUint32},  {"u8", DType::kUint64},  {"b1", DType::kBool}};
  for (const auto& [c, t] : kCodes) {
    if (code == c) return t;
  }
  return unimplemented(str_cat("npy dtype '", descr, "' is not supported"));
}

// The value text after `'key':` in a .npy header dict, up to the next top-level comma.
std::string npy_header_field(const std::string& header, const std::string& key) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t p = header.find(':', k);
  if (p == std::string::npos) return "";
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  const size_t end = header[p] == '(' ? header.find(')', p) + 1 : header.find_first_of(",}", p);
  return header.substr(p, end == std::string::npos ? std::string::npos : end - p);
}

Result<Dims> npy_shape(const std::string& text, const std::string& path) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    return invalid_argument(str_cat(path, ": .npy header has no valid 'shape'"));
  }
  Dims dims;
  std::string digits;
  for (char c : text.substr(1)) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (digits.size() > 17) return invalid_argument(str_cat(path, ": .npy dimension is too large"));
      digits += c;
    } else if (c == ',' || c == ')') {
      if (!digits.empty()) dims.push_back(std::stoll(digits));
      digits.clear();
    } else if (c != ' ' && c != 'L') {
      return invalid_argument(str_cat(path, ": .npy shape '", text, "' is not a tuple of sizes"));
    }
  }
  return dims;
}

Result<NamedTensor> parse_npy(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 10) return invalid_argument(str_cat(path, ": truncated .npy header"));
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return invalid_argument(str_cat(path, ": truncated .npy header"));
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return unimplemented(str_cat(path, ": .npy version ", major, " is not supported"));
  }
  if (header_len > bytes.size() - header_start) return invalid_argument(str_cat(path, ": truncated .npy header"));
  const std::string header = bytes.substr(header_start, header_len);
  std::string descr = npy_header_field(header, "descr");
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'') {
    return invalid_argument(str_cat(path, ": .npy header has no valid 'descr'"));
  }
  EDGE_ASSIGN_OR_RETURN(DType dtype, npy_dtype(descr.substr(1, descr.size() - 2)));
  if (npy_header_field(header, "fortran_order") == "True") {
    return unimplemented(str_cat(path, ": Fortran-order .npy arrays are not supported"));
  }
  EDGE_ASSIGN_OR_RETURN(Dims dims, npy_shape(npy_header_field(header, "shape"), path));
  EDGE_ASSIGN_OR_RETURN(int64_t n, checked_num_elements(dims));
  const size_t data_start = header_start + header_len;
  const size_t need = static_cast<size_t>(n) * dtype_size(dtype);
  if (bytes.size() - data_start != need) {
    return invalid_argument(str_cat(path, ": .npy data has ", bytes.size() - data_start, " bytes, shape ",
                                    dims_to_string(dims), " of ", dtype_name(dtype), " needs ", need));
  }
  EDGE_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, dims));
  if (need) std::memcpy(t.mutable_raw_data(), bytes.data() + data_start, need);
  return NamedTensor{"", std::move(t)};
}

}  // namespace

Result<NamedTensor> parse_tensor_proto(const std::string& bytes, const std::string& what) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return invalid_argument(str_cat(what, ": not a valid TensorProto"));
  EDGE_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(proto, ExternalDataPolicy{}, what));
  return NamedTensor{proto.name(), std::move(t)};
}

namespace {

Result<std::string> read_file_bytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return not_found(str_cat(path, ": no such tensor file"));
  const auto size = fs::file_size(path, ec);
  if (ec || size > static_cast<uintmax_t>(kMaxTensorFileBytes)) {
    return invalid_argument(str_cat(path, ": cannot read, or larger than ", kMaxTensorFileBytes, " bytes"));
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) return invalid_argument(str_cat(path, ": read failed"));
  return bytes;
}

Result<Tensor> sequence_from_proto(const onnx::SequenceProto& sp, DType elem_dtype, const std::string& what) {
  if (sp.elem_type() != onnx::SequenceProto::TENSOR && sp.tensor_values_size() > 0) {
    return unimplemented(str_cat(what, ": only sequences of tensors are supported"));
  }
  std::vector<Tensor> items;
  for (int i = 0; i < sp.tensor_values_size(); ++i) {
    EDGE_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(sp.tensor_values(i), ExternalDataPolicy{}, str_cat(what, "[", i, "]")));
    items.push_back(std::move(t));
  }
  const DType dtype = items.empty() ? elem_dtype : items[0].dtype();
  return Tensor::sequence(dtype, std::move(items));
}

Result<Tensor> optional_from_proto(const onnx::OptionalProto& op, DType elem_dtype, const std::string& what) {
  if (op.has_tensor_value()) return tensor_from_proto(op.tensor_value(), ExternalDataPolicy{}, what);
  if (op.has_sequence_value()) return sequence_from_proto(op.sequence_value(), elem_dtype, what);
  return Tensor::none(elem_dtype);
}

void sequence_to_proto(const Tensor& seq, const std::string& name, onnx::SequenceProto* sp) {
  sp->set_name(name);
  sp->set_elem_type(onnx::SequenceProto::TENSOR);
  for (const Tensor& t : seq.items()) tensor_to_proto(t, "", sp->add_tensor_values());
}

}  // namespace

Result<NamedTensor> read_value_file(const std::string& path, const TensorType& type) {
  if (type.kind == ValueKind::kTensor) return read_tensor_file(path);
  EDGE_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
  if (type.kind == ValueKind::kSequence) {
    onnx::SequenceProto sp;
    if (!sp.ParseFromString(bytes)) return invalid_argument(str_cat(path, ": not a valid SequenceProto"));
    EDGE_ASSIGN_OR_RETURN(Tensor t, sequence_from_proto(sp, type.dtype, path));
    return NamedTensor{sp.name(), std::move(t)};
  }
  onnx::OptionalProto op;
  if (!op.ParseFromString(bytes)) return invalid_argument(str_cat(path, ": not a valid OptionalProto"));
  EDGE_ASSIGN_OR_RETURN(Tensor t, optional_from_proto(op, type.dtype, path));
  return NamedTensor{op.name(), std::move(t)};
}

Status write_value_file(const std::string& path, const std::string& name, const Tensor& value, const TensorType& type) {
  if (type.kind == ValueKind::kTensor && !value.is_container()) return write_tensor_file(path, name, value);
  std::string bytes;
  if (!type.is_optional() && value.is_sequence()) {
    onnx::SequenceProto sp;
    sequence_to_proto(value, name, &sp);
    bytes = sp.SerializeAsString();
  } else {
    onnx::OptionalProto op;
    op.set_name(name);
    op.set_elem_type(type.is_sequence() ? onnx::OptionalProto::SEQUENCE : onnx::OptionalProto::TENSOR);
    if (value.is_sequence()) sequence_to_proto(value, "", op.mutable_sequence_value());
    else if (!value.is_none()) tensor_to_proto(value, "", op.mutable_tensor_value());
    bytes = op.SerializeAsString();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return invalid_argument(str_cat(path, ": cannot write"));
  }
  return Status::ok();
}

Result<NamedTensor> read_tensor_file(const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
  if (bytes.compare(0, 6, kNpyMagic) == 0) return parse_npy(bytes, path);
  return parse_tensor_proto(bytes, path);
}

Status write_tensor_file(const std::string& path, const std::string& name, const Tensor& t) {
  onnx::TensorProto proto;
  tensor_to_proto(t, name, &proto);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !proto.SerializeToOstream(&out)) return invalid_argument(str_cat(path, ": cannot write"));
  return Status::ok();
}

}  // namespace edgeserve
