#ifndef VROEG_TESTS_SUPPORT_HTTPS_GET_H_
#define VROEG_TESTS_SUPPORT_HTTPS_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "tests/support/http_get.h"

namespace vroeg::testing {

// Basic authentication for HttpsGet; none when `username` is empty.
struct BasicAuth {
  std::string username;
  std::string password;
};

// An HTTP/1.0 GET over TLS to 127.0.0.1:port, as a scraper makes it: the server's certificate
// must chain to `ca_file` and name 127.0.0.1. UNAVAILABLE when the connection or handshake
// fails.
absl::StatusOr<HttpResponse> HttpsGet(int port, const std::string& path, const std::string& ca_file,
                                      const BasicAuth& auth = {});

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_HTTPS_GET_H_
