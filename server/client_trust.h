#ifndef VROEG_SERVER_CLIENT_TRUST_H_
#define VROEG_SERVER_CLIENT_TRUST_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/log.h"
#include "common/openssl_ptr.h"
#include "common/revocation_list.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "server/audit/audit_log.h"

namespace vroeg {

// A client certificate that passed every check, and what the collector records about it.
struct VerifiedClient {
  ReporterId reporter;
  std::string serial_hex;
  std::string subject;
  absl::Time not_before;
  absl::Time not_after;
};

// What the collector trusts at one moment: the region's CA certificates and, when configured,
// its revocation list. Immutable once built, so a reload builds a new one and swaps it in while
// handshakes and calls keep using the one they started with.
class ClientTrust {
 public:
  // `ca_pem` holds one or more CA certificates (a bundle, so a new CA can be added before the
  // old one is retired). INVALID_ARGUMENT when it holds none or a malformed one.
  static absl::StatusOr<std::shared_ptr<const ClientTrust>> Create(
      absl::string_view ca_pem, std::optional<RevocationList> revocations);

  // Checks a client certificate chain (PEM, leaf first) at `now`: it must chain to a trusted CA
  // and be valid at `now`, be meant for client authentication (extendedKeyUsage clientAuth, no
  // CA), not be revoked, carry no wildcard name, and name exactly one well-formed reporter.
  // Errors are UNAUTHENTICATED with a message naming the certificate, what is wrong and what to
  // do; `reason` is then set to a fixed label: unreadable, unknown_ca, expired, not_yet_valid,
  // key_usage, revoked, wildcard, no_identity, several_identities, malformed_identity.
  // Every call on a connection asks again; a chain found good is remembered by this ClientTrust
  // (so until the next reload of CA or CRL) and answered from memory while `now` lies within its
  // leaf's validity, which spares parsing and chain building on every call.
  // Thread-safe.
  absl::StatusOr<VerifiedClient> Verify(absl::string_view chain_pem, absl::Time now,
                                        absl::string_view* reason) const;

  const std::optional<RevocationList>& revocations() const { return revocations_; }

 private:
  ClientTrust() = default;

  absl::StatusOr<VerifiedClient> VerifyChain(absl::string_view chain_pem, absl::Time now,
                                             absl::string_view* reason) const;

  // Chains remembered at most; the memory is dropped whole when full (clients reconnecting with
  // the same certificate simply fill it again).
  static constexpr size_t kMaxVerified = 4096;

  X509StorePtr store_;
  std::optional<RevocationList> revocations_;
  mutable absl::Mutex verified_mu_;
  mutable absl::flat_hash_map<std::string, VerifiedClient> verified_ ABSL_GUARDED_BY(verified_mu_);
};

// Every refusal label ClientTrust::Verify may give; metrics are created for all of them so that
// dashboards see zeros rather than gaps.
const std::vector<absl::string_view>& CertificateRefusalReasons();

// The collector's current trust, reloadable, and the one place where client certificates are
// judged: at the TLS handshake and again on every call, so that a certificate revoked or expired
// while its connection stays open stops working at once. Refusals are logged, counted in
// vroeg_client_certificates_refused_total{reason,stage} and written to the audit log.
// Thread-safe.
class ClientCertificates {
 public:
  // `audit` may be null (no audit log); everything must outlive this object.
  ClientCertificates(const Clock* clock, Logger* logger, prometheus::Registry* registry,
                     AuditLog* audit);

  // Reads the CA bundle and, when `crl_path` is not empty, the CRL (its signature is checked
  // against the CA) and swaps them in if their content changed. On error the trust in force
  // stays and the error names the file; the first load must succeed for the collector to start.
  absl::Status Reload(const std::string& ca_path, const std::string& crl_path);

  // Judges a certificate chain presented at `stage` ("handshake" or "call") from `peer`.
  absl::StatusOr<VerifiedClient> Check(absl::string_view chain_pem, absl::string_view stage,
                                       absl::string_view peer) const;

 private:
  std::shared_ptr<const ClientTrust> Current() const;

  const Clock* clock_;
  Logger* logger_;
  AuditLog* audit_;
  prometheus::Family<prometheus::Counter>* refused_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ClientTrust> trust_ ABSL_GUARDED_BY(mu_);
  std::string loaded_ca_pem_ ABSL_GUARDED_BY(mu_);
  std::string loaded_crl_pem_ ABSL_GUARDED_BY(mu_);
};

// Hands gRPC's TLS handshake to ClientCertificates, so that a bad certificate is refused before
// any call and the reason is ours to log. `certificates` must outlive every server using it.
std::shared_ptr<grpc::experimental::CertificateVerifier> HandshakeVerifier(
    const ClientCertificates* certificates);

}  // namespace vroeg

#endif  // VROEG_SERVER_CLIENT_TRUST_H_
