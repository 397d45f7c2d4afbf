// EventPublisher without a reachable broker: option errors, and that stop() keeps its deadline and
// leaves unacknowledged rows in the outbox. (Delivery to a real broker, outages and kill -9 are
// covered by mqtt_integration_test.py.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "temp_dir.h"
#include "vision/events/event_sink.h"
#include "vision/events/mqtt_publisher.h"

namespace edgeserve::vision {
namespace {

using testing::TempDir;

// A local port with nothing listening: connects are refused at once.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(EventPublisher, StartRefusesBadOptionsAndNamesThem) {
  TempDir dir;
  auto outbox = Outbox::open({dir.file("o.db")});
  MqttOptions options;
  options.uri = "mqtt://127.0.0.1:70000";
  auto bad_port = EventPublisher::start(options, outbox->get());
  ASSERT_FALSE(bad_port.is_ok());
  EXPECT_NE(bad_port.status().message().find("70000"), std::string::npos);
  options.uri = "mqtt://127.0.0.1:1883";
  EXPECT_FALSE(EventPublisher::start(options, nullptr).is_ok());
  options.max_inflight = 0;
  EXPECT_FALSE(EventPublisher::start(options, outbox->get()).is_ok());
}

TEST(EventPublisher, WithoutABrokerRowsStayAndStopKeepsItsDeadline) {
  TempDir dir;
  auto outbox = Outbox::open({dir.file("o.db")});
  MqttOptions options;
  options.uri = "mqtt://127.0.0.1:" + std::to_string(closed_port());
  options.reconnect_min_s = 0.05;
  options.reconnect_max_s = 0.2;
  auto publisher = EventPublisher::start(options, outbox->get());
  ASSERT_TRUE(publisher.is_ok()) << publisher.status().to_string();
  auto sink = EventSink::create(outbox->get(), publisher->get(), "p", "");
  CountEvent e;
  e.kind = EventKind::kZoneEntry;
  for (int i = 0; i < 20; ++i) {
    const auto before = std::chrono::steady_clock::now();
    ASSERT_TRUE((*sink)->publish({e}).is_ok());
    // The caller never waits on the network, even while connects are failing.
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(200));
  }
  const auto before_stop = std::chrono::steady_clock::now();
  (*publisher)->stop(std::chrono::milliseconds(300));
  const auto stop_took = std::chrono::steady_clock::now() - before_stop;
  EXPECT_GE(stop_took, std::chrono::milliseconds(250));  // it did try to drain
  EXPECT_LT(stop_took, std::chrono::seconds(3));
  const auto stats = (*publisher)->stats();
  EXPECT_FALSE(stats.connected);
  EXPECT_EQ(stats.published, 0);
  EXPECT_EQ(stats.outbox_depth, 40);  // 20 events + 20 zone states, kept for the next run
}

}  // namespace
}  // namespace edgeserve::vision
