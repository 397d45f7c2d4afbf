// KServe v2 REST routing: the path is split into segments and matched by hand (a handful of
// fixed shapes), so no regex runs per request.
#include "serving/http/http_routes.h"

#include <string_view>
#include <vector>

#include "common/json_writer.h"

namespace edgeserve::serving {
namespace {

std::vector<std::string_view> split_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    const size_t slash = target.find('/');
    parts.push_back(target.substr(0, slash));
    target = slash == std::string_view::npos ? std::string_view() : target.substr(slash);
  }
  return parts;
}

HttpResponse json(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }
HttpResponse error(int status, std::string_view message) { return json(status, encode_error(message)); }
HttpResponse error(const Status& s) { return error(http_status_of(s.code()), s.message()); }

// `/v2/models/<m>[/versions/<v>]/<rest>`: the model, the version and what follows.
struct ModelTarget {
  std::string name;
  std::string version;
  std::string_view action;  // "", "ready", "infer", "config", "stats"
  bool valid = false;
};

ModelTarget parse_model_target(const std::vector<std::string_view>& p) {
  ModelTarget t;
  if (p.size() < 3 || p[0] != "v2" || p[1] != "models") return t;
  t.name = std::string(p[2]);
  size_t next = 3;
  if (p.size() >= 5 && p[3] == "versions") {
    t.version = std::string(p[4]);
    next = 5;
  }
  if (p.size() > next + 1) return t;
  if (p.size() == next + 1) t.action = p[next];
  t.valid = true;
  return t;
}

HttpResponse model_metadata(InferenceServer& core, const ModelTarget& t) {
  Result<ModelMetadata> m = core.model_metadata(t.name, t.version);
  return m.is_ok() ? json(200, encode_model_metadata(m.value())) : error(m.status());
}

HttpResponse stats(InferenceServer& core, const std::string& name, const std::string& version);

void infer(InferenceServer& core, const DecodeLimits& limits, const ModelTarget& t, HttpRequest& req, HttpRespond& respond) {
  if (req.bad_inference_header_length) return respond(error(400, "Inference-Header-Content-Length is not a number"));
  Result<InferRequest> decoded = decode_infer_request(req.body, req.inference_header_length, limits);
  if (!decoded.is_ok()) return respond(error(decoded.status()));
  InferRequest request = std::move(decoded).value();
  request.model_name = t.name;
  request.model_version = t.version;
  core.infer(std::move(request), [respond = std::move(respond)](Result<InferResponse> r) {
    if (!r.is_ok()) return respond(error(r.status()));
    EncodedBody body = encode_infer_response(r.value());
    respond({200, body.content_type, std::move(body.body), body.json_length});
  });
}

HttpResponse repository(InferenceServer& core, const std::vector<std::string_view>& p) {
  if (p.size() == 3 && p[2] == "index") {
    JsonWriter w;
    w.begin_array();
    for (const RepositoryEntry& e : core.repository_index(false)) {
      w.begin_object().key("name").string(e.name);
      if (!e.version.empty()) w.key("version").string(e.version);
      w.key("state").string(e.state);
      if (!e.reason.empty()) w.key("reason").string(e.reason);
      w.end_object();
    }
    w.end_array();
    return json(200, w.str());
  }
  if (p.size() == 5 && p[2] == "models" && (p[4] == "load" || p[4] == "unload")) {
    const std::string name(p[3]);
    Status s = p[4] == "load" ? core.load_model(name) : core.unload_model(name);
    return s.is_ok() ? json(200, "{}") : error(s);
  }
  return error(404, "no such repository route");
}

HttpResponse route_get(InferenceServer& core, const std::vector<std::string_view>& p) {
  if (p.size() == 1 && p[0] == "v2") {
    return json(200, encode_server_metadata(core.metadata()));
  }
  if (p.size() == 3 && p[0] == "v2" && p[1] == "health") {
    if (p[2] == "live") return core.live() ? json(200, "") : error(503, "not live");
    if (p[2] == "ready") return core.ready() ? json(200, "") : error(503, "not ready");
  }
  if (p.size() == 3 && p[0] == "v2" && p[1] == "models" && p[2] == "stats") return stats(core, "", "");
  const ModelTarget t = parse_model_target(p);
  if (!t.valid) return error(404, "no such route");
  if (t.action.empty()) return model_metadata(core, t);
  if (t.action == "ready") {
    return core.model_ready(t.name, t.version) ? json(200, "") : error(503, "model '" + t.name + "' is not ready");
  }
  if (t.action == "config") {
    Result<std::string> c = core.model_config_json(t.name, t.version);
    return c.is_ok() ? json(200, c.value()) : error(c.status());
  }
  if (t.action == "stats") return stats(core, t.name, t.version);
  return error(404, "no such route");
}

void write_duration(JsonWriter& w, const char* key, const DurationStat& d) {
  w.key(key).begin_object().key("count").integer(static_cast<int64_t>(d.count)).key("ns").integer(static_cast<int64_t>(d.ns)).end_object();
}

HttpResponse stats(InferenceServer& core, const std::string& name, const std::string& version) {
  Result<std::vector<ModelStatistics>> all = core.statistics(name, version);
  if (!all.is_ok()) return error(all.status());
  JsonWriter w;
  w.begin_object().key("model_stats").begin_array();
  for (const ModelStatistics& s : all.value()) {
    w.begin_object().key("name").string(s.name).key("version").string(s.version);
    w.key("last_inference").integer(static_cast<int64_t>(s.last_inference_ms));
    w.key("inference_count").integer(static_cast<int64_t>(s.inference_count));
    w.key("execution_count").integer(static_cast<int64_t>(s.execution_count));
    w.key("inference_stats").begin_object();
    write_duration(w, "success", s.success);
    write_duration(w, "fail", s.fail);
    write_duration(w, "queue", s.queue);
    write_duration(w, "compute_input", s.compute_input);
    write_duration(w, "compute_infer", s.compute_infer);
    write_duration(w, "compute_output", s.compute_output);
    w.end_object().key("batch_stats").begin_array();
    for (const BatchStat& b : s.batch_stats) {
      w.begin_object().key("batch_size").integer(static_cast<int64_t>(b.batch_size));
      write_duration(w, "compute_input", b.compute_input);
      write_duration(w, "compute_infer", b.compute_infer);
      write_duration(w, "compute_output", b.compute_output);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return json(200, w.str());
}

}  // namespace

int http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kInternal: return 500;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnimplemented:
    case StatusCode::kFailedPrecondition: return 400;
  }
  return 500;
}

HttpHandler make_kserve_handler(InferenceServer& core, const DecodeLimits& limits) {
  return [&core, limits](HttpRequest&& req, HttpRespond respond) {
    const std::vector<std::string_view> p = split_path(req.target);
    if (req.method == "GET") return respond(route_get(core, p));
    if (req.method != "POST") return respond(error(405, "method " + req.method + " is not allowed here"));
    if (p.size() >= 2 && p[0] == "v2" && p[1] == "repository") return respond(repository(core, p));
    const ModelTarget t = parse_model_target(p);
    if (t.valid && t.action == "infer") return infer(core, limits, t, req, respond);
    return respond(error(404, "no such route: POST " + req.target));
  };
}

HttpHandler make_metrics_handler(InferenceServer& core) {
  return [&core](HttpRequest&& req, HttpRespond respond) {
    if (req.method != "GET" || split_path(req.target) != std::vector<std::string_view>{"metrics"}) {
      return respond(error(404, "the metrics are at GET /metrics"));
    }
    respond({200, "text/plain; version=0.0.4", core.metrics_text(), {}});
  };
}

}  // namespace edgeserve::serving
