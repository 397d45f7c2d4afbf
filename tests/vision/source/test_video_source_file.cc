// VideoSource on files: every frame in order, pixels as OpenCV decodes them, looping, the fps
// cap, real-time pacing, files that cannot be read, and a prompt stop().
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>

#include "source_test_util.h"
#include "vision/source/video_source.h"

namespace edgeserve::vision {
namespace {

using namespace edgeserve::vision::testing;
using State = VideoSource::State;

#define SKIP_WITHOUT_VTEST() \
  if (!file_exists(kVtestPath)) GTEST_SKIP() << kVtestPath << " is missing (package opencv-doc)"

SourceOptions file_options(const std::string& path) {
  SourceOptions o;
  o.id = "file";
  o.uri = path;
  return o;
}

// A short clip of vtest.avi cut by ffmpeg, or the whole file where ffmpeg is missing.
class ClipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!file_exists(kVtestPath)) GTEST_SKIP() << kVtestPath << " is missing";
    dir_ = make_temp_dir();
    clip_ = make_clip(dir_, kClipFrames);
    if (clip_.empty()) {
      clip_ = kVtestPath;
      frames_ = kVtestFrames;
    }
  }
  void TearDown() override {
    if (!dir_.empty() && dir_ != "/tmp") {
      std::remove((dir_ + "/clip.avi").c_str());
      ::rmdir(dir_.c_str());
    }
  }
  static constexpr int kClipFrames = 30;
  std::string dir_;
  std::string clip_;
  int frames_ = kClipFrames;
};

TEST(VideoSourceFile, DeliversEveryFrameInOrderAndFinishes) {
  SKIP_WITHOUT_VTEST();
  Collector sink;
  VideoSource source(file_options(kVtestPath), std::ref(sink));
  const auto start = std::chrono::steady_clock::now();
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 60));
  std::printf("decoded %d frames of vtest.avi in %.2f s\n", kVtestFrames, seconds_since(start));
  const std::vector<SeenFrame> seen = sink.seen();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kVtestFrames));
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i].sequence, static_cast<int64_t>(i));
    ASSERT_NEAR(seen[i].pts_seconds, 0.1 * static_cast<double>(i), 1e-9) << "frame " << i;
    ASSERT_EQ(seen[i].width, 768);
    ASSERT_EQ(seen[i].height, 576);
    ASSERT_EQ(seen[i].bytes, 768u * 576u * 3u);
  }
  const VideoSource::Stats stats = source.stats();
  EXPECT_EQ(stats.state, State::kEnded);
  EXPECT_EQ(stats.frames_decoded, kVtestFrames);
  EXPECT_EQ(stats.frames_delivered, kVtestFrames);
  EXPECT_EQ(stats.frames_skipped_fps, 0);
  EXPECT_EQ(stats.reconnects, 0);
  EXPECT_EQ(stats.decode_errors, 0);
  EXPECT_EQ(stats.width, 768);
  EXPECT_EQ(stats.height, 576);
  EXPECT_GT(stats.fps, 0);
}

TEST(VideoSourceFile, FileUriOpensTheSameFile) {
  SKIP_WITHOUT_VTEST();
  Collector sink;
  VideoSource source(file_options("file://" + kVtestPath), std::ref(sink));
  source.start();
  ASSERT_TRUE(wait_for([&] { return sink.count() >= 3 || source.finished(); }, 10)) << source.stats().last_error;
  source.stop();
  ASSERT_GE(sink.count(), 3u) << source.stats().last_error;
  EXPECT_EQ(sink.seen()[2].pts_seconds, 0.2);
}

TEST(VideoSourceFile, Frame200MatchesOpenCvDecode) {
  SKIP_WITHOUT_VTEST();
  const char* shared = std::getenv("EDGE_SHARED_DIR");
  const std::string png = std::string(shared ? shared : "") + "/models/testdata/vtest_frame200.png";
  if (!shared || !file_exists(png)) GTEST_SKIP() << png << " is missing (EDGE_SHARED_DIR)";
  const cv::Mat expected = cv::imread(png, cv::IMREAD_COLOR);
  ASSERT_EQ(expected.cols, 768);
  ASSERT_EQ(expected.rows, 576);
  ASSERT_TRUE(expected.isContinuous());

  Collector sink({200});
  VideoSource source(file_options(kVtestPath), std::ref(sink));
  source.start();
  ASSERT_TRUE(wait_for([&] { return sink.count() > 200 || source.finished(); }, 60));
  source.stop();
  const auto pixels = sink.pixels(200);
  ASSERT_TRUE(pixels);
  ASSERT_EQ(pixels->size(), expected.total() * 3);
  int max_diff = 0;
  double sum_diff = 0;
  for (size_t i = 0; i < pixels->size(); ++i) {
    const int d = std::abs(int((*pixels)[i]) - int(expected.data[i]));
    max_diff = std::max(max_diff, d);
    sum_diff += d;
  }
  std::printf("frame 200 vs OpenCV: max abs diff %d, mean abs diff %.6f\n", max_diff, sum_diff / pixels->size());
  // Same decoder, same swscale conversion (SWS_BICUBIC, equal sizes): bit-exact.
  EXPECT_EQ(max_diff, 0);
}

TEST_F(ClipTest, LoopPassesTheEndWithContinuingSequenceAndPts) {
  const int wanted = 2 * frames_ + 15;  // past the end twice
  Collector sink({0, frames_, 2 * frames_});
  SourceOptions o = file_options(clip_);
  o.loop = true;
  VideoSource source(o, std::ref(sink));
  source.start();
  ASSERT_TRUE(wait_for([&] { return sink.count() >= static_cast<size_t>(wanted); }, 60));
  source.stop();
  const std::vector<SeenFrame> seen = sink.seen();
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i].sequence, static_cast<int64_t>(i));
    ASSERT_NEAR(seen[i].pts_seconds, 0.1 * static_cast<double>(i), 1e-6) << "frame " << i;
  }
  // The first frame of each pass is the file's first frame again.
  ASSERT_TRUE(sink.pixels(0) && sink.pixels(frames_) && sink.pixels(2 * frames_));
  EXPECT_EQ(*sink.pixels(0), *sink.pixels(frames_));
  EXPECT_EQ(*sink.pixels(0), *sink.pixels(2 * frames_));
  const VideoSource::Stats stats = source.stats();
  EXPECT_FALSE(source.finished());
  EXPECT_EQ(stats.reconnects, 0) << "looping seeks; it does not reopen";
  EXPECT_EQ(stats.decode_errors, 0);
}

TEST_F(ClipTest, MaxFpsKeepsHalfOfTenFpsAtFive) {
  Collector sink;
  SourceOptions o = file_options(clip_);
  o.max_fps = 5;
  VideoSource source(o, std::ref(sink));
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 60));
  const VideoSource::Stats stats = source.stats();
  EXPECT_EQ(stats.frames_decoded, frames_);
  EXPECT_EQ(stats.frames_delivered, (frames_ + 1) / 2);
  EXPECT_EQ(stats.frames_skipped_fps, frames_ / 2);
  const std::vector<SeenFrame> seen = sink.seen();
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].sequence, seen[i - 1].sequence + 1);  // sequence counts delivered frames
    EXPECT_NEAR(seen[i].pts_seconds - seen[i - 1].pts_seconds, 0.2, 1e-6);
  }
}

TEST_F(ClipTest, RealtimeDeliversAtTheFileRate) {
  Collector sink;
  SourceOptions o = file_options(clip_);
  o.realtime = true;
  VideoSource source(o, std::ref(sink));
  source.start();
  ASSERT_TRUE(wait_for([&] { return sink.count() >= 11; }, 10));
  source.stop();
  const std::vector<SeenFrame> seen = sink.seen();
  const double span_s = std::chrono::duration<double>(seen[10].captured - seen[0].captured).count();
  std::printf("10 frame intervals in %.3f s (file: 1.0 s)\n", span_s);
  EXPECT_NEAR(span_s, 1.0, 0.1);
}

TEST_F(ClipTest, CorruptAndTruncatedFilesEndWithoutHarm) {
  // Overwrite a few spans in the middle with random bytes and cut off the last third: the
  // decoder must skip what it cannot read, deliver the rest, and the source end normally.
  std::string bytes;
  {
    std::ifstream in(clip_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 10000u);
  std::mt19937 rng(7);
  for (int span = 1; span <= 4; ++span) {
    const size_t at = bytes.size() * span / 10;
    for (size_t i = 0; i < 300; ++i) bytes[at + i] = static_cast<char>(rng() & 0xff);
  }
  bytes.resize(bytes.size() * 2 / 3);
  const std::string damaged = dir_ + "/damaged.avi";
  {
    std::ofstream out(damaged, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  Collector sink;
  VideoSource source(file_options(damaged), std::ref(sink));
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 30));
  const VideoSource::Stats stats = source.stats();
  std::printf("damaged clip: state %s, %lld of %d frames, %lld decode errors, last_error '%s'\n",
              source_state_name(stats.state), static_cast<long long>(stats.frames_delivered), frames_,
              static_cast<long long>(stats.decode_errors), stats.last_error.c_str());
  EXPECT_EQ(stats.state, State::kEnded);
  EXPECT_GT(stats.frames_delivered, 0);
  EXPECT_LT(stats.frames_delivered, frames_);
  EXPECT_GE(stats.decode_errors, 1);
  for (const SeenFrame& f : sink.seen()) EXPECT_EQ(f.bytes, static_cast<size_t>(f.width) * f.height * 3);
  std::remove(damaged.c_str());
}

TEST_F(ClipTest, FramesOverTheSizeLimitAreRefused) {
  const std::string huge = dir_ + "/huge.mkv";
  if (!run_ffmpeg({"-f", "lavfi", "-i", "color=size=8200x16:rate=1", "-frames:v", "1", "-c:v", "ffv1"}, huge)) {
    GTEST_SKIP() << "ffmpeg could not make an 8200x16 test file";
  }
  VideoSource source(file_options(huge), [](Frame&&) {});
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 10));
  const VideoSource::Stats stats = source.stats();
  EXPECT_EQ(stats.state, State::kFailed);
  EXPECT_NE(stats.last_error.find("8200x16 exceed the limit of 8192x8192"), std::string::npos) << stats.last_error;
  EXPECT_NE(stats.last_error.find(huge), std::string::npos) << stats.last_error;
  std::remove(huge.c_str());
}

TEST(VideoSourceFile, MissingFileFailsOnceNamingThePath) {
  const std::string path = "/nonexistent/edge/cam7.avi";
  VideoSource source(file_options(path), [](Frame&&) {});
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a retry would show up here
  const VideoSource::Stats stats = source.stats();
  EXPECT_EQ(stats.state, State::kFailed);
  EXPECT_NE(stats.last_error.find(path), std::string::npos) << stats.last_error;
  EXPECT_NE(stats.last_error.find("No such file"), std::string::npos) << stats.last_error;
  EXPECT_EQ(stats.reconnects, 0);
  EXPECT_EQ(stats.frames_delivered, 0);
}

TEST(VideoSourceFile, GarbageFileFailsOnceNamingThePath) {
  const std::string dir = make_temp_dir();
  const std::string path = dir + "/garbage.avi";
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(42);
    for (int i = 0; i < 64 * 1024; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  VideoSource source(file_options(path), [](Frame&&) {});
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const VideoSource::Stats stats = source.stats();
  std::printf("garbage file: %s\n", stats.last_error.c_str());
  EXPECT_EQ(stats.state, State::kFailed);
  EXPECT_NE(stats.last_error.find(path), std::string::npos) << stats.last_error;
  EXPECT_EQ(stats.reconnects, 0);
  EXPECT_EQ(stats.frames_delivered, 0);
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(VideoSourceFile, InvalidOptionsAreRefusedOrFailOnStart) {
  SourceOptions o = file_options("/x.avi");
  o.id = "bad id";
  const auto created = VideoSource::create(o, [](Frame&&) {});
  ASSERT_FALSE(created.is_ok());
  EXPECT_NE(created.status().message().find("source id 'bad id'"), std::string::npos);
  VideoSource source(o, [](Frame&&) {});
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.finished(); }, 5));
  EXPECT_EQ(source.stats().state, State::kFailed);
  EXPECT_NE(source.stats().last_error.find("source id 'bad id'"), std::string::npos);
}

TEST(VideoSourceStop, PromptWhileBlockedOnASilentUdpPort) {
  SourceOptions o;
  o.id = "silent";
  o.uri = "udp://127.0.0.1:" + std::to_string(free_port(SOCK_DGRAM));
  o.io_timeout_s = 5;
  VideoSource source(o, [](Frame&&) {});
  source.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // inside avformat_open_input
  EXPECT_EQ(source.stats().state, State::kStarting);
  const auto start = std::chrono::steady_clock::now();
  source.stop();
  const double took_s = seconds_since(start);
  std::printf("stop() while blocked on udp took %.3f s\n", took_s);
  EXPECT_LT(took_s, 0.5);
}

TEST(VideoSourceStop, PromptDuringReconnectBackoffAndCountsNothingYet) {
  SourceOptions o;
  o.id = "refused";
  o.uri = "tcp://127.0.0.1:" + std::to_string(free_port(SOCK_STREAM));  // nobody listens
  o.reconnect_min_s = 30;
  o.reconnect_max_s = 60;
  VideoSource source(o, [](Frame&&) {});
  source.start();
  ASSERT_TRUE(wait_for([&] { return source.stats().state == State::kReconnecting; }, 5));
  const VideoSource::Stats stats = source.stats();
  EXPECT_NE(stats.last_error.find(o.uri), std::string::npos) << stats.last_error;
  EXPECT_NE(stats.last_error.find("refused"), std::string::npos) << stats.last_error;
  EXPECT_EQ(stats.reconnects, 0);  // still waiting out the first backoff
  EXPECT_FALSE(source.finished());  // live sources never give up
  const auto start = std::chrono::steady_clock::now();
  source.stop();
  EXPECT_LT(seconds_since(start), 0.5);
}

}  // namespace
}  // namespace edgeserve::vision
