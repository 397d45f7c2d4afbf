// The edgeserve subcommands. Each returns the process exit code: 0 success, 1 failure,
// 2 usage error. Errors are printed as one line on stderr.
#pragma once

#include <string>

namespace edgeserve::cli {

int cmd_run(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_conformance(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_optimize(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_perf(int argc, char** argv);
int cmd_count(int argc, char** argv);
int cmd_quantize(int argc, char** argv);

// Prints "edgeserve <cmd>: <message>" to stderr and returns `code`.
int fail(const char* cmd, const std::string& message, int code = 1);

}  // namespace edgeserve::cli
