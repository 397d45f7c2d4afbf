// Reading and writing tensor files: ONNX TensorProto (.pb) and NumPy (.npy).
#pragma once

#include "engine/onnx/tensor_file.h"
