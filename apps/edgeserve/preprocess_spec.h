// `--preprocess SPEC` of `edgeserve quantize`: how a calibration image becomes a model input.
// SPEC is a comma list of fields, applied left to right (a preset first, then overrides):
//   imagenet          = rgb,crop=256,size=224x224,scale=1/255,mean=0.485:0.456:0.406,std=0.229:0.224:0.225
//   yolox             = bgr,letterbox,align=topleft,pad=114,scale=1 (size: the model's)
//   size=WxH | size=N   input width and height (default: the model input's static H and W)
//   nchw | nhwc         layout (also layout=...; default nchw)
//   rgb | bgr           channel order (also order=...; default rgb)
//   scale=X | scale=1/N multiply 0..255 pixels by X (default 1); 0..255 and 0..1 are shorthands
//   mean=a:b:c, std=a:b:c  per channel in the output order, after scale: (p * scale - mean) / std
//                       (one value applies to all three channels)
//   stretch | crop[=S] | letterbox   resize: stretch to WxH (default); shorter side to S (default
//                       the larger of W and H) then centre crop; or fit inside WxH keeping aspect
//   pad=V               letterbox pad value in 0..255 pixel units (default 114)
//   align=topleft|center   letterbox placement (default topleft)
#pragma once

#include <array>
#include <string>

#include "common/status.h"

namespace edgeserve::cli {

enum class ResizeMode { kStretch, kCrop, kLetterbox };

struct PreprocessSpec {
  int width = 0;   // 0: from the model
  int height = 0;
  bool nhwc = false;
  bool rgb = true;
  float scale = 1;
  std::array<float, 3> mean = {0, 0, 0};
  std::array<float, 3> std = {1, 1, 1};
  ResizeMode resize = ResizeMode::kStretch;
  int shorter_side = 0;  // kCrop: 0 = max(width, height)
  float pad_value = 114;
  bool pad_center = false;
};

// Parses SPEC; errors name the field and what was wrong with it.
Result<PreprocessSpec> parse_preprocess_spec(const std::string& spec);

}  // namespace edgeserve::cli
