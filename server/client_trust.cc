#include "server/client_trust.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/certificate.h"
#include "common/reporter_certificate.h"
#include "common/yaml_proto.h"

namespace vroeg {
namespace {

using X509StackPtr =
    std::unique_ptr<STACK_OF(X509),
                    decltype([](STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); })>;

std::string Date(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

// Every certificate in `pem`, in order. Stops at the first block that is not a certificate.
std::vector<X509Ptr> ReadCertificates(absl::string_view pem) {
  std::vector<X509Ptr> out;
  if (pem.size() > static_cast<size_t>(INT_MAX)) return out;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (bio != nullptr) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    out.push_back(std::move(cert));
  }
  ERR_clear_error();
  return out;
}

absl::Status Refuse(absl::string_view label, absl::string_view* reason, std::string message) {
  *reason = label;
  return absl::UnauthenticatedError(std::move(message));
}

// A client certificate must say it is for client authentication: without this check a
// collector's server certificate, issued by the same CA, could be used to log in as a reporter.
bool IsForClientAuthentication(X509* leaf) {
  const uint32_t flags = X509_get_extension_flags(leaf);
  if ((flags & EXFLAG_XKUSAGE) == 0) return false;
  if ((X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) == 0) return false;
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0) {
    return false;
  }
  return X509_check_ca(leaf) == 0;
}

}  // namespace

const std::vector<absl::string_view>& CertificateRefusalReasons() {
  static const auto* reasons = new std::vector<absl::string_view>{
      "unreadable", "unknown_ca", "expired",     "not_yet_valid",      "key_usage",
      "revoked",    "wildcard",   "no_identity", "several_identities", "malformed_identity"};
  return *reasons;
}

absl::StatusOr<std::shared_ptr<const ClientTrust>> ClientTrust::Create(
    absl::string_view ca_pem, std::optional<RevocationList> revocations) {
  std::vector<X509Ptr> cas = ReadCertificates(ca_pem);
  if (cas.empty()) {
    return absl::InvalidArgumentError("holds no PEM certificate");
  }
  auto trust = std::shared_ptr<ClientTrust>(new ClientTrust());
  trust->store_.reset(X509_STORE_new());
  if (trust->store_ == nullptr) return absl::ResourceExhaustedError("out of memory");
  for (const X509Ptr& ca : cas) {
    if (X509_check_ca(ca.get()) == 0) {
      return absl::InvalidArgumentError(
          "holds a certificate that is not a CA certificate (basicConstraints CA:TRUE missing)");
    }
    if (X509_STORE_add_cert(trust->store_.get(), ca.get()) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError("holds a CA certificate that cannot be used");
    }
  }
  trust->revocations_ = std::move(revocations);
  return std::shared_ptr<const ClientTrust>(std::move(trust));
}

absl::StatusOr<VerifiedClient> ClientTrust::Verify(absl::string_view chain_pem, absl::Time now,
                                                   absl::string_view* reason) const {
  {
    absl::MutexLock lock(&verified_mu_);
    auto known = verified_.find(chain_pem);
    if (known != verified_.end() && now >= known->second.not_before &&
        now < known->second.not_after) {
      return known->second;
    }
  }
  absl::StatusOr<VerifiedClient> verified = VerifyChain(chain_pem, now, reason);
  if (verified.ok()) {
    absl::MutexLock lock(&verified_mu_);
    if (verified_.size() >= kMaxVerified) verified_.clear();
    verified_.insert_or_assign(std::string(chain_pem), *verified);
  }
  return verified;
}

absl::StatusOr<VerifiedClient> ClientTrust::VerifyChain(absl::string_view chain_pem, absl::Time now,
                                                        absl::string_view* reason) const {
  std::vector<X509Ptr> chain = ReadCertificates(chain_pem);
  if (chain.empty()) {
    return Refuse("unreadable", reason, "client certificate is not a readable PEM certificate");
  }
  X509* leaf = chain.front().get();
  auto info = DescribeCertificate(leaf);
  if (!info.ok()) {
    return Refuse("unreadable", reason,
                  absl::StrCat("client certificate unreadable: ", info.status().message()));
  }
  const std::string who =
      absl::StrCat("client certificate '", info->subject, "' serial ", info->serial_hex);

  X509StackPtr untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr || untrusted == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store_.get(), leaf, untrusted.get()) != 1) {
    ERR_clear_error();
    return absl::ResourceExhaustedError("out of memory while checking a client certificate");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  const bool chain_ok = X509_verify_cert(ctx.get()) == 1;
  const int error = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  // The stack borrows the certificates that `chain` owns.
  sk_X509_zero(untrusted.get());
  ERR_clear_error();
  if (!chain_ok) {
    const std::string what =
        depth == 0 ? who : absl::StrCat(who, " (its issuer at depth ", depth, ")");
    switch (error) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return Refuse("expired", reason,
                      absl::StrCat(what, " expired on ", Date(info->not_after),
                                   "; ask the region for a new certificate"));
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Refuse("not_yet_valid", reason,
                      absl::StrCat(what, " is not valid before ", Date(info->not_before),
                                   "; check the clocks of both machines"));
      case X509_V_ERR_INVALID_PURPOSE:
        return Refuse("key_usage", reason,
                      absl::StrCat(what,
                                   " is not meant for client authentication; use the "
                                   "client certificate from vroegctl pki issue --identity"));
      default:
        return Refuse("unknown_ca", reason,
                      absl::StrCat(what, " is not issued by this region's CA (",
                                   X509_verify_cert_error_string(error),
                                   "); use a certificate issued by the region's vroegctl pki"));
    }
  }
  if (!IsForClientAuthentication(leaf)) {
    return Refuse("key_usage", reason,
                  absl::StrCat(who,
                               " is not a client certificate (it needs extendedKeyUsage "
                               "clientAuth, keyUsage digitalSignature and CA:FALSE); use "
                               "the client certificate from vroegctl pki issue --identity"));
  }
  if (revocations_.has_value() && revocations_->revoked_serials_hex.contains(info->serial_hex)) {
    return Refuse("revoked", reason,
                  absl::StrCat(who, " is revoked (CRL ", revocations_->number,
                               "); ask the region for a new certificate"));
  }
  for (const auto* names : {&info->dns_sans, &info->uri_sans}) {
    for (const std::string& name : *names) {
      if (absl::StrContains(name, '*')) {
        return Refuse("wildcard", reason,
                      absl::StrCat(who, " carries the wildcard name '", name,
                                   "'; a certificate must name exactly one reporter"));
      }
    }
  }
  auto reporter = ReporterFromCertificate(*info, reason);
  if (!reporter.ok()) return reporter.status();
  return VerifiedClient{*std::move(reporter), info->serial_hex, info->subject, info->not_before,
                        info->not_after};
}

ClientCertificates::ClientCertificates(const Clock* clock, Logger* logger,
                                       prometheus::Registry* registry, AuditLog* audit)
    : clock_(clock), logger_(logger), audit_(audit) {
  refused_ = &prometheus::BuildCounter()
                  .Name("vroeg_client_certificates_refused_total")
                  .Help(
                      "Client certificates refused, by reason and by stage (handshake, or a "
                      "call on a connection made before the certificate became invalid).")
                  .Register(*registry);
  for (absl::string_view stage : {"handshake", "call"}) {
    for (absl::string_view label : CertificateRefusalReasons()) {
      refused_->Add({{"reason", std::string(label)}, {"stage", std::string(stage)}});
    }
  }
}

absl::Status ClientCertificates::Reload(const std::string& ca_path, const std::string& crl_path) {
  auto ca_pem = ReadFileToString(ca_path);
  if (!ca_pem.ok()) {
    return absl::Status(ca_pem.status().code(),
                        absl::StrCat("tls.ca_certificate: ", ca_pem.status().message()));
  }
  std::string crl_pem;
  if (!crl_path.empty()) {
    auto read = ReadFileToString(crl_path);
    if (!read.ok()) {
      return absl::Status(read.status().code(), absl::StrCat("tls.crl: ", read.status().message()));
    }
    crl_pem = *std::move(read);
  }
  {
    absl::MutexLock lock(&mu_);
    if (trust_ != nullptr && *ca_pem == loaded_ca_pem_ && crl_pem == loaded_crl_pem_) {
      return absl::OkStatus();
    }
  }
  std::optional<RevocationList> revocations;
  if (!crl_path.empty()) {
    auto parsed = ParseRevocationListPem(crl_pem, *ca_pem);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tls.crl: ", crl_path, ": ", parsed.status().message()));
    }
    revocations = *std::move(parsed);
  }
  auto trust = ClientTrust::Create(*ca_pem, std::move(revocations));
  if (!trust.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.ca_certificate: ", ca_path, " ", trust.status().message()));
  }
  if (const auto& crl = (*trust)->revocations(); crl.has_value()) {
    logger_->Info("client_trust_loaded", {{"ca_certificate", ca_path},
                                          {"crl", crl_path},
                                          {"crl_number", crl->number},
                                          {"revoked", crl->revoked_serials_hex.size()},
                                          {"crl_next_update", Date(crl->next_update)}});
    if (crl->next_update < clock_->Now()) {
      logger_->Warning("crl_outdated",
                       {{"crl", crl_path},
                        {"next_update", Date(crl->next_update)},
                        {"hint",
                         "its revocations are still enforced; re-sign it with vroegctl "
                         "pki crl and copy it here"}});
    }
  } else {
    logger_->Info("client_trust_loaded", {{"ca_certificate", ca_path}});
  }
  absl::MutexLock lock(&mu_);
  trust_ = *std::move(trust);
  loaded_ca_pem_ = *std::move(ca_pem);
  loaded_crl_pem_ = std::move(crl_pem);
  return absl::OkStatus();
}

std::shared_ptr<const ClientTrust> ClientCertificates::Current() const {
  absl::MutexLock lock(&mu_);
  return trust_;
}

absl::StatusOr<VerifiedClient> ClientCertificates::Check(absl::string_view chain_pem,
                                                         absl::string_view stage,
                                                         absl::string_view peer) const {
  std::shared_ptr<const ClientTrust> trust = Current();
  if (trust == nullptr) return absl::UnavailableError("the collector is starting; retry");
  const absl::Time now = clock_->Now();
  absl::string_view reason = "unreadable";
  auto verified = trust->Verify(chain_pem, now, &reason);
  if (verified.ok()) return verified;
  refused_->Add({{"reason", std::string(reason)}, {"stage", std::string(stage)}}).Increment();
  logger_->Warning("client_certificate_refused", {{"stage", stage},
                                                  {"peer", peer},
                                                  {"reason", reason},
                                                  {"message", verified.status().message()}});
  if (audit_ != nullptr) {
    AuditEvent event;
    event.time = now;
    event.identity = "unauthenticated";
    event.peer = std::string(peer);
    event.action = std::string(stage);
    event.outcome = "refused";
    event.code = absl::StatusCodeToString(verified.status().code());
    event.reason = std::string(verified.status().message());
    if (auto info = ParseCertificatePem(chain_pem); info.ok()) {
      event.certificate_serial = info->serial_hex;
      for (const std::string& uri : info->uri_sans) {
        if (absl::StartsWith(uri, "urn:vroeg:")) event.details.push_back({"claimed", uri});
      }
    }
    // The refusal stands whether or not it could be recorded; a failed write is logged there.
    if (absl::Status s = audit_->Append(event); !s.ok()) {
      logger_->Error("audit_write_failed", {{"reason", s.message()}});
    }
  }
  return verified;
}

namespace {

class Verifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit Verifier(const ClientCertificates* certificates) : certificates_(certificates) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    // The full chain does not reliably start with the peer's own certificate, so the leaf goes
    // first and the rest only helps to build the path.
    grpc::string_ref leaf = request->peer_cert();
    grpc::string_ref chain = request->peer_cert_full_chain();
    std::string pem(leaf.data(), leaf.size());
    pem.append(chain.data(), chain.size());
    auto verified = certificates_->Check(pem, "handshake", "");
    *sync_status = verified.ok() ? grpc::Status::OK
                                 : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                                std::string(verified.status().message()));
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const ClientCertificates* certificates_;
};

}  // namespace

std::shared_ptr<grpc::experimental::CertificateVerifier> HandshakeVerifier(
    const ClientCertificates* certificates) {
  return grpc::experimental::ExternalCertificateVerifier::Create<Verifier>(certificates);
}

}  // namespace vroeg
