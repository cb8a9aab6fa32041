#ifndef VROEG_TOOLS_PKI_PKI_H_
#define VROEG_TOOLS_PKI_PKI_H_

// A small certificate authority for one Vroeg region, kept as files in a directory:
//
//   ca.key     ECDSA P-256 private key of the CA, PEM (PKCS#8), mode 0600
//   ca.crt     self-signed CA certificate, PEM, mode 0644
//   index.tsv  one line per issued certificate: serial, identity, not_after (RFC 3339), path
//
// Agents get client certificates naming their reporter identity (urn:vroeg:<kind>:<id>) as a
// URI subjectAltName; the collector gets a server certificate naming its DNS names and IPs.
// Private keys are created with mode 0600 from the start and are never group or world
// readable, not even for a moment.
//
// Thread-safety: the functions hold no state of their own, but two calls writing the same
// directory at once may race (e.g. both pass the "already exists" check when `force` is set).
// None of them throws or exits.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace vroeg::pki {

inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kCaCertFile[] = "ca.crt";
inline constexpr char kIndexFile[] = "index.tsv";
inline constexpr char kIndexHeader[] = "serial\tidentity\tnot_after\tcertificate\n";

struct CaOptions {
  // Directory for the CA's files; created with mode 0700 (and missing parents) if absent.
  std::string dir;
  // Region the CA serves, e.g. "flevoland": 1 to 55 lower-case letters, digits, '-' or '_'.
  // The certificate's subject is CN=Vroeg CA <region>, O=Vroeg.
  std::string region;
  // 1 to 36500.
  int validity_days = 3650;
  // Replace an existing CA in `dir`. Certificates issued by the old CA stop verifying, and
  // index.tsv starts afresh.
  bool force = false;
};

// Creates a new CA in `options.dir`: ca.key, ca.crt (CA:TRUE, pathlen:0, keyCertSign and
// cRLSign) and an index.tsv holding only its header line.
// Errors: INVALID_ARGUMENT for a bad region, directory or validity; ALREADY_EXISTS when `dir`
// already holds CA files and `force` is false; file-system errors with the path in the message.
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

// Issues a key pair and certificate signed by the CA in `options.ca_dir` and appends a line to
// its index.tsv. The certificate is valid from five minutes before now (to allow for clock
// skew) for `validity_days`, and carries a random positive 128-bit serial,
// keyUsage digitalSignature and extendedKeyUsage clientAuth or serverAuth.
// Errors: INVALID_ARGUMENT for a bad identity, name, DNS name, IP address, validity, or a
// mix of client and server options; FAILED_PRECONDITION when the CA directory has no
// ca.key/ca.crt, ca.key is accessible by group or others, the key does not match the
// certificate, or the CA would expire before the new certificate; ALREADY_EXISTS when an output
// file exists and `force` is false; file-system errors with the path in the message.
absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& options, const Clock& clock);
absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& options);  // Uses the system clock.

}  // namespace vroeg::pki

#endif  // VROEG_TOOLS_PKI_PKI_H_
