// The Markdown report `edgeserve conformance --markdown FILE` writes (docs/conformance.md): per
// suite and per operator, how many cases pass, fail or are skipped, and why each one that does
// not pass does not.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace edgeserve::cli {

enum class CaseOutcome { kPass, kFail, kSkip };

struct CaseResult {
  std::string name;
  std::string suite;             // the directory the case came from ("node", "simple", ...)
  std::vector<std::string> ops;  // op types of the model's main graph ("ai.onnx" ops unprefixed)
  CaseOutcome outcome = CaseOutcome::kPass;
  std::string reason;            // the skip reason or the failure
};

// `command` is the command line that produced the results, quoted in the report.
Status write_conformance_report(const std::string& path, const std::string& command,
                                const std::vector<CaseResult>& results);

}  // namespace edgeserve::cli
