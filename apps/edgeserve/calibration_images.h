// Calibration images: decoded with OpenCV (imgcodecs) and turned into a model input by a
// PreprocessSpec. Lives outside engine/ because the engine must not depend on OpenCV.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "apps/edgeserve/preprocess_spec.h"
#include "edgeserve/session.h"
#include "engine/quantize/sample_source.h"

namespace edgeserve::cli {

// Lower-case extensions of the image files a calibration folder may hold.
const std::vector<std::string>& image_extensions();

// The spec with its size filled in from the model input (rank 4, 3 channels at the layout's
// channel axis, batch 1 or symbolic); fails naming the input when the two disagree.
Result<PreprocessSpec> resolve_spec(const PreprocessSpec& spec, const TensorInfo& input);

// Preprocesses an 8-bit BGR image (rows of width * 3 bytes) into a [1, 3, H, W] (nchw) or
// [1, H, W, 3] (nhwc) float32 tensor. `spec` must be resolved (width and height set).
Result<Tensor> preprocess_bgr(const uint8_t* bgr, int width, int height, const PreprocessSpec& spec);

// Decodes `path` and preprocesses it; errors name the file.
Result<Tensor> load_image_tensor(const std::string& path, const PreprocessSpec& spec);

// Samples from the images in `paths` for a single-input model.
std::unique_ptr<quant::SampleSource> image_samples(std::vector<std::string> paths, PreprocessSpec spec,
                                                   std::string input_name);

}  // namespace edgeserve::cli
