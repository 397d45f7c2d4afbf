// parse_mqtt_uri, validate_mqtt_options, and the pure publish window / backoff.
#include <gtest/gtest.h>

#include "vision/events/mqtt_options.h"
#include "vision/events/publish_window.h"

namespace edgeserve::vision {
namespace {

TEST(ParseMqttUri, HostAndDefaultPort) {
  auto a = parse_mqtt_uri("mqtt://broker.local");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->host, "broker.local");
  EXPECT_EQ(a->port, 1883);
  EXPECT_TRUE(a->username.empty());
}

TEST(ParseMqttUri, UserPasswordPortAndPercentEscapes) {
  auto a = parse_mqtt_uri("mqtt://cam%40site:p%40ss:word@10.0.0.5:8883/");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->username, "cam@site");
  EXPECT_TRUE(a->has_password);
  EXPECT_EQ(a->password, "p@ss:word");
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 8883);
}

TEST(ParseMqttUri, BracketedIpv6) {
  auto a = parse_mqtt_uri("mqtt://[::1]:1884");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 1884);
}

void expect_error(const std::string& uri, StatusCode code, const std::string& fragment) {
  auto a = parse_mqtt_uri(uri);
  ASSERT_FALSE(a.is_ok()) << uri;
  EXPECT_EQ(a.status().code(), code) << a.status().to_string();
  EXPECT_NE(a.status().message().find(fragment), std::string::npos) << a.status().to_string();
}

TEST(ParseMqttUri, ErrorsSayWhatIsWrong) {
  expect_error("http://host", StatusCode::kInvalidArgument, "scheme must be mqtt://");
  expect_error("host:1883", StatusCode::kInvalidArgument, "'host:1883'");
  expect_error("mqtts://host", StatusCode::kUnimplemented, "TLS");
  expect_error("mqtt://", StatusCode::kInvalidArgument, "host is empty");
  expect_error("mqtt://:1883", StatusCode::kInvalidArgument, "host is empty");
  expect_error("mqtt://host:0", StatusCode::kInvalidArgument, "port 0 is not in 1..65535");
  expect_error("mqtt://host:65536", StatusCode::kInvalidArgument, "port 65536");
  expect_error("mqtt://host:12x", StatusCode::kInvalidArgument, "not a number");
  expect_error("mqtt://host:", StatusCode::kInvalidArgument, "port must be");
  expect_error("mqtt://host/path", StatusCode::kInvalidArgument, "path");
  expect_error("mqtt://::1", StatusCode::kInvalidArgument, "brackets");
  expect_error("mqtt://[::1", StatusCode::kInvalidArgument, "without ']'");
  expect_error("mqtt://u:p@host:1%", StatusCode::kInvalidArgument, "not a number");
  expect_error("mqtt://u%zz@host", StatusCode::kInvalidArgument, "%-escape");
}

TEST(ParseMqttUri, ErrorsNeverShowThePassword) {
  auto a = parse_mqtt_uri("mqtt://user:secret@host:99999");
  ASSERT_FALSE(a.is_ok());
  EXPECT_EQ(a.status().message().find("secret"), std::string::npos) << a.status().to_string();
  EXPECT_NE(a.status().message().find("user:***@host"), std::string::npos) << a.status().to_string();
}

TEST(ValidateMqttOptions, NamesTheBadField) {
  MqttOptions o;
  o.uri = "mqtt://127.0.0.1:1883";
  EXPECT_TRUE(validate_mqtt_options(o).is_ok());
  auto message_of = [](MqttOptions bad) { return validate_mqtt_options(bad).message(); };
  MqttOptions b = o;
  b.qos = 3;
  EXPECT_NE(message_of(b).find("qos"), std::string::npos);
  b = o;
  b.keepalive_s = 2;
  EXPECT_NE(message_of(b).find("keepalive_s"), std::string::npos);
  b = o;
  b.max_inflight = 0;
  EXPECT_NE(message_of(b).find("max_inflight"), std::string::npos);
  b = o;
  b.reconnect_max_s = 0.1;
  EXPECT_NE(message_of(b).find("reconnect"), std::string::npos);
  b = o;
  b.topic_prefix = "a/#";
  EXPECT_NE(message_of(b).find("topic_prefix"), std::string::npos);
  b = o;
  b.uri = "tcp://x";
  EXPECT_NE(message_of(b).find("tcp://x"), std::string::npos);
}

TEST(PublishWindow, SendsInOrderUpToTheWindowAndFreesOnAck) {
  PublishWindow w(3);
  EXPECT_EQ(w.cursor(), 0);
  EXPECT_EQ(w.free_slots(), 3);
  w.on_sent(10, 1);
  w.on_sent(11, 2);
  w.on_sent(12, 3);
  EXPECT_EQ(w.free_slots(), 0);
  EXPECT_EQ(w.cursor(), 12);
  EXPECT_EQ(w.on_acked(2), std::optional<int64_t>(11));  // acks may come in any order
  EXPECT_EQ(w.free_slots(), 1);
  EXPECT_EQ(w.on_acked(2), std::nullopt);   // a second ack of the same mid deletes nothing
  EXPECT_EQ(w.on_acked(99), std::nullopt);  // e.g. the availability message
  EXPECT_EQ(w.cursor(), 12);                // acks never move the cursor back
}

TEST(PublishWindow, NewConnectionResendsFromTheOldestStoredRow) {
  PublishWindow w(2);
  w.on_sent(5, 1);
  w.on_sent(6, 2);
  w.on_new_connection();
  EXPECT_EQ(w.cursor(), 0);
  EXPECT_EQ(w.in_flight(), 0);
  EXPECT_EQ(w.free_slots(), 2);
  EXPECT_EQ(w.on_acked(1), std::nullopt);  // acks of the old connection can no longer delete
}

TEST(ReconnectDelay, DoublesFromMinAndCapsAtMax) {
  EXPECT_DOUBLE_EQ(reconnect_delay_s(0, 0.5, 10), 0.5);
  EXPECT_DOUBLE_EQ(reconnect_delay_s(1, 0.5, 10), 1.0);
  EXPECT_DOUBLE_EQ(reconnect_delay_s(4, 0.5, 10), 8.0);
  EXPECT_DOUBLE_EQ(reconnect_delay_s(5, 0.5, 10), 10.0);
  EXPECT_DOUBLE_EQ(reconnect_delay_s(1000, 0.5, 10), 10.0);
}

}  // namespace
}  // namespace edgeserve::vision
