// Test helper: a model imported from ONNX bytes, with a test failure naming the error first when
// the bytes do not import.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "engine/onnx/model_import.h"

namespace edgeserve::testing {

inline Model import(const std::string& bytes) {
  auto m = import_model_bytes(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  return std::move(m).value();
}

}  // namespace edgeserve::testing
