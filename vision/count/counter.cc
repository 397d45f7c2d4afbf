// Counter: per-track memory of line sides and zone memberships, ID-switch take-over, events.
#include "vision/count/counter.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgeserve::vision {
namespace {

bool finite(Point p) { return std::isfinite(p.x) && std::isfinite(p.y); }

bool same_points(const Polygon& a, const Polygon& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](Point p, Point q) { return p.x == q.x && p.y == q.y; });
}

bool same_geometry(const LineSpec& a, const LineSpec& b) {
  return a.a.x == b.a.x && a.a.y == b.a.y && a.b.x == b.b.x && a.b.y == b.b.y && a.band == b.band;
}

template <typename State>
int index_by_name(const std::vector<State>& states, const std::string& name) {
  for (size_t i = 0; i < states.size(); ++i) {
    if (states[i].spec.name == name) return static_cast<int>(i);
  }
  return -1;
}

// Smoothing of the per-frame velocity: detection noise of a few px per frame would otherwise
// swing the extrapolation used for ID-switch take-over by tens of px per second.
constexpr float kVelocitySmoothing = 0.5f;

bool contains(const std::vector<int64_t>& sorted_ids, int64_t id) {
  return std::binary_search(sorted_ids.begin(), sorted_ids.end(), id);
}

}  // namespace

void Counter::update_velocity(TrackMemory& memory, double timestamp, Point position) {
  const double dt = timestamp - memory.last_seen;
  if (!memory.position || !(dt > 0)) return;
  const Point step{static_cast<float>((position.x - memory.position->x) / dt),
                   static_cast<float>((position.y - memory.position->y) / dt)};
  if (!finite(step)) return;
  memory.velocity.x += kVelocitySmoothing * (step.x - memory.velocity.x);
  memory.velocity.y += kVelocitySmoothing * (step.y - memory.velocity.y);
}

Status validate(const CounterOptions& o) {
  if (!std::isfinite(o.id_switch_seconds) || o.id_switch_seconds < 0) {
    return invalid_argument("counter option id_switch_seconds = " + std::to_string(o.id_switch_seconds) +
                            " must be a finite number >= 0");
  }
  if (!std::isfinite(o.id_switch_distance) || o.id_switch_distance < 0) {
    return invalid_argument("counter option id_switch_distance = " + std::to_string(o.id_switch_distance) +
                            " must be a finite number >= 0");
  }
  if (!std::isfinite(o.forget_track_seconds) || o.forget_track_seconds < 0) {
    return invalid_argument("counter option forget_track_seconds = " + std::to_string(o.forget_track_seconds) +
                            " must be a finite number >= 0");
  }
  if (o.max_tracks < 1) return invalid_argument("counter option max_tracks must be >= 1");
  return Status::ok();
}

Counter::Counter(std::string source_id, SceneSpec scene, CounterOptions options)
    : source_(std::move(source_id)), options_(options) {
  set_scene(std::move(scene));
}

void Counter::set_scene(SceneSpec scene) {
  std::vector<LineState> lines;
  std::vector<int> old_line;  // index in lines_ whose per-track sides carry over, or -1
  for (LineSpec& spec : scene.lines) {
    const int old = index_by_name(lines_, spec.name);
    LineState state{spec, {spec.name, 0, 0}};
    if (old >= 0) state.counts = lines_[old].counts;
    old_line.push_back(old >= 0 && same_geometry(lines_[old].spec, spec) ? old : -1);
    lines.push_back(std::move(state));
  }
  std::vector<ZoneState> zones;
  std::vector<int> old_zone;
  for (ZoneSpec& spec : scene.zones) {
    const int old = index_by_name(zones_, spec.name);
    ZoneState state{spec, {spec.name, 0, 0, 0}, false};
    if (old >= 0) {
      state.counts = zones_[old].counts;
      state.recompute_silently = zones_[old].recompute_silently || !same_points(zones_[old].spec.polygon, spec.polygon);
    }
    old_zone.push_back(old);
    zones.push_back(std::move(state));
  }
  for (auto& [id, memory] : tracks_) {
    std::vector<LineTrackState> sides(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      if (old_line[i] >= 0) sides[i] = memory.lines[old_line[i]];
    }
    std::vector<std::optional<double>> inside(zones.size());
    for (size_t i = 0; i < zones.size(); ++i) {
      if (old_zone[i] >= 0) inside[i] = memory.inside_since[old_zone[i]];
    }
    memory.lines = std::move(sides);
    memory.inside_since = std::move(inside);
  }
  lines_ = std::move(lines);
  zones_ = std::move(zones);
}

CountSnapshot Counter::snapshot() const {
  CountSnapshot snap;
  for (const ZoneState& z : zones_) snap.zones.push_back(z.counts);
  for (const LineState& l : lines_) snap.lines.push_back(l.counts);
  return snap;
}

CountEvent Counter::zone_event(EventKind kind, const ZoneState& zone, int64_t id, double timestamp) const {
  CountEvent e;
  e.kind = kind;
  e.source = source_;
  e.name = zone.spec.name;
  e.track_id = id;
  e.timestamp = timestamp;
  e.occupancy = zone.counts.occupancy;
  e.entries = zone.counts.entries;
  e.exits = zone.counts.exits;
  return e;
}

Counter::TrackMemory Counter::take_over_or_new(double timestamp, Point position,
                                                const std::vector<int64_t>& active_ids) {
  auto best = tracks_.end();
  double best_distance = std::numeric_limits<double>::infinity();
  for (auto it = tracks_.begin(); it != tracks_.end(); ++it) {
    const TrackMemory& m = it->second;
    if (contains(active_ids, it->first) || !m.position) continue;
    const double age = timestamp - m.last_seen;
    if (!(age >= 0 && age <= options_.id_switch_seconds)) continue;
    const double from_last = std::hypot(double(position.x) - m.position->x, double(position.y) - m.position->y);
    const double from_extrapolated = std::hypot(double(position.x) - (m.position->x + m.velocity.x * age),
                                                 double(position.y) - (m.position->y + m.velocity.y * age));
    const double distance = std::min(from_last, from_extrapolated);
    if (distance <= options_.id_switch_distance && distance < best_distance) {
      best = it;
      best_distance = distance;
    }
  }
  if (best != tracks_.end()) {
    TrackMemory taken = std::move(best->second);
    tracks_.erase(best);
    taken.removed = false;
    return taken;
  }
  TrackMemory fresh;
  fresh.lines.resize(lines_.size());
  fresh.inside_since.resize(zones_.size());
  return fresh;
}

void Counter::step_track(double timestamp, int64_t id, TrackMemory& memory, Point position,
                         std::vector<CountEvent>& events) {
  for (size_t i = 0; i < lines_.size(); ++i) {
    LineState& line = lines_[i];
    const CrossingDirection direction = advance(memory.lines[i], line.spec, memory.position, position);
    if (direction == CrossingDirection::kNone) continue;
    CountEvent e;
    e.kind = EventKind::kLineCrossing;
    e.source = source_;
    e.name = line.spec.name;
    e.track_id = id;
    e.timestamp = timestamp;
    e.direction = direction == CrossingDirection::kIn ? "in" : "out";
    (direction == CrossingDirection::kIn ? line.counts.in : line.counts.out) += 1;
    e.entries = line.counts.in;
    e.exits = line.counts.out;
    events.push_back(std::move(e));
  }
  for (size_t i = 0; i < zones_.size(); ++i) {
    ZoneState& zone = zones_[i];
    std::optional<double>& since = memory.inside_since[i];
    const bool inside = point_in_polygon(position, zone.spec.polygon);
    if (inside == since.has_value()) continue;
    if (inside) {
      since = timestamp;
      zone.counts.occupancy += 1;
      if (zone.recompute_silently) continue;
      zone.counts.entries += 1;
      events.push_back(zone_event(EventKind::kZoneEntry, zone, id, timestamp));
    } else {
      const double dwell = std::max(0.0, timestamp - *since);
      since.reset();
      zone.counts.occupancy -= 1;
      if (zone.recompute_silently) continue;
      zone.counts.exits += 1;
      events.push_back(zone_event(EventKind::kZoneExit, zone, id, timestamp));
      events.back().dwell_seconds = dwell;
    }
  }
  update_velocity(memory, timestamp, position);
  memory.position = position;
  memory.last_seen = timestamp;
  memory.removed = false;
}

void Counter::exit_all_zones(double timestamp, int64_t id, TrackMemory& memory, std::vector<CountEvent>& events) {
  for (size_t i = 0; i < zones_.size(); ++i) {
    std::optional<double>& since = memory.inside_since[i];
    if (!since) continue;
    ZoneState& zone = zones_[i];
    // The track was last seen inside at last_seen; the removal comes later, when the tracker
    // gives up on it, which is not time spent in the zone.
    const double dwell = std::max(0.0, memory.last_seen - *since);
    since.reset();
    zone.counts.occupancy -= 1;
    zone.counts.exits += 1;
    events.push_back(zone_event(EventKind::kZoneExit, zone, id, timestamp));
    events.back().dwell_seconds = dwell;
  }
}

void Counter::forget_stale(double timestamp, const std::vector<int64_t>& active_ids, std::vector<CountEvent>& events) {
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    TrackMemory& m = it->second;
    const double unseen = timestamp - m.last_seen;
    const bool candidate_expired = m.removed && !(unseen <= options_.id_switch_seconds);
    const bool forgotten = !m.removed && !contains(active_ids, it->first) && !(unseen <= options_.forget_track_seconds);
    if (forgotten) exit_all_zones(timestamp, it->first, m, events);
    it = (candidate_expired || forgotten) ? tracks_.erase(it) : std::next(it);
  }
  while (tracks_.size() > options_.max_tracks) {
    auto oldest = tracks_.end();
    for (auto it = tracks_.begin(); it != tracks_.end(); ++it) {
      if (contains(active_ids, it->first)) continue;
      if (oldest == tracks_.end() || it->second.last_seen < oldest->second.last_seen) oldest = it;
    }
    if (oldest == tracks_.end()) break;  // more tracks in this one frame than the bound: keep them
    exit_all_zones(timestamp, oldest->first, oldest->second, events);
    tracks_.erase(oldest);
  }
}

std::vector<CountEvent> Counter::update(double timestamp, const TrackerUpdate& tracks) {
  std::vector<CountEvent> events;
  std::vector<int64_t> occupancy_before;
  for (const ZoneState& z : zones_) occupancy_before.push_back(z.counts.occupancy);

  std::vector<Track> active = tracks.active;
  std::sort(active.begin(), active.end(), [](const Track& a, const Track& b) { return a.id < b.id; });
  active.erase(std::unique(active.begin(), active.end(), [](const Track& a, const Track& b) { return a.id == b.id; }),
               active.end());
  std::vector<int64_t> active_ids;
  for (const Track& t : active) active_ids.push_back(t.id);

  for (const Track& t : active) {
    const Point position = t.box.bottom_center();
    if (!finite(position)) continue;
    auto it = tracks_.find(t.id);
    if (it == tracks_.end() || it->second.removed) {
      TrackMemory memory = take_over_or_new(timestamp, position, active_ids);
      it = tracks_.insert_or_assign(t.id, std::move(memory)).first;
    }
    step_track(timestamp, t.id, it->second, position, events);
  }
  for (ZoneState& z : zones_) z.recompute_silently = false;

  std::vector<int64_t> removed = tracks.removed;
  std::sort(removed.begin(), removed.end());
  for (int64_t id : removed) {
    auto it = tracks_.find(id);
    if (it == tracks_.end() || it->second.removed || contains(active_ids, id)) continue;
    exit_all_zones(timestamp, id, it->second, events);
    it->second.removed = true;
  }
  forget_stale(timestamp, active_ids, events);

  for (size_t i = 0; i < zones_.size(); ++i) {
    if (zones_[i].counts.occupancy != occupancy_before[i]) {
      events.push_back(zone_event(EventKind::kOccupancy, zones_[i], -1, timestamp));
    }
  }
  return events;
}

}  // namespace edgeserve::vision
