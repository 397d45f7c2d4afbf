// Batch execution: concatenate each input along dim 0, run once, slice each output along dim 0.
#include "serving/scheduler/batch_runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

namespace edgeserve::serving {
namespace {

int64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count();
}

const Tensor* find_input(const InferRequest& r, const std::string& name) {
  for (const NamedTensor& t : r.inputs) {
    if (t.name == name) return &t.tensor;
  }
  return nullptr;
}

// Copies rows of equal-shaped tensors into one; element bytes only (string tensors copy
// element by element).
Result<Tensor> concat_rows(std::span<const Tensor* const> parts, int64_t total_rows) {
  Dims dims = parts[0]->dims();
  dims[0] = total_rows;
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate_uninitialized(parts[0]->dtype(), dims));
  if (out.dtype() == DType::kString) {
    EDGE_ASSIGN_OR_RETURN(out, Tensor::allocate(DType::kString, dims));
    std::string* dst = out.mutable_data<std::string>();
    for (const Tensor* p : parts) dst = std::copy_n(p->data<std::string>(), p->num_elements(), dst);
    return out;
  }
  auto* dst = static_cast<char*>(out.mutable_raw_data());
  for (const Tensor* p : parts) {
    std::memcpy(dst, p->raw_data(), p->byte_size());
    dst += p->byte_size();
  }
  return out;
}

Result<Tensor> slice_rows(const Tensor& t, int64_t first_row, int64_t rows) {
  Dims dims = t.dims();
  if (dims.empty() || dims[0] < first_row + rows) {
    return internal_error("a batched output's first dim does not cover the batch");
  }
  const int64_t row_elems = dims[0] == 0 ? 0 : t.num_elements() / dims[0];
  dims[0] = rows;
  if (t.dtype() == DType::kString) {
    EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(DType::kString, dims));
    std::copy_n(t.data<std::string>() + first_row * row_elems, rows * row_elems, out.mutable_data<std::string>());
    return out;
  }
  EDGE_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate_uninitialized(t.dtype(), dims));
  const size_t row_bytes = static_cast<size_t>(row_elems) * dtype_size(t.dtype());
  std::memcpy(out.mutable_raw_data(), static_cast<const char*>(t.raw_data()) + first_row * row_bytes, out.byte_size());
  return out;
}

Result<std::vector<NamedTensor>> gather_inputs(const Session& session, std::span<const InferRequest* const> requests,
                                               int64_t total_rows) {
  std::vector<NamedTensor> inputs;
  std::vector<const Tensor*> parts(requests.size());
  for (const TensorInfo& info : session.inputs()) {
    for (size_t i = 0; i < requests.size(); ++i) {
      parts[i] = find_input(*requests[i], info.name);
      if (parts[i] == nullptr) return internal_error("batched request lacks input '" + info.name + "'");
    }
    EDGE_ASSIGN_OR_RETURN(Tensor t, concat_rows(parts, total_rows));
    inputs.push_back({info.name, std::move(t)});
  }
  return inputs;
}

void fail_all(BatchRun* run, size_t n, const Status& s) {
  run->outputs.assign(n, Result<std::vector<Tensor>>(s));
}

}  // namespace

BatchRun run_batch(const Session& session, std::span<const InferRequest* const> requests,
                   std::span<const int64_t> rows, bool batched) {
  BatchRun run;
  if (!batched || requests.size() == 1) {
    const auto t0 = std::chrono::steady_clock::now();
    Result<std::vector<Tensor>> out = session.run(requests[0]->inputs);
    run.infer_ns = elapsed_ns(t0);
    for (size_t i = 0; i < requests.size(); ++i) run.outputs.push_back(out);
    return run;
  }
  int64_t total_rows = 0;
  for (int64_t r : rows) total_rows += r;
  auto t0 = std::chrono::steady_clock::now();
  Result<std::vector<NamedTensor>> inputs = gather_inputs(session, requests, total_rows);
  run.input_ns = elapsed_ns(t0);
  if (!inputs.is_ok()) return fail_all(&run, requests.size(), inputs.status()), run;
  t0 = std::chrono::steady_clock::now();
  Result<std::vector<Tensor>> out = session.run(inputs.value());
  run.infer_ns = elapsed_ns(t0);
  if (!out.is_ok()) return fail_all(&run, requests.size(), out.status()), run;
  t0 = std::chrono::steady_clock::now();
  int64_t first = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    std::vector<Tensor> mine;
    Status status;
    for (const Tensor& t : out.value()) {
      Result<Tensor> part = slice_rows(t, first, rows[i]);
      if (!part.is_ok()) {
        status = part.status();
        break;
      }
      mine.push_back(std::move(part).value());
    }
    run.outputs.push_back(status.is_ok() ? Result<std::vector<Tensor>>(std::move(mine)) : Result<std::vector<Tensor>>(status));
    first += rows[i];
  }
  run.output_ns = elapsed_ns(t0);
  return run;
}

}  // namespace edgeserve::serving
