// A small client of the KServe v2 REST protocol (Open Inference Protocol), as far as a remote
// detector needs it: model metadata, the model's max_batch_size, and one FP32 tensor in / one FP32
// tensor out with the binary tensor extension. Works with edgeserve, Triton and OVMS.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vision/detect/kserve_codec.h"

namespace edgeserve::vision {

// Responses above this are refused unread (the parser stops at the limit): a detector's output
// is a few MB per frame, so this only stops a runaway or hostile answer.
constexpr uint64_t kKServeMaxResponseBytes = uint64_t{256} << 20;

struct KServeClientOptions {
  std::string url;      // http://HOST[:PORT] (port 80 when absent); no TLS, no path prefix
  std::string model;
  std::string version;  // empty: the server's choice (its newest ready version)
  std::chrono::milliseconds timeout{10000};  // per call: connect + send + receive
  uint64_t max_response_bytes = kKServeMaxResponseBytes;
};

// One keep-alive HTTP/1.1 connection to one model's routes. Blocking; not thread-safe (one call at
// a time). A call that finds the connection closed by the server (its idle timeout) reconnects and
// sends once more within the same deadline. Every error message names the URL and the model.
class KServeClient {
 public:
  // Parses the URL and resolves its host (no connection yet).
  static Result<std::unique_ptr<KServeClient>> create(const KServeClientOptions& options);
  ~KServeClient();
  KServeClient(const KServeClient&) = delete;
  KServeClient& operator=(const KServeClient&) = delete;

  // GET /v2/models/M[/versions/V] and, when answered, GET .../config for max_batch_size.
  Result<KServeModelSpec> model_spec();

  // POST .../infer: `input` (FP32, `input_shape`) sent as binary data, `output_name` asked for as
  // binary data (a JSON `data` answer is accepted too). The answer's size is checked against its
  // declared shape.
  Result<KServeFloatTensor> infer_fp32(const std::string& input_name, const std::vector<int64_t>& input_shape,
                                       const float* input, const std::string& output_name);

  // "http://127.0.0.1:8000 model 'yolox'": the context of every error.
  const std::string& where() const { return where_; }

 private:
  struct Connection;
  KServeClient(const KServeClientOptions& options, std::unique_ptr<Connection> connection);

  KServeClientOptions options_;
  std::string where_;
  std::string model_path_;  // /v2/models/M[/versions/V], percent-encoded
  std::unique_ptr<Connection> connection_;
};

}  // namespace edgeserve::vision
