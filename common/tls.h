#ifndef VROEG_COMMON_TLS_H_
#define VROEG_COMMON_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "vroeg/config/v1/tls.pb.h"

namespace vroeg {

// The PEM contents of a Tls config, read once at start-up.
struct TlsMaterial {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string ca_certificate_pem;
};

// Resolves `path` against `base_dir` unless it is absolute or base_dir is empty.
std::string ResolvePath(const std::string& base_dir, const std::string& path);

// Reads the three files. A missing setting or unreadable file is INVALID_ARGUMENT /
// NOT_FOUND naming the config key and path; a private key readable by group or others is
// FAILED_PRECONDITION (fix: chmod 600).
absl::StatusOr<TlsMaterial> LoadTlsMaterial(const config::v1::Tls& tls,
                                            const std::string& base_dir);

// Client credentials presenting our certificate and trusting only the region's CA.
std::shared_ptr<grpc::ChannelCredentials> MutualTlsChannelCredentials(const TlsMaterial& tls);

}  // namespace vroeg

#endif  // VROEG_COMMON_TLS_H_
