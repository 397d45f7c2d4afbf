// The pipeline's report in the forms users read: JSON for GET /v1/counts, Prometheus text for
// GET /metrics, and the table `edgeserve count` prints at the end.
#pragma once

#include <string>

#include "vision/count/scene.h"
#include "vision/pipeline/count_pipeline.h"

namespace edgeserve::vision {

std::string counts_json(const CountPipeline::Report& report);
std::string scene_json(const SceneSpec& scene);
std::string metrics_text(const CountPipeline::Report& report);
// Per camera: frames, fps, drops, reconnects; per zone: occupancy, entries, exits; per line:
// in and out; then throughput and latency.
std::string summary_text(const CountPipeline::Report& report);
// One line for periodic progress on stderr.
std::string progress_line(const CountPipeline::Report& report);

}  // namespace edgeserve::vision
