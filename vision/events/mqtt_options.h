// Where and how the event publisher talks MQTT: the broker URI and the session's limits, parsed
// and checked before any connection is tried.
#pragma once

#include <string>

#include "common/status.h"

namespace edgeserve::vision {

struct MqttOptions {
  std::string uri;                          // mqtt://[user[:password]@]host[:port], port 1883 by default
  std::string topic_prefix = "edgeserve";   // topics: <prefix>/events, <prefix>/status, ...
  int qos = 1;                              // 1: at least once (rows are deleted on PUBACK)
  std::string client_id;                    // empty: "edgeserve-<random>"
  int keepalive_s = 30;                     // 5..65535; a silent broker is detected after 1.5x this
  int max_inflight = 64;                    // unacknowledged messages on the wire, 1..65535
  double reconnect_min_s = 0.5;             // backoff doubles from min to max after each failure
  double reconnect_max_s = 10;
};

struct MqttBrokerAddress {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 1883;
  std::string username;  // empty: anonymous
  std::string password;  // percent-decoded, like the username
  bool has_password = false;
};

// Errors name the URI (with any password replaced by "***") and what was expected. "mqtts://"
// is refused as unimplemented: TLS is not wired in yet.
Result<MqttBrokerAddress> parse_mqtt_uri(const std::string& uri);

// Checks every field of `options`, including the URI; errors name the field.
Status validate_mqtt_options(const MqttOptions& options);

// The URI with its password masked, for logs and error messages.
std::string redact_mqtt_uri(const std::string& uri);

}  // namespace edgeserve::vision
