// Prometheus text exposition (format 0.0.4) of the models' statistics and of the process' CPU
// time and resident memory.
#pragma once

#include <string>
#include <vector>

#include "serving/core/statistics.h"

namespace edgeserve::serving {

std::string format_metrics(const std::vector<ModelStatistics>& models);

}  // namespace edgeserve::serving
