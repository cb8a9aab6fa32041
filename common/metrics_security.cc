#include "common/metrics_security.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "common/yaml_proto.h"
#include "openssl/crypto.h"
#include "openssl/sha.h"

namespace vroeg {
namespace {

constexpr char kMakeDigest[] = "printf %s 'password' | sha256sum | cut -d' ' -f1 > ";

absl::Status Required(absl::string_view key, const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("metrics_security.", key, " is required"));
}

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) return false;
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

absl::Status CheckMetricsSecurity(const std::string& metrics_listen,
                                  const config::v1::MetricsSecurity& security) {
  if (security.has_tls() != security.has_basic_auth()) {
    return absl::InvalidArgumentError(
        "metrics_security: tls and basic_auth go together, so that passwords never cross the "
        "network in clear text; set both, or neither");
  }
  if (!security.has_tls()) {
    const std::string host = metrics_listen.substr(0, metrics_listen.rfind(':'));
    if (IsLoopbackHost(host)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics_listen: ", metrics_listen,
        " is reachable from other machines, and metrics name reporters and their figures; set "
        "metrics_security.tls and metrics_security.basic_auth, or bind 127.0.0.1 and scrape "
        "locally"));
  }
  VROEG_RETURN_IF_ERROR(Required("tls.certificate", security.tls().certificate()));
  VROEG_RETURN_IF_ERROR(Required("tls.private_key", security.tls().private_key()));
  VROEG_RETURN_IF_ERROR(Required("basic_auth.username", security.basic_auth().username()));
  VROEG_RETURN_IF_ERROR(
      Required("basic_auth.password_file", security.basic_auth().password_file()));
  if (absl::StrContains(security.basic_auth().username(), ':')) {
    return absl::InvalidArgumentError(
        "metrics_security.basic_auth.username must not contain ':' (basic authentication "
        "separates user name and password with it)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretFile(absl::string_view key, const std::string& path) {
  auto content = ReadFileToString(path);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat(key, ": ", content.status().message()));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(key, ": ", path, " is readable by other users; run: chmod 600 ", path));
  }
  return content;
}

absl::StatusOr<BasicAuthCredentials> BasicAuthCredentials::Load(
    const config::v1::MetricsBasicAuth& basic_auth, const std::string& base_dir) {
  const std::string path = ResolvePath(base_dir, basic_auth.password_file());
  VROEG_ASSIGN_OR_RETURN(std::string content,
                         ReadSecretFile("metrics_security.basic_auth.password_file", path));
  const absl::string_view hex = absl::StripAsciiWhitespace(content);
  Digest digest;
  bool all_hex = true;
  for (char c : hex) all_hex = all_hex && absl::ascii_isxdigit(c);
  if (hex.size() != 2 * digest.size() || !all_hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics_security.basic_auth.password_file: ", path,
        " does not hold a SHA-256 hex digest (64 hex digits); make it with: ", kMakeDigest, path));
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return BasicAuthCredentials(basic_auth.username(), digest);
}

bool BasicAuthCredentials::Matches(absl::string_view username, absl::string_view password) const {
  Digest presented;
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(),
         presented.data());
  const bool password_matches =
      CRYPTO_memcmp(presented.data(), password_digest_.data(), presented.size()) == 0;
  return username == username_ && password_matches;
}

}  // namespace vroeg
