// Test helpers for the KServe detector: a temp model repository, an `edgeserve serve` child
// process on free ports, a tiny hand-encoded ONNX model, and sockets that refuse or never answer.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace edgeserve::vision::testing {

// The edgeserve binary: $EDGE_SERVE_BINARY, else the one this build makes; "" when absent.
inline std::string edgeserve_binary() {
  const char* env = std::getenv("EDGE_SERVE_BINARY");
#ifdef EDGE_SERVE_BINARY_DEFAULT
  const std::string path = env != nullptr ? env : EDGE_SERVE_BINARY_DEFAULT;
#else
  const std::string path = env != nullptr ? env : "";
#endif
  return !path.empty() && std::filesystem::exists(path) ? path : std::string();
}

// ---- A minimal protobuf writer, enough for one ONNX model of one node. ----
inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
inline void put_int(std::string& out, int field, uint64_t v) {
  put_varint(out, static_cast<uint64_t>(field) << 3);
  put_varint(out, v);
}
inline void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  put_varint(out, bytes.size());
  out += bytes;
}

// ValueInfoProto of a float tensor with fixed dims.
inline std::string float_value_info(const std::string& name, const std::vector<int64_t>& dims) {
  std::string shape;
  for (int64_t d : dims) {
    std::string dim;
    put_int(dim, 1, static_cast<uint64_t>(d));  // Dimension.dim_value
    put_bytes(shape, 1, dim);
  }
  std::string tensor;
  put_int(tensor, 1, 1);  // elem_type FLOAT
  put_bytes(tensor, 2, shape);
  std::string type;
  put_bytes(type, 1, tensor);  // TypeProto.tensor_type
  std::string info;
  put_bytes(info, 1, name);
  put_bytes(info, 2, type);
  return info;
}

// An ONNX model y = Identity(x) with x, y float `dims` (opset 13).
inline std::string identity_model(const std::vector<int64_t>& dims) {
  std::string node;
  put_bytes(node, 1, "x");
  put_bytes(node, 2, "y");
  put_bytes(node, 4, "Identity");
  std::string graph;
  put_bytes(graph, 1, node);
  put_bytes(graph, 2, "identity");
  put_bytes(graph, 11, float_value_info("x", dims));
  put_bytes(graph, 12, float_value_info("y", dims));
  std::string opset;
  put_int(opset, 2, 13);
  std::string model;
  put_int(model, 1, 7);  // ir_version
  put_bytes(model, 7, graph);
  put_bytes(model, 8, opset);
  return model;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Rewrites an ONNX model exported at batch 1 so that it batches (as the engine's free_batch does):
// dim 0 of the graph's inputs and outputs becomes symbolic and a constant Reshape's leading 1
// becomes 0 ("copy dim 0"). Needs Python's onnx package; returns false without it.
inline bool write_free_batch_copy(const std::string& model, const std::filesystem::path& out,
                                  const std::filesystem::path& scratch) {
  const std::filesystem::path script = scratch / "free_batch.py";
  write_file(script, R"(import sys, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
g = m.graph
inits = {i.name: i for i in g.initializer}
for v in [v for v in g.input if v.name not in inits] + list(g.output):
    d = v.type.tensor_type.shape.dim[0]
    d.Clear()
    d.dim_param = "batch"
for n in g.node:
    if n.op_type == "Reshape" and n.input[1] in inits:
        a = numpy_helper.to_array(inits[n.input[1]]).copy()
        if a.size and a[0] == 1:
            a[0] = 0
            inits[n.input[1]].CopyFrom(numpy_helper.from_array(a, n.input[1]))
del g.value_info[:]
onnx.save(m, sys.argv[2])
)");
  std::filesystem::create_directories(out.parent_path());
  const std::string cmd = "/usr/bin/python3 '" + script.string() + "' '" + model + "' '" + out.string() + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0 && std::filesystem::exists(out);
}

// `edgeserve serve` on free ports, stopped (SIGTERM, then SIGKILL) on destruction.
class ServeProcess {
 public:
  ServeProcess() = default;
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() { stop(); }

  // Starts and waits for "ready"; returns "" or what went wrong (with the server's output). The
  // server writes to `log` (a file, so that a full pipe can never block it).
  std::string start(const std::string& binary, const std::string& repository, const std::string& log,
                    const std::vector<std::string>& extra, std::chrono::seconds wait) {
    std::vector<std::string> args = {binary, "serve", "--model-repository", repository, "--http-port", "0",
                                     "--grpc-port", "0", "--metrics-port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::fflush(nullptr);  // or the child would flush the parent's buffered output too
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    return wait_ready(log, wait);
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(50 * 1000);
    if (waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  const std::string& url() const { return url_; }

 private:
  std::string wait_ready(const std::string& log, std::chrono::seconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::string output;
    while (output.find("\nready") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return "no 'ready' in time: " + output;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return "the server exited: " + output;
      }
      usleep(50 * 1000);
      std::ifstream in(log);
      output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const std::string key = "listening http ";
    const size_t at = output.find(key);
    if (at == std::string::npos) return "no http listener: " + output;
    url_ = "http://" + output.substr(at + key.size(), output.find('\n', at) - at - key.size());
    return "";
  }

  pid_t pid_ = -1;
  std::string url_;
};

// A TCP listener on 127.0.0.1 that never accepts nor answers (the kernel completes connections).
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 where nothing listens (bound, then released).
inline int closed_port() {
  int port = 0;
  {
    SilentListener l;
    port = l.port();
  }
  return port;
}

}  // namespace edgeserve::vision::testing
