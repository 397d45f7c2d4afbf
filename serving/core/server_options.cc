// ServerOptions parsing helpers.
#include "serving/core/server_options.h"

namespace edgeserve::serving {

bool parse_model_control_mode(const std::string& name, ModelControlMode* out) {
  if (name == "none") *out = ModelControlMode::kNone;
  else if (name == "poll") *out = ModelControlMode::kPoll;
  else if (name == "explicit") *out = ModelControlMode::kExplicit;
  else return false;
  return true;
}

}  // namespace edgeserve::serving
