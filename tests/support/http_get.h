#ifndef VROEG_TESTS_SUPPORT_HTTP_GET_H_
#define VROEG_TESTS_SUPPORT_HTTP_GET_H_

#include <netinet/in.h>

#include <string>

#include "absl/status/statusor.h"

namespace vroeg::testing {

struct HttpResponse {
  int status = 0;
  // The status line and header fields, as received.
  std::string head;
  std::string body;
};

// A plain HTTP/1.0 GET to 127.0.0.1:port, enough for /metrics and Prometheus' API in tests.
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path);

// The status and body of a whole HTTP/1.x response as read from the connection.
absl::StatusOr<HttpResponse> ParseHttpResponse(const std::string& raw);

// 127.0.0.1:port, for bind and connect.
sockaddr_in LoopbackAddress(int port);

// A TCP port on 127.0.0.1 that was free a moment ago, for programs that cannot take port 0.
absl::StatusOr<int> FreeLoopbackPort();

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_HTTP_GET_H_
