// Counting stage: turns the tracker's per-frame output into zone entries/exits, occupancy
// changes and directional line crossings, counting each real crossing once.
//
// Count-once rules beyond the per-line hysteresis (line_crossing.h):
// - ID switch: a track id seen for the first time, whose position is within id_switch_distance
//   px of where a vanished track was last seen, or of where that track would be by now at its
//   last smoothed velocity (a person keeps walking while occluded, and the tracker needs
//   min_hits frames before the new id shows), within id_switch_seconds of that track's last
//   frame in `active`, takes over that track's state: its established side of every line, its
//   last position (so the step from there counts if it crosses a line), and its zone memberships
//   with their entry times (so no exit+entry pair). The vanished track's state is moved, not
//   copied: it cannot be taken twice, and its later removal by the tracker emits nothing. The
//   nearest candidate wins (lowest id on ties). A track still in `active` in the same frame is
//   never a candidate, so people walking together each count.
// - A track stays inside its zones while the tracker holds it as lost (not in `active`); it
//   exits when the tracker reports it removed, or after forget_track_seconds unseen; the
//   exit's dwell_seconds then runs to the last frame it was seen in.
//
// Event order within a frame (deterministic): for each active track in ascending id, its line
// crossings (scene order) then its zone entries/exits (scene order); then exits of removed or
// forgotten tracks in ascending id; then one kOccupancy per zone whose occupancy differs from the
// start of the frame, in scene order.
//
// Threading: not thread-safe; one Counter per source, called from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "vision/base/event.h"
#include "vision/count/line_crossing.h"
#include "vision/count/scene.h"
#include "vision/track/byte_tracker.h"

namespace edgeserve::vision {

struct ZoneCounts {
  std::string name;
  int64_t occupancy = 0;
  int64_t entries = 0;
  int64_t exits = 0;
};

struct LineCounts {
  std::string name;
  int64_t in = 0;
  int64_t out = 0;
};

struct CountSnapshot {
  std::vector<ZoneCounts> zones;  // scene order
  std::vector<LineCounts> lines;  // scene order
};

struct CounterOptions {
  double id_switch_seconds = 2.0;
  float id_switch_distance = 50.0f;
  // Bounds for trackers that never report removals: a track unseen this long is treated as
  // removed (exits emitted), and at most max_tracks track states are kept (the longest unseen
  // is forgotten first).
  double forget_track_seconds = 300.0;
  size_t max_tracks = 4096;
};

// id_switch_seconds, id_switch_distance, forget_track_seconds finite and >= 0; max_tracks >= 1.
Status validate(const CounterOptions& options);

class Counter {
 public:
  // `scene` should pass validate(); an invalid zone or line simply never counts.
  Counter(std::string source_id, SceneSpec scene, CounterOptions options = {});

  // One frame: the tracker's output at `timestamp` (Unix seconds). Returns the events this frame
  // caused, in the order described above. Uses Box::bottom_center() of each track as its position.
  std::vector<CountEvent> update(double timestamp, const TrackerUpdate& tracks);

  // Swap zones/lines while running: counts of zones/lines whose name stays are kept; new ones
  // start at 0; removed ones vanish. A kept zone whose polygon changed has its memberships
  // recomputed silently at the next update (no entry/exit events, cumulative counts unchanged,
  // a kOccupancy event if the occupancy changed). A kept line whose a, b or band changed forgets
  // the tracks' established sides (they are re-established without counting).
  void set_scene(SceneSpec scene);

  CountSnapshot snapshot() const;

 private:
  struct LineState {
    LineSpec spec;
    LineCounts counts;
  };
  struct ZoneState {
    ZoneSpec spec;
    ZoneCounts counts;
    bool recompute_silently = false;
  };
  struct TrackMemory {
    std::optional<Point> position;  // last bottom-centre seen in `active`
    Point velocity;                 // px per second, exponentially smoothed
    double last_seen = 0;
    bool removed = false;  // reported removed: kept only as an ID-switch candidate
    std::vector<LineTrackState> lines;               // parallel to lines_
    std::vector<std::optional<double>> inside_since;  // parallel to zones_; entry time if inside
  };

  TrackMemory take_over_or_new(double timestamp, Point position, const std::vector<int64_t>& active_ids);
  void step_track(double timestamp, int64_t id, TrackMemory& memory, Point position, std::vector<CountEvent>& events);
  static void update_velocity(TrackMemory& memory, double timestamp, Point position);
  void exit_all_zones(double timestamp, int64_t id, TrackMemory& memory, std::vector<CountEvent>& events);
  void forget_stale(double timestamp, const std::vector<int64_t>& active_ids, std::vector<CountEvent>& events);
  CountEvent zone_event(EventKind kind, const ZoneState& zone, int64_t id, double timestamp) const;

  std::string source_;
  CounterOptions options_;
  std::vector<LineState> lines_;
  std::vector<ZoneState> zones_;
  std::map<int64_t, TrackMemory> tracks_;  // ordered: deterministic iteration
};

}  // namespace edgeserve::vision
