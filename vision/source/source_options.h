// What a video source is (id, URI) and how it behaves (looping, pacing, fps cap, timeouts,
// reconnect backoff), plus the checks that turn a bad configuration into a Status naming the field.
#pragma once

#include <string>

#include "common/status.h"

namespace edgeserve::vision {

struct SourceOptions {
  std::string id;                 // [A-Za-z0-9_-]+, at most 64 characters
  std::string uri;                // file path or file://, rtsp(s)://, http(s)://, udp://, tcp://
  bool loop = false;              // files: start again at the end
  bool realtime = false;          // files: deliver at the stream's own rate (as a camera would);
                                  // live URIs always are
  double max_fps = 0;             // 0 = every frame; else decimate by pts to at most this rate
  double io_timeout_s = 5;        // any single blocking open/read
  double stall_timeout_s = 5;     // live: no frame for this long -> close and reconnect
  double reconnect_min_s = 0.25;  // live: exponential backoff between attempts, from min ...
  double reconnect_max_s = 5;     // ... doubling up to max; reset after a good frame
  std::string rtsp_transport = "tcp";  // rtsp: "tcp" (interleaved, survives NAT/loss) or "udp"
};

// Checks every field; the message names the source id, the field and what was expected.
Status validate(const SourceOptions& options);

// True for network URIs (rtsp, rtsps, http, https, udp, tcp, rtp, rtmp); false for files.
bool is_live(const SourceOptions& options);

// The URI's scheme in lower case ("rtsp"), or "" for a plain path.
std::string uri_scheme(const std::string& uri);

// The URI with any user:password@ replaced by ***@, for error messages and logs.
std::string redact_uri(const std::string& uri);

// What FFmpeg should open: a plain path becomes "file:<path>" so that a colon in a file name
// is not taken for a protocol; file:// URIs lose the scheme; network URIs pass unchanged.
std::string ffmpeg_url(const std::string& uri);

}  // namespace edgeserve::vision
