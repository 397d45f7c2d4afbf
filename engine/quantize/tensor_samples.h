// Calibration samples from tensor files (.pb TensorProto or .npy), used as they are.
// Layout of the folder:
//   - single-input model: one file per sample, DIR/<anything>.pb|.npy;
//   - several inputs: one subfolder per sample, DIR/<sample>/<input name>.pb|.npy (the file
//     stem names the input; the folder may hold nothing else of those extensions).
// Samples are taken in sorted file (or folder) name order, at most `max_samples`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "edgeserve/session.h"
#include "engine/quantize/sample_source.h"

namespace edgeserve::quant {

// Files of `dir` with one of `extensions` (lower-case, with the dot), sorted by name.
Result<std::vector<std::string>> list_files(const std::string& dir, const std::vector<std::string>& extensions);

Result<std::unique_ptr<SampleSource>> open_tensor_samples(const std::string& dir, const std::vector<TensorInfo>& inputs,
                                                          int max_samples);

// Checks that `t` fits the declared input (dtype, rank, known dims); the error names `what`.
Status check_input_tensor(const Tensor& t, const TensorInfo& input, const std::string& what);

}  // namespace edgeserve::quant
