#ifndef VROEG_COMMON_METRICS_SECURITY_H_
#define VROEG_COMMON_METRICS_SECURITY_H_

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vroeg/config/v1/metrics.pb.h"

namespace vroeg {

// True for a host part naming this machine only: 127.0.0.0/8, ::1 (bracketed or not) and
// localhost.
bool IsLoopbackHost(absl::string_view host);

// The rule for the metrics_listen and metrics_security settings, checked at config load:
// metrics_security needs both tls and basic_auth or neither, each with all its fields, and a
// metrics_listen (host:port, already checked) that is not loopback needs them. Only looks at the
// settings, not at the files they name. INVALID_ARGUMENT naming the key and the fix.
absl::Status CheckMetricsSecurity(const std::string& metrics_listen,
                                  const config::v1::MetricsSecurity& security);

// Reads a file holding a secret (a private key, a password digest). NOT_FOUND /
// PERMISSION_DENIED when unreadable; FAILED_PRECONDITION when group or others may read it (fix:
// chmod 600). Messages start with `key`.
absl::StatusOr<std::string> ReadSecretFile(absl::string_view key, const std::string& path);

// The user name and password a scraper must present. Immutable; thread-safe.
class BasicAuthCredentials {
 public:
  // Reads basic_auth.password_file (relative to `base_dir`) with ReadSecretFile; a file that
  // does not hold a SHA-256 hex digest is INVALID_ARGUMENT showing how to make one.
  static absl::StatusOr<BasicAuthCredentials> Load(const config::v1::MetricsBasicAuth& basic_auth,
                                                   const std::string& base_dir);

  // Whether the presented credentials are the configured ones. The password digests are compared
  // in constant time.
  bool Matches(absl::string_view username, absl::string_view password) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  BasicAuthCredentials(std::string username, const Digest& password_digest)
      : username_(std::move(username)), password_digest_(password_digest) {}

  std::string username_;
  Digest password_digest_;
};

}  // namespace vroeg

#endif  // VROEG_COMMON_METRICS_SECURITY_H_
