#include "common/tls.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_proto.h"

namespace vroeg {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

absl::StatusOr<TlsMaterial> LoadTlsMaterial(const config::v1::Tls& tls,
                                            const std::string& base_dir) {
  struct File {
    const char* key;
    const std::string& path;
    std::string* out;
  };
  TlsMaterial material;
  for (const File& file :
       {File{"tls.certificate", tls.certificate(), &material.certificate_pem},
        File{"tls.private_key", tls.private_key(), &material.private_key_pem},
        File{"tls.ca_certificate", tls.ca_certificate(), &material.ca_certificate_pem}}) {
    if (file.path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.key, " is required: mutual TLS is the only way in"));
    }
    const std::string path = ResolvePath(base_dir, file.path);
    auto content = ReadFileToString(path);
    if (!content.ok()) {
      return absl::Status(content.status().code(),
                          absl::StrCat(file.key, ": ", content.status().message()));
    }
    *file.out = *std::move(content);
  }
  struct stat st;
  const std::string key_path = ResolvePath(base_dir, tls.private_key());
  if (::stat(key_path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tls.private_key: ", key_path, " is readable by other users; run: chmod 600 ", key_path));
  }
  return material;
}

std::shared_ptr<grpc::ChannelCredentials> MutualTlsChannelCredentials(const TlsMaterial& tls) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca_certificate_pem;
  options.pem_private_key = tls.private_key_pem;
  options.pem_cert_chain = tls.certificate_pem;
  return grpc::SslCredentials(options);
}

}  // namespace vroeg
