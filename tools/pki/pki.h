#ifndef VROEG_TOOLS_PKI_PKI_H_
#define VROEG_TOOLS_PKI_PKI_H_

// A small certificate authority for one Vroeg region, kept as files in a directory:
//
//   ca.key     ECDSA P-256 private key of the CA, PEM (PKCS#8), mode 0600
//   ca.crt     self-signed CA certificate, PEM, mode 0644
//   index.tsv  one line per issued certificate, tab-separated: serial, identity, not_after
//              (RFC 3339), certificate path, revoked_at (RFC 3339) and reason (both empty while
//              the certificate stands); files from before revocation have only the first four
//              columns and are still read
//   crl.pem    certificate revocation list signed by the CA, listing every revoked certificate
//
// Agents get client certificates naming their reporter identity (urn:vroeg:<kind>:<id>) as a
// URI subjectAltName; the collector gets a server certificate naming its DNS names and IPs.
// Private keys are created with mode 0600 from the start and are never group or world
// readable, not even for a moment.
//
// index.tsv and crl.pem are replaced atomically (temporary file, fsync, rename, fsync of the
// directory), so a crash leaves the old or the new version, never a mix.
//
// Thread-safety: the functions hold no state of their own. Calls that change index.tsv or
// crl.pem hold an exclusive lock (flock) on the CA directory meanwhile, so concurrent issuers
// and revokers, also in other processes, do not lose each other's lines. Two InitCa calls on
// the same directory at once may still both pass the "already exists" check.
// None of them throws or exits.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace vroeg::pki {

inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kCaCertFile[] = "ca.crt";
inline constexpr char kIndexFile[] = "index.tsv";
inline constexpr char kCrlFile[] = "crl.pem";
inline constexpr char kIndexHeader[] =
    "serial\tidentity\tnot_after\tcertificate\trevoked_at\treason\n";
// How long a CRL stays current unless told otherwise; re-sign it (WriteCrl) before then.
inline constexpr int kDefaultCrlDays = 30;
inline constexpr int kMaxCrlDays = 365;

struct CaOptions {
  // Directory for the CA's files; created with mode 0700 (and missing parents) if absent.
  std::string dir;
  // Region the CA serves, e.g. "flevoland": 1 to 55 lower-case letters, digits, '-' or '_'.
  // The certificate's subject is CN=Vroeg CA <region>, O=Vroeg.
  std::string region;
  // 1 to 36500.
  int validity_days = 3650;
  // Replace an existing CA in `dir`. Certificates issued by the old CA stop verifying, and
  // index.tsv and crl.pem start afresh.
  bool force = false;
  // Days until the first CRL's nextUpdate: 1 to kMaxCrlDays.
  int crl_days = kDefaultCrlDays;
};

// Creates a new CA in `options.dir`: ca.key, ca.crt (CA:TRUE, pathlen:0, keyCertSign and
// cRLSign), an index.tsv holding only its header line, and crl.pem, an empty CRL numbered 1, so
// that collectors can be configured with it from the start.
// Errors: INVALID_ARGUMENT for a bad region, directory, validity or CRL days; ALREADY_EXISTS
// when `dir` already holds CA files and `force` is false; file-system errors with the path in
// the message.
absl::Status InitCa(const CaOptions& options, const Clock& clock);
absl::Status InitCa(const CaOptions& options);  // Uses the system clock.

struct IssueOptions {
  // Directory made by InitCa.
  std::string ca_dir;
  // For a client (agent) certificate: the reporter identity, urn:vroeg:<kind>:<id>. It is
  // validated and normalised (a bare municipality code 0171 becomes GM0171).
  std::string identity;
  // For a server (collector) certificate instead: set `server` and give at least one DNS name
  // or IP address. Wildcard names are refused.
  bool server = false;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  // Where to write <name>.key and <name>.crt; empty means `ca_dir`. Created with mode 0700 if
  // absent.
  std::string out_dir;
  // Base name of the output files; empty means "<kind>-<id>" (e.g. "provider-12345678") for a
  // client and "server" for a server. Letters, digits, '.', '-' and '_', not starting with '.'.
  std::string name;
  // 1 to 36500; the certificate may not outlive the CA.
  int validity_days = 397;
  // Replace existing output files (atomically, via a temporary file and rename).
  bool force = false;
};

struct IssuedCertificate {
  std::string certificate_path;
  std::string key_path;
  // Lower-case hex, as in CertificateInfo::serial_hex and index.tsv.
  std::string serial_hex;
  absl::Time not_after;
  // The normalised URN for a client; the subject name (first DNS name or IP) for a server.
  std::string identity;
};

// Issues a key pair and certificate signed by the CA in `options.ca_dir` and adds a line to
// its index.tsv. The certificate is valid from five minutes before now (to allow for clock
// skew) for `validity_days`, and carries a random positive 128-bit serial,
// keyUsage digitalSignature and extendedKeyUsage clientAuth or serverAuth.
// Errors: INVALID_ARGUMENT for a bad identity, name, DNS name, IP address, validity, or a
// mix of client and server options, or an output path holding a tab or line break;
// FAILED_PRECONDITION when the CA directory has no ca.key/ca.crt, ca.key is accessible by group
// or others, the key does not match the certificate, the CA would expire before the new
// certificate, or index.tsv is malformed; ALREADY_EXISTS when an output file exists and `force`
// is false; file-system errors with the path in the message.
absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& options, const Clock& clock);
absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& options);  // Uses the system clock.

// RFC 5280 CRLReason codes a region has use for.
enum class RevocationReason {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
};

// The RFC 5280 name, e.g. "keyCompromise", as index.tsv and the command line spell it.
absl::string_view RevocationReasonName(RevocationReason reason);

// The inverse of RevocationReasonName; INVALID_ARGUMENT lists the accepted names.
absl::StatusOr<RevocationReason> ParseRevocationReason(absl::string_view name);

// One certificate in index.tsv.
struct IndexEntry {
  // Lower-case hex, as IssuedCertificate::serial_hex.
  std::string serial_hex;
  // As IssuedCertificate::identity: a urn:vroeg: URN, or a server's name.
  std::string identity;
  absl::Time not_after;
  std::string certificate_path;
  // Set once the certificate is revoked.
  std::optional<absl::Time> revoked_at;
  // Meaningful only when revoked.
  RevocationReason reason = RevocationReason::kUnspecified;

  // True for a collector's certificate, whose identity is a DNS name or IP address.
  bool IsServer() const;
};

enum class CertificateState { kValid, kExpired, kRevoked };

// Revocation wins over expiry: a revoked certificate stays revoked after it expires.
CertificateState StateAt(const IndexEntry& entry, absl::Time now);

// The certificates in `ca_dir`'s index.tsv, in file order.
// Errors: FAILED_PRECONDITION when there is no index.tsv (not a CA directory) or a line is
// malformed (the message names the line); file-system errors with the path in the message.
absl::StatusOr<std::vector<IndexEntry>> ReadIndex(const std::string& ca_dir);

struct CrlOptions {
  // Directory made by InitCa.
  std::string ca_dir;
  // Days until nextUpdate: 1 to kMaxCrlDays. Collectors warn once it has passed, so re-sign the
  // CRL well before.
  int validity_days = kDefaultCrlDays;
};

struct WrittenCrl {
  std::string path;
  // The CRL Number: one more than that of the CRL it replaced, 1 for the first.
  int64_t number = 0;
  absl::Time this_update;
  absl::Time next_update;
  // Entries in the CRL: every revoked certificate in index.tsv, expired or not.
  size_t revoked_count = 0;
};

// Signs a new crl.pem from index.tsv: an X.509 v2 CRL issued by the CA, signed with ECDSA
// SHA-256, with thisUpdate now, nextUpdate `validity_days` later, the next CRL Number, and one
// entry per revoked certificate with its revocation date and reason (the reason is left out
// for kUnspecified, as RFC 5280 asks).
// Errors: INVALID_ARGUMENT for bad days; FAILED_PRECONDITION as Issue for the CA, for a
// malformed index.tsv, or when the existing crl.pem is not a CRL of this CA (the message says
// how to start afresh); file-system errors with the path in the message.
absl::StatusOr<WrittenCrl> WriteCrl(const CrlOptions& options, const Clock& clock);
absl::StatusOr<WrittenCrl> WriteCrl(const CrlOptions& options);  // Uses the system clock.

struct RevokeOptions {
  // Directory made by InitCa.
  std::string ca_dir;
  // Exactly one of `serial` and `identity`.
  // Hex in any case, optionally with ':' between bytes, as `openssl x509 -serial` prints it.
  std::string serial;
  // Every certificate of this identity that is not yet revoked: a urn:vroeg: URN (normalised as
  // Issue does) or a server's name as index.tsv records it.
  std::string identity;
  RevocationReason reason = RevocationReason::kUnspecified;
  // nextUpdate of the CRL written afterwards, as CrlOptions::validity_days.
  int crl_days = kDefaultCrlDays;
};

struct RevokeResult {
  // Certificates revoked now, with revoked_at and reason filled in.
  std::vector<IndexEntry> revoked;
  // Certificates that matched but were revoked before; they are left as they were.
  std::vector<IndexEntry> already_revoked;
  // The CRL written; empty when nothing was revoked now, as then nothing changed.
  std::optional<WrittenCrl> crl;
};

// Marks the certificates chosen by `options` revoked in index.tsv, then writes crl.pem as
// WriteCrl does. Index and CRL are checked before either changes; if writing the CRL fails after
// the index changed, the error says to run `vroegctl pki crl`.
// Errors: INVALID_ARGUMENT for a malformed serial or identity, both or neither given, or bad
// days; NOT_FOUND when no certificate in index.tsv matches (the message names the serial or
// identity and how to list certificates); otherwise as WriteCrl.
absl::StatusOr<RevokeResult> Revoke(const RevokeOptions& options, const Clock& clock);
absl::StatusOr<RevokeResult> Revoke(const RevokeOptions& options);  // Uses the system clock.

}  // namespace vroeg::pki

#endif  // VROEG_TOOLS_PKI_PKI_H_
