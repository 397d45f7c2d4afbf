// Test driver for the events stage: plays a counting process that emits events at a steady rate
// through EventSink -> Outbox -> EventPublisher, so that the integration test can stop the broker
// or kill -9 this process mid-run. Also measures the outbox's append throughput.
//
//   events_driver produce --outbox F --uri mqtt://127.0.0.1:P --prefix X --sources N --steps M
//                 [--first-track K] [--rate STEPS_PER_S] [--jsonl F] [--pending-log F] [--drain-s S]
//   events_driver bench-outbox --outbox F [--batches N] [--batch B]
//
// produce: each step emits one event per source (cam0..camN-1; the kinds cycle through line
// crossing in, zone entry, line crossing out, zone exit) with track_id = K + step, so per-source
// order can be checked at the subscriber. --pending-log first writes the ids of the event rows
// already in the outbox (left by a killed run). Prints the publisher's stats as one JSON line.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "vision/events/event_sink.h"
#include "vision/events/mqtt_publisher.h"
#include "vision/events/outbox.h"

namespace ev = edgeserve::vision;

namespace {

using Args = std::map<std::string, std::string>;

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 2; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  return args;
}

std::string arg(const Args& args, const std::string& key, const std::string& fallback) {
  auto it = args.find("--" + key);
  return it == args.end() ? fallback : it->second;
}

int fail(const edgeserve::Status& status) {
  std::fprintf(stderr, "events_driver: %s\n", status.to_string().c_str());
  return 2;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct SourceCounts {
  int64_t line_in = 0, line_out = 0, zone_entries = 0, zone_exits = 0;
};

ev::CountEvent make_event(const std::string& source, int64_t track, SourceCounts& c) {
  ev::CountEvent e;
  e.source = source;
  e.track_id = track;
  e.timestamp = unix_now();
  switch (track % 4) {
    case 0:
    case 2:
      e.kind = ev::EventKind::kLineCrossing;
      e.name = "door";
      e.direction = track % 4 == 0 ? "in" : "out";
      (track % 4 == 0 ? c.line_in : c.line_out) += 1;
      e.entries = c.line_in;
      e.exits = c.line_out;
      return e;
    case 1:
      e.kind = ev::EventKind::kZoneEntry;
      ++c.zone_entries;
      break;
    default:
      e.kind = ev::EventKind::kZoneExit;
      e.dwell_seconds = 1.5;
      ++c.zone_exits;
      break;
  }
  e.name = "hall";
  e.entries = c.zone_entries;
  e.exits = c.zone_exits;
  e.occupancy = c.zone_entries - c.zone_exits;
  return e;
}

edgeserve::Status write_pending(ev::Outbox& outbox, const std::string& events_topic, const std::string& path) {
  EDGE_ASSIGN_OR_RETURN(auto rows, outbox.read_after(0, 100'000'000));
  std::ofstream out(path);
  for (const auto& row : rows) {
    if (row.topic == events_topic) out << row.id << "\n";
  }
  return out ? edgeserve::Status::ok() : edgeserve::unavailable("cannot write " + path);
}

int produce(const Args& args) {
  auto outbox = ev::Outbox::open({arg(args, "outbox", "outbox.db")});
  if (!outbox.is_ok()) return fail(outbox.status());
  const std::string prefix = arg(args, "prefix", "edgeserve");
  const std::string pending = arg(args, "pending-log", "");
  if (!pending.empty()) {
    edgeserve::Status s = write_pending(**outbox, prefix + "/events", pending);
    if (!s.is_ok()) return fail(s);
  }
  ev::MqttOptions mqtt;
  mqtt.uri = arg(args, "uri", "mqtt://127.0.0.1:1883");
  mqtt.topic_prefix = prefix;
  mqtt.max_inflight = std::atoi(arg(args, "max-inflight", "16").c_str());
  mqtt.keepalive_s = 5;
  auto publisher = ev::EventPublisher::start(mqtt, outbox->get());
  if (!publisher.is_ok()) return fail(publisher.status());
  auto sink = ev::EventSink::create(outbox->get(), publisher->get(), prefix, arg(args, "jsonl", ""));
  if (!sink.is_ok()) return fail(sink.status());

  const int sources = std::atoi(arg(args, "sources", "2").c_str());
  const int64_t steps = std::atoll(arg(args, "steps", "100").c_str());
  const int64_t first_track = std::atoll(arg(args, "first-track", "0").c_str());
  const double rate = std::atof(arg(args, "rate", "100").c_str());
  std::vector<SourceCounts> counts(static_cast<size_t>(sources));
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < steps; ++step) {
    std::vector<ev::CountEvent> frame;
    for (int s = 0; s < sources; ++s) {
      frame.push_back(make_event("cam" + std::to_string(s), first_track + step, counts[static_cast<size_t>(s)]));
    }
    edgeserve::Status s = (*sink)->publish(frame);
    if (!s.is_ok()) return fail(s);
    std::this_thread::sleep_until(start + std::chrono::duration<double>((static_cast<double>(step) + 1) / rate));
  }
  const double drain_s = std::atof(arg(args, "drain-s", "60").c_str());
  (*publisher)->stop(std::chrono::milliseconds(static_cast<int64_t>(drain_s * 1000)));
  const auto stats = (*publisher)->stats();
  std::printf("{\"published\":%lld,\"acknowledged\":%lld,\"reconnects\":%lld,\"outbox_depth\":%lld}\n",
              static_cast<long long>(stats.published), static_cast<long long>(stats.acknowledged),
              static_cast<long long>(stats.reconnects), static_cast<long long>(stats.outbox_depth));
  return stats.outbox_depth == 0 ? 0 : 3;
}

int bench_outbox(const Args& args) {
  auto outbox = ev::Outbox::open({arg(args, "outbox", "bench.db")});
  if (!outbox.is_ok()) return fail(outbox.status());
  const int batches = std::atoi(arg(args, "batches", "2000").c_str());
  const int batch_size = std::atoi(arg(args, "batch", "10").c_str());
  const std::string payload(300, 'x');  // about one event's JSON
  int64_t next_id = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int b = 0; b < batches; ++b) {
    std::vector<ev::OutboxMessage> batch;
    for (int i = 0; i < batch_size; ++i) {
      batch.push_back({0, "bench-" + std::to_string(next_id++), "edgeserve/events", payload, false});
    }
    edgeserve::Status s = (*outbox)->append_batch(batch);
    if (!s.is_ok()) return fail(s);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"batches\":%d,\"batch\":%d,\"seconds\":%.3f,\"appends_per_s\":%.0f,\"batches_per_s\":%.0f}\n",
              batches, batch_size, seconds, static_cast<double>(next_id) / seconds,
              static_cast<double>(batches) / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  const Args args = parse_args(argc, argv);
  if (command == "produce") return produce(args);
  if (command == "bench-outbox") return bench_outbox(args);
  std::fprintf(stderr, "usage: events_driver produce|bench-outbox --key value ...\n");
  return 2;
}
