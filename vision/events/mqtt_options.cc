// Parsing of mqtt:// URIs and checks of the publisher's options.
#include "vision/events/mqtt_options.h"

#include <cctype>

#include "common/strings.h"

namespace edgeserve::vision {

namespace {

constexpr std::string_view kScheme = "mqtt://";

Status uri_error(const std::string& uri, const std::string& what) {
  return invalid_argument(str_cat("MQTT URI '", redact_mqtt_uri(uri), "': ", what,
                                  " (expected mqtt://[user[:password]@]host[:port])"));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding, so that a password may hold '@', ':' or '/'.
bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

Status parse_user_info(const std::string& uri, std::string_view info, MqttBrokerAddress* address) {
  const size_t colon = info.find(':');
  const std::string_view user = info.substr(0, colon);
  if (user.empty()) return uri_error(uri, "the user name before '@' is empty");
  if (!percent_decode(user, &address->username)) return uri_error(uri, "bad %-escape in the user");
  if (colon != std::string_view::npos) {
    address->has_password = true;
    if (!percent_decode(info.substr(colon + 1), &address->password)) {
      return uri_error(uri, "bad %-escape in the password");
    }
  }
  return Status::ok();
}

Status parse_port(const std::string& uri, std::string_view text, int* port) {
  if (text.empty() || text.size() > 5) return uri_error(uri, "the port must be 1..65535");
  int value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return uri_error(uri, "the port is not a number");
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return uri_error(uri, str_cat("port ", value, " is not in 1..65535"));
  *port = value;
  return Status::ok();
}

// host, [v6]:port, host:port
Status parse_host_port(const std::string& uri, std::string_view hostport, MqttBrokerAddress* address) {
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return uri_error(uri, "'[' without ']' in the host");
    address->host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return uri_error(uri, "junk after ']'");
      EDGE_RETURN_IF_ERROR(parse_port(uri, rest.substr(1), &address->port));
    }
  } else {
    const size_t colon = hostport.find(':');
    if (colon != std::string_view::npos && hostport.find(':', colon + 1) != std::string_view::npos) {
      return uri_error(uri, "an IPv6 host must be written in brackets, [::1]:1883");
    }
    address->host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      EDGE_RETURN_IF_ERROR(parse_port(uri, hostport.substr(colon + 1), &address->port));
    }
  }
  if (address->host.empty()) return uri_error(uri, "the host is empty");
  return Status::ok();
}

}  // namespace

std::string redact_mqtt_uri(const std::string& uri) {
  const size_t start = uri.find("://");
  if (start == std::string::npos) return uri;
  const size_t at = uri.rfind('@');  // the last '@', as parse_mqtt_uri splits there
  if (at == std::string::npos || at < start) return uri;
  const size_t colon = uri.find(':', start + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

Result<MqttBrokerAddress> parse_mqtt_uri(const std::string& uri) {
  if (uri.rfind("mqtts://", 0) == 0) {
    return unimplemented(str_cat("MQTT URI '", redact_mqtt_uri(uri),
                                 "': TLS (mqtts://) is not supported yet; use mqtt://"));
  }
  if (uri.rfind(kScheme, 0) != 0) return uri_error(uri, "the scheme must be mqtt://");
  std::string_view rest = std::string_view(uri).substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // "mqtt://host/" is common
  if (rest.find('/') != std::string_view::npos) return uri_error(uri, "a path is not allowed");
  MqttBrokerAddress address;
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    EDGE_RETURN_IF_ERROR(parse_user_info(uri, rest.substr(0, at), &address));
    rest = rest.substr(at + 1);
  }
  EDGE_RETURN_IF_ERROR(parse_host_port(uri, rest, &address));
  return address;
}

Status validate_mqtt_options(const MqttOptions& o) {
  EDGE_RETURN_IF_ERROR(parse_mqtt_uri(o.uri).status());
  if (o.topic_prefix.empty() || o.topic_prefix.find_first_of("+#") != std::string::npos) {
    return invalid_argument(str_cat("mqtt topic_prefix '", o.topic_prefix,
                                    "': must be non-empty and hold no '+' or '#'"));
  }
  if (o.qos < 0 || o.qos > 2) return invalid_argument(str_cat("mqtt qos ", o.qos, ": must be 0, 1 or 2"));
  if (o.keepalive_s < 5 || o.keepalive_s > 65535) {
    return invalid_argument(str_cat("mqtt keepalive_s ", o.keepalive_s, ": must be 5..65535"));
  }
  if (o.max_inflight < 1 || o.max_inflight > 65535) {
    return invalid_argument(str_cat("mqtt max_inflight ", o.max_inflight, ": must be 1..65535"));
  }
  if (!(o.reconnect_min_s > 0) || !(o.reconnect_max_s >= o.reconnect_min_s) || o.reconnect_max_s > 3600) {
    return invalid_argument(str_cat("mqtt reconnect_min_s ", o.reconnect_min_s, " / reconnect_max_s ",
                                    o.reconnect_max_s, ": need 0 < min <= max <= 3600"));
  }
  if (o.client_id.size() > 65535) {
    return invalid_argument("mqtt client_id: longer than 65535 bytes");
  }
  return Status::ok();
}

}  // namespace edgeserve::vision
