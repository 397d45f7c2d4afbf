#include <gtest/gtest.h>

#include <cmath>

#include "vision/source/source_options.h"

namespace edgeserve::vision {
namespace {

SourceOptions good() {
  SourceOptions o;
  o.id = "cam-1_a";
  o.uri = "rtsp://10.0.0.5:554/stream1";
  return o;
}

// The message of validate() for options changed by `edit`.
template <typename Edit>
std::string error_of(Edit edit) {
  SourceOptions o = good();
  edit(o);
  const Status s = validate(o);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return s.message();
}

TEST(SourceOptions, GoodOptionsPass) {
  EXPECT_TRUE(validate(good()).is_ok());
  SourceOptions file = good();
  file.uri = "/data/video.avi";
  file.loop = true;
  file.realtime = true;
  file.max_fps = 5;
  EXPECT_TRUE(validate(file).is_ok());
}

TEST(SourceOptions, MessagesNameTheField) {
  EXPECT_NE(error_of([](SourceOptions& o) { o.id = ""; }).find("source id ''"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.id = "cam 1"; }).find("[A-Za-z0-9_-]"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.id = std::string(65, 'a'); }).find("64"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.uri = ""; }).find("uri is empty"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.uri = "ftp://h/x"; }).find("unsupported scheme 'ftp'"),
            std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.loop = true; }).find("loop applies to files only"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.max_fps = -1; }).find("max_fps"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.max_fps = NAN; }).find("max_fps"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.io_timeout_s = 0; }).find("io_timeout_s"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.stall_timeout_s = INFINITY; }).find("stall_timeout_s"),
            std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.reconnect_min_s = -1; }).find("reconnect_min_s"), std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.reconnect_max_s = 0.1; }).find("reconnect_max_s (0.1) must be >="),
            std::string::npos);
  EXPECT_NE(error_of([](SourceOptions& o) { o.rtsp_transport = "http"; }).find("rtsp_transport"), std::string::npos);
  // Every message after the id check says which source it is about.
  EXPECT_EQ(error_of([](SourceOptions& o) { o.max_fps = -1; }).rfind("source 'cam-1_a': ", 0), 0u);
}

TEST(SourceOptions, LiveIsDecidedByScheme) {
  auto live = [](const std::string& uri) {
    SourceOptions o;
    o.uri = uri;
    return is_live(o);
  };
  EXPECT_TRUE(live("rtsp://h/s"));
  EXPECT_TRUE(live("RTSP://h/s"));
  EXPECT_TRUE(live("http://h/mjpg"));
  EXPECT_TRUE(live("https://h/mjpg"));
  EXPECT_TRUE(live("udp://127.0.0.1:5000"));
  EXPECT_TRUE(live("tcp://127.0.0.1:5000"));
  EXPECT_FALSE(live("/data/a.avi"));
  EXPECT_FALSE(live("file:///data/a.avi"));
  EXPECT_FALSE(live("relative/cam:1.avi"));
}

TEST(SourceOptions, UrisForFfmpegAndForMessages) {
  EXPECT_EQ(ffmpeg_url("/data/a.avi"), "file:/data/a.avi");
  EXPECT_EQ(ffmpeg_url("cam:1.avi"), "file:cam:1.avi");
  EXPECT_EQ(ffmpeg_url("file:///data/a.avi"), "file:/data/a.avi");
  EXPECT_EQ(ffmpeg_url("udp://127.0.0.1:5000"), "udp://127.0.0.1:5000");
  EXPECT_EQ(redact_uri("rtsp://admin:secret@10.0.0.5/s1"), "rtsp://***@10.0.0.5/s1");
  EXPECT_EQ(redact_uri("rtsp://admin:secret@10.0.0.5"), "rtsp://***@10.0.0.5");
  EXPECT_EQ(redact_uri("http://h/a@b"), "http://h/a@b");  // an @ in the path is not a user
  EXPECT_EQ(redact_uri("/data/a@b.avi"), "/data/a@b.avi");
  SourceOptions o = good();
  o.uri = "gopher://admin:secret@h/x";
  EXPECT_EQ(validate(o).message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace edgeserve::vision
