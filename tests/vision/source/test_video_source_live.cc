// VideoSource on live loopback streams that ffmpeg serves from vtest.avi: UDP MPEG-TS (received,
// then the sender killed and restarted: the source must resume within 5 s) and HTTP MJPEG.
#include <gtest/gtest.h>

#include <cstdio>

#include "source_test_util.h"
#include "vision/source/video_source.h"

namespace edgeserve::vision {
namespace {

using namespace edgeserve::vision::testing;
using State = VideoSource::State;

class LiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!file_exists(kVtestPath)) GTEST_SKIP() << kVtestPath << " is missing";
    if (!file_exists(kFfmpegPath)) GTEST_SKIP() << kFfmpegPath << " is missing";
  }
};

// ffmpeg playing vtest.avi at its own rate (-re) as MPEG-TS over UDP, for `seconds`.
std::unique_ptr<ChildProcess> udp_sender(int port, int seconds) {
  return std::make_unique<ChildProcess>(std::vector<std::string>{
      kFfmpegPath, "-nostdin", "-loglevel", "error", "-re", "-i", kVtestPath, "-t", std::to_string(seconds),
      "-c:v", "mpeg2video", "-q:v", "3", "-an", "-f", "mpegts",
      "udp://127.0.0.1:" + std::to_string(port) + "?pkt_size=1316"});
}

void expect_continuous(const std::vector<SeenFrame>& seen) {
  for (size_t i = 1; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i].sequence, seen[i - 1].sequence + 1);
    ASSERT_GT(seen[i].pts_seconds, seen[i - 1].pts_seconds) << "frame " << i;
    ASSERT_EQ(seen[i].width, 768);
    ASSERT_EQ(seen[i].height, 576);
  }
}

TEST_F(LiveTest, UdpMpegTsIsReceivedAndResumesAfterTheSenderRestarts) {
  const int port = free_port(SOCK_DGRAM);
  Collector sink;
  SourceOptions o;
  o.id = "udp-cam";
  o.uri = "udp://127.0.0.1:" + std::to_string(port);
  o.io_timeout_s = 2;
  o.stall_timeout_s = 2;
  o.reconnect_min_s = 0.1;
  o.reconnect_max_s = 1;
  VideoSource source(o, std::ref(sink));
  source.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the socket is bound
  auto sender = udp_sender(port, 60);
  ASSERT_TRUE(sender->started());
  const auto first_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for([&] { return sink.count() >= 20; }, 10)) << source.stats().last_error;
  std::printf("first 20 frames after %.2f s (fps %.1f)\n", seconds_since(first_start), source.stats().fps);

  sender->kill();
  const size_t before_outage = sink.count();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const VideoSource::Stats during = source.stats();
  std::printf("3 s into the outage: state %s, reconnects %lld, last_error '%s', fps %.1f\n",
              source_state_name(during.state), static_cast<long long>(during.reconnects),
              during.last_error.c_str(), during.fps);
  const size_t at_restart = sink.count();
  EXPECT_LE(at_restart - before_outage, 5u) << "frames kept coming after the sender died";

  auto restarted = udp_sender(port, 60);
  const auto restart = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for([&] { return sink.count() > at_restart; }, 10)) << source.stats().last_error;
  const double resume_s = seconds_since(restart);
  const VideoSource::Stats after = source.stats();
  std::printf("frames resumed %.2f s after the sender restarted; reconnects %lld (%s)\n", resume_s,
              static_cast<long long>(after.reconnects),
              after.reconnects > 0 ? "the source reconnected" : "the stream simply resumed");
  EXPECT_LT(resume_s, 5.0);
  EXPECT_GE(after.reconnects, 1);  // stall_timeout_s 2 < the 3 s outage
  ASSERT_TRUE(wait_for([&] { return sink.count() >= at_restart + 10; }, 5));
  source.stop();
  expect_continuous(sink.seen());
  EXPECT_EQ(source.stats().state, State::kRunning);
}

TEST_F(LiveTest, UdpStreamCountsLikeTheFile) {
  // A 3 s stream: 30 frames sent at 10 fps; over loopback they all arrive.
  const int port = free_port(SOCK_DGRAM);
  Collector sink;
  SourceOptions o;
  o.id = "udp-count";
  o.uri = "udp://127.0.0.1:" + std::to_string(port);
  o.stall_timeout_s = 1;
  VideoSource source(o, std::ref(sink));
  source.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto sender = udp_sender(port, 3);
  ASSERT_EQ(sender->wait(), 0);
  ASSERT_TRUE(wait_for([&] { return source.stats().reconnects > 0; }, 5));  // stalled: stream over
  source.stop();
  const VideoSource::Stats stats = source.stats();
  const std::vector<SeenFrame> seen = sink.seen();
  ASSERT_FALSE(seen.empty());
  std::printf("3 s udp stream: %zu frames delivered (file: 30), pts %.2f to %.2f, decode errors %lld\n",
              seen.size(), seen.front().pts_seconds, seen.back().pts_seconds,
              static_cast<long long>(stats.decode_errors));
  // All 30, the last one included: MPEG-2 without B-frames is decoded one picture late, and
  // the source drains the decoder when the stream stalls.
  EXPECT_EQ(seen.size(), 30u);
  expect_continuous(sink.seen());
}

TEST_F(LiveTest, HttpMjpegDecodes) {
  const int port = free_port(SOCK_STREAM);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/stream";
  ChildProcess server({kFfmpegPath, "-nostdin", "-loglevel", "error", "-re", "-i", kVtestPath, "-t", "30",
                       "-c:v", "mjpeg", "-q:v", "5", "-an", "-f", "mpjpeg", "-listen", "1", url});
  ASSERT_TRUE(server.started());
  Collector sink;
  SourceOptions o;
  o.id = "mjpeg";
  o.uri = url;
  o.reconnect_min_s = 0.1;  // the server may not listen yet
  o.reconnect_max_s = 0.5;
  VideoSource source(o, std::ref(sink));
  const auto start = std::chrono::steady_clock::now();
  source.start();
  const bool got = wait_for([&] { return sink.count() >= 10; }, 10);
  const VideoSource::Stats stats = source.stats();
  std::printf("http mjpeg: %zu frames after %.2f s, %dx%d, reconnects %lld, last_error '%s'\n", sink.count(),
              seconds_since(start), stats.width, stats.height, static_cast<long long>(stats.reconnects),
              stats.last_error.c_str());
  source.stop();
  ASSERT_TRUE(got);
  expect_continuous(sink.seen());
}

}  // namespace
}  // namespace edgeserve::vision
