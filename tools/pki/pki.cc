#include "tools/pki/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/identity.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"

namespace vroeg::pki {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxValidityDays = 36500;
// X.520 limits a commonName to 64 characters; OpenSSL refuses longer ones.
constexpr size_t kMaxCommonName = 64;
constexpr absl::string_view kCaNamePrefix = "Vroeg CA ";
constexpr absl::string_view kOrganisation = "Vroeg";
constexpr absl::Duration kClockSkew = absl::Minutes(5);

// OpenSSL reports through a thread-local queue; drain it so later calls start clean.
std::string TakeOpenSslError() {
  std::string reason = "unknown error";
  while (unsigned long err = ERR_get_error()) {
    if (const char* r = ERR_reason_error_string(err); r != nullptr) reason = r;
  }
  return reason;
}

absl::Status OpenSslFailure(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", TakeOpenSslError()));
}

// The keys are stored unencrypted; never let OpenSSL prompt on a terminal for a pass phrase.
int NoPassword(char*, int, int, void*) { return 0; }

std::string Join(const std::string& dir, absl::string_view file) {
  return (fs::path(dir) / std::string(file)).string();
}

std::string Absolute(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// ---- Files ----

// Takes errno before anything else: building the message allocates, which may change errno.
absl::Status ErrnoError(absl::string_view action, absl::string_view path) {
  int error = errno;
  return absl::ErrnoToStatus(error, absl::StrCat(action, " '", path, "'"));
}

absl::StatusOr<bool> Exists(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return ErrnoError("cannot inspect", path);
}

absl::Status MakeDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("'", dir, "' exists but is not a directory"));
  }
  std::error_code error;
  fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  if (error) {
    return absl::ErrnoToStatus(error.value(),
                               absl::StrCat("cannot create directory '", parent.string(), "'"));
  }
  // The leaf holds private keys: only the owner may list or enter it.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create directory", dir);
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) {
    return ErrnoError("cannot flush", path);
  }
  return absl::OkStatus();
}

// Writes a file that must not exist yet. The mode is given to open() itself so that a key file
// is never readable by others, not even between creation and a later chmod.
absl::Status WriteNewFile(const std::string& path, absl::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(
          "'", path, "' already exists; pass --force to replace it or choose another directory"));
    }
    return ErrnoError("cannot create", path);
  }
  // The umask may have narrowed the mode; certificates are meant to be world readable.
  absl::Status status =
      ::fchmod(fd, mode) == 0 ? WriteAll(fd, data, path) : ErrnoError("cannot chmod", path);
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoError("cannot close", path);
  }
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

// Replaces a file atomically: readers see the old or the new content, never a mix. mkstemp
// creates the temporary file with mode 0600, so a key is private from the start.
absl::Status ReplaceFile(const std::string& path, absl::string_view data, mode_t mode) {
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return ErrnoError("cannot create a temporary file for", path);
  }
  absl::Status status =
      ::fchmod(fd, mode) == 0 ? WriteAll(fd, data, temp) : ErrnoError("cannot chmod", temp);
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoError("cannot close", temp);
  }
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    status = absl::ErrnoToStatus(error, absl::StrCat("cannot rename '", temp, "' to '", path, "'"));
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

absl::Status WriteFile(const std::string& path, absl::string_view data, mode_t mode, bool replace) {
  return replace ? ReplaceFile(path, data, mode) : WriteNewFile(path, data, mode);
}

// Files created by one operation, removed again unless the operation completes. Replaced files
// cannot be restored, so only new files are tracked.
class NewFiles {
 public:
  NewFiles() = default;
  NewFiles(const NewFiles&) = delete;
  NewFiles& operator=(const NewFiles&) = delete;
  ~NewFiles() {
    for (const std::string& path : paths_) ::unlink(path.c_str());
  }
  void Add(std::string path) { paths_.push_back(std::move(path)); }
  void Keep() { paths_.clear(); }

 private:
  std::vector<std::string> paths_;
};

absl::StatusOr<std::string> ReadFd(int fd, const std::string& path) {
  std::string data;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read", path);
    if (n == 0) return data;
    data.append(buffer, static_cast<size_t>(n));
  }
}

// Reads a private key file, refusing one that others could have read: that key must be treated
// as leaked, and silently using it would hide the problem.
absl::StatusOr<std::string> ReadPrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  struct stat st;
  absl::StatusOr<std::string> data;
  if (::fstat(fd, &st) != 0) {
    data = ErrnoError("cannot inspect", path);
  } else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    data = absl::FailedPreconditionError(
        absl::StrFormat("'%s' is accessible by group or others (mode %04o); run `chmod 600 %s`",
                        path, st.st_mode & 07777, path));
  } else {
    data = ReadFd(fd, path);
  }
  ::close(fd);
  return data;
}

absl::StatusOr<std::string> ReadPublicFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  absl::StatusOr<std::string> data = ReadFd(fd, path);
  ::close(fd);
  return data;
}

// ---- Validation ----

absl::Status ValidateDays(int days) {
  if (days < 1 || days > kMaxValidityDays) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validity of ", days, " days is out of range: expected 1 to ", kMaxValidityDays));
  }
  return absl::OkStatus();
}

absl::Status ValidateFileName(absl::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat("file name '", name, "' must be 1 to 200 characters and not start with '.'"));
  }
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "file name '", name, "' may contain only letters, digits, '.', '-' and '_'"));
    }
  }
  if (name == "ca") {
    return absl::InvalidArgumentError("file name 'ca' is reserved for the CA's own key");
  }
  return absl::OkStatus();
}

// Returns the lower-case form of a host name. Wildcards are refused: each collector host is
// named, so a stolen server key cannot impersonate other hosts in the domain.
absl::StatusOr<std::string> NormaliseDnsName(absl::string_view name) {
  if (absl::StrContains(name, '*')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wildcard DNS name '", name, "' is not allowed: list each host name with --dns"));
  }
  if (name.empty() || name.size() > 253) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS name '", name, "' must be 1 to 253 characters long"));
  }
  std::string lower = absl::AsciiStrToLower(name);
  size_t label_start = 0;
  for (size_t i = 0; i <= lower.size(); ++i) {
    if (i < lower.size() && lower[i] != '.') {
      char c = lower[i];
      if (!(absl::ascii_isalnum(c) || c == '-')) {
        return absl::InvalidArgumentError(
            absl::StrCat("DNS name '", name, "' may contain only letters, digits, '-' and '.'"));
      }
      continue;
    }
    absl::string_view label = absl::string_view(lower).substr(label_start, i - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "DNS name '", name,
          "' has an invalid label: each must be 1 to 63 characters, not starting or ending "
          "with '-'"));
    }
    label_start = i + 1;
  }
  return lower;
}

struct IpAddress {
  std::string text;   // Canonical textual form.
  std::string bytes;  // 4 or 16 bytes in network order, as a certificate stores it.
};

absl::StatusOr<IpAddress> ParseIpAddress(const std::string& text) {
  unsigned char bytes[16];
  int family = AF_UNSPEC;
  size_t size = 0;
  if (::inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    family = AF_INET;
    size = 4;
  } else if (::inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    family = AF_INET6;
    size = 16;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IPv4 or IPv6 address"));
  }
  char canonical[INET6_ADDRSTRLEN];
  if (::inet_ntop(family, bytes, canonical, sizeof(canonical)) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a usable IP address"));
  }
  return IpAddress{canonical, std::string(reinterpret_cast<const char*>(bytes), size)};
}

// ---- Certificates ----

absl::StatusOr<KeyPtr> GenerateKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslFailure("cannot generate an ECDSA P-256 key");
  return key;
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("cannot encode the private key");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslFailure("cannot encode the certificate");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// Writes the key (0600) and its certificate (0644). New files are recorded in `created` so that
// a later failure removes them; replaced files are not (they cannot be restored anyway).
absl::Status WriteKeyAndCertificate(EVP_PKEY* key, X509* cert, const std::string& key_path,
                                    const std::string& cert_path, bool replace, NewFiles* created) {
  VROEG_ASSIGN_OR_RETURN(std::string key_pem, KeyToPem(key));
  VROEG_ASSIGN_OR_RETURN(std::string cert_pem, CertificateToPem(cert));
  VROEG_RETURN_IF_ERROR(WriteFile(key_path, key_pem, 0600, replace));
  if (!replace) created->Add(key_path);
  VROEG_RETURN_IF_ERROR(WriteFile(cert_path, cert_pem, 0644, replace));
  if (!replace) created->Add(cert_path);
  return absl::OkStatus();
}

// Sets a random positive 128-bit serial (RFC 5280 allows up to 20 octets) and returns it in hex.
// The top bit is forced so that every serial prints as 32 hex digits.
absl::StatusOr<std::string> SetRandomSerial(X509* cert) {
  BignumPtr bn(BN_new());
  if (bn == nullptr || BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
    return OpenSslFailure("cannot generate a serial number");
  }
  IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslFailure("cannot set the serial number");
  }
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return OpenSslFailure("cannot format the serial number");
  std::string out = absl::AsciiStrToLower(hex);
  OPENSSL_free(hex);
  return out;
}

// Builds O=Vroeg[, CN=common_name]. A common name longer than X.520 allows is left out; the
// subjectAltName, which is what peers check, still carries the full identity.
absl::StatusOr<NamePtr> MakeName(absl::string_view common_name) {
  NamePtr name(X509_NAME_new());
  auto add = [&](const char* field, absl::string_view value) {
    return X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (name == nullptr || !add("O", kOrganisation) ||
      (common_name.size() <= kMaxCommonName && !add("CN", common_name))) {
    return OpenSslFailure("cannot build the subject name");
  }
  return name;
}

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return OpenSslFailure("cannot set the validity period");
  }
  return absl::OkStatus();
}

absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslFailure(absl::StrCat("cannot add extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

// Built as structures rather than through OpenSSL's "URI:..." text syntax, so that no value can
// smuggle in a comma-separated extra entry.
absl::Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& uris,
                                const std::vector<std::string>& dns_names,
                                const std::vector<IpAddress>& ips) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (names == nullptr) return OpenSslFailure("cannot allocate subjectAltName");
  auto add_string = [&](int type, const std::string& value) {
    Ia5StringPtr s(ASN1_IA5STRING_new());
    GeneralNamePtr name(GENERAL_NAME_new());
    if (s == nullptr || name == nullptr ||
        ASN1_STRING_set(s.get(), value.data(), static_cast<int>(value.size())) != 1) {
      return false;
    }
    GENERAL_NAME_set0_value(name.get(), type, s.release());
    return sk_GENERAL_NAME_push(names.get(), name.release()) > 0;
  };
  for (const std::string& uri : uris) {
    if (!add_string(GEN_URI, uri)) return OpenSslFailure("cannot add a URI subjectAltName");
  }
  for (const std::string& dns : dns_names) {
    if (!add_string(GEN_DNS, dns)) return OpenSslFailure("cannot add a DNS subjectAltName");
  }
  for (const IpAddress& ip : ips) {
    OctetStringPtr bytes(ASN1_OCTET_STRING_new());
    GeneralNamePtr name(GENERAL_NAME_new());
    if (bytes == nullptr || name == nullptr ||
        ASN1_OCTET_STRING_set(bytes.get(), reinterpret_cast<const unsigned char*>(ip.bytes.data()),
                              static_cast<int>(ip.bytes.size())) != 1) {
      return OpenSslFailure("cannot add an IP subjectAltName");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, bytes.release());
    if (sk_GENERAL_NAME_push(names.get(), name.release()) <= 0) {
      return OpenSslFailure("cannot add an IP subjectAltName");
    }
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslFailure("cannot add subjectAltName");
  }
  return absl::OkStatus();
}

// The parts common to CA and leaf certificates: version 3, serial, subject, issuer, validity
// and public key. Returns the serial in hex.
absl::StatusOr<std::string> FillCertificate(X509* cert, const X509_NAME* subject,
                                            const X509_NAME* issuer, EVP_PKEY* key,
                                            absl::Time not_before, absl::Time not_after) {
  if (X509_set_version(cert, X509_VERSION_3) != 1 || X509_set_subject_name(cert, subject) != 1 ||
      X509_set_issuer_name(cert, issuer) != 1 || X509_set_pubkey(cert, key) != 1) {
    return OpenSslFailure("cannot fill in the certificate");
  }
  VROEG_RETURN_IF_ERROR(SetValidity(cert, not_before, not_after));
  return SetRandomSerial(cert);
}

absl::Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return OpenSslFailure("cannot sign certificate");
  return absl::OkStatus();
}

struct Ca {
  X509Ptr cert;
  KeyPtr key;
  absl::Time not_after;
};

absl::StatusOr<absl::Time> NotAfter(const X509* cert) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return absl::FailedPreconditionError("the CA certificate has a malformed expiry time");
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

absl::StatusOr<Ca> LoadCa(const std::string& dir, absl::Time now) {
  std::string key_path = Join(dir, kCaKeyFile);
  std::string cert_path = Join(dir, kCaCertFile);
  VROEG_ASSIGN_OR_RETURN(bool key_exists, Exists(key_path));
  VROEG_ASSIGN_OR_RETURN(bool cert_exists, Exists(cert_path));
  if (!key_exists || !cert_exists) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", dir, "' holds no CA (", key_exists ? kCaCertFile : kCaKeyFile,
                     " is missing); run `vroegctl pki init --dir ", dir, "` first"));
  }
  VROEG_ASSIGN_OR_RETURN(std::string key_pem, ReadPrivateFile(key_path));
  VROEG_ASSIGN_OR_RETURN(std::string cert_pem, ReadPublicFile(cert_path));

  ERR_clear_error();
  Ca ca;
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (key_bio != nullptr) {
    ca.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassword, nullptr));
  }
  if (ca.key == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", key_path, "' is not an unencrypted PEM private key: ", TakeOpenSslError()));
  }
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  if (cert_bio != nullptr) {
    ca.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, NoPassword, nullptr));
  }
  if (ca.cert == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", cert_path, "' is not a PEM certificate: ", TakeOpenSslError()));
  }
  if ((X509_get_extension_flags(ca.cert.get()) & EXFLAG_CA) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", cert_path, "' is not a CA certificate (basicConstraints CA:FALSE)"));
  }
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    TakeOpenSslError();
    return absl::FailedPreconditionError(
        absl::StrCat("'", key_path, "' does not belong to '", cert_path, "'"));
  }
  VROEG_ASSIGN_OR_RETURN(ca.not_after, NotAfter(ca.cert.get()));
  if (ca.not_after <= now) {
    return absl::FailedPreconditionError(
        absl::StrCat("the CA in '", dir, "' expired at ",
                     absl::FormatTime(absl::RFC3339_sec, ca.not_after, absl::UTCTimeZone()),
                     "; create a new one with `vroegctl pki init`"));
  }
  return ca;
}

// Appends under O_APPEND with a single write, so concurrent issuers do not interleave lines.
absl::Status AppendToIndex(const std::string& ca_dir, absl::string_view line) {
  std::string path = Join(ca_dir, kIndexFile);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot open", path);
  struct stat st;
  absl::Status status;
  if (::fstat(fd, &st) != 0) {
    status = ErrnoError("cannot inspect", path);
  } else {
    // An index lost since InitCa is recreated rather than left without its header.
    status = WriteAll(fd, st.st_size == 0 ? absl::StrCat(kIndexHeader, line) : line, path);
  }
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoError("cannot close", path);
  }
  return status;
}

// The time a certificate is issued, truncated to whole seconds as certificates store it, so
// that the returned expiry equals the certificate's.
absl::Time IssueTime(const Clock& clock) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(clock.Now()));
}

// What a leaf certificate names, after validation.
struct Subject {
  std::string identity;  // URN or server name.
  std::string default_file_name;
  std::vector<std::string> uris;
  std::vector<std::string> dns_names;
  std::vector<IpAddress> ips;
};

absl::StatusOr<Subject> ValidateSubject(const IssueOptions& o) {
  Subject subject;
  if (!o.server) {
    if (o.identity.empty()) {
      return absl::InvalidArgumentError(
          "give a reporter identity (urn:vroeg:<kind>:<id>) or ask for a server certificate");
    }
    if (!o.dns_names.empty() || !o.ip_addresses.empty()) {
      return absl::InvalidArgumentError(
          "DNS names and IP addresses belong in server certificates only");
    }
    VROEG_ASSIGN_OR_RETURN(ReporterId id, ParseReporterUrn(o.identity));
    subject.identity = id.Urn();
    subject.default_file_name = absl::StrCat(KindName(id.kind), "-", id.id);
    subject.uris.push_back(subject.identity);
    return subject;
  }
  if (!o.identity.empty()) {
    return absl::InvalidArgumentError(
        "a certificate is either for a reporter identity or for a server, not both");
  }
  if (o.dns_names.empty() && o.ip_addresses.empty()) {
    return absl::InvalidArgumentError(
        "a server certificate needs at least one DNS name or IP address");
  }
  for (const std::string& name : o.dns_names) {
    VROEG_ASSIGN_OR_RETURN(std::string dns, NormaliseDnsName(name));
    if (std::find(subject.dns_names.begin(), subject.dns_names.end(), dns) ==
        subject.dns_names.end()) {
      subject.dns_names.push_back(std::move(dns));
    }
  }
  for (const std::string& text : o.ip_addresses) {
    VROEG_ASSIGN_OR_RETURN(IpAddress ip, ParseIpAddress(text));
    bool seen = false;
    for (const IpAddress& other : subject.ips) seen = seen || other.bytes == ip.bytes;
    if (!seen) subject.ips.push_back(std::move(ip));
  }
  subject.identity =
      subject.dns_names.empty() ? subject.ips.front().text : subject.dns_names.front();
  subject.default_file_name = "server";
  return subject;
}

}  // namespace

absl::Status InitCa(const CaOptions& o, const Clock& clock) {
  if (o.dir.empty()) return absl::InvalidArgumentError("the CA directory must not be empty");
  if (absl::StatusOr<std::string> region =
          NormaliseReporterId(type::v1::REPORTER_KIND_REGION, o.region);
      !region.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("region: ", region.status().message()));
  }
  std::string common_name = absl::StrCat(kCaNamePrefix, o.region);
  if (common_name.size() > kMaxCommonName) {
    return absl::InvalidArgumentError(
        absl::StrCat("region name '", o.region, "' is too long for a CA name: at most ",
                     kMaxCommonName - kCaNamePrefix.size(), " characters"));
  }
  VROEG_RETURN_IF_ERROR(ValidateDays(o.validity_days));

  std::string key_path = Join(o.dir, kCaKeyFile);
  std::string cert_path = Join(o.dir, kCaCertFile);
  std::string index_path = Join(o.dir, kIndexFile);
  if (!o.force) {
    for (const std::string& path : {key_path, cert_path, index_path}) {
      VROEG_ASSIGN_OR_RETURN(bool exists, Exists(path));
      if (exists) {
        return absl::AlreadyExistsError(
            absl::StrCat("'", o.dir, "' already holds a CA ('", path,
                         "' exists); pass --force to replace it or choose another directory"));
      }
    }
  }
  VROEG_RETURN_IF_ERROR(MakeDir(o.dir));

  ERR_clear_error();
  VROEG_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey());
  VROEG_ASSIGN_OR_RETURN(NamePtr name, MakeName(common_name));
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslFailure("cannot allocate a certificate");
  absl::Time now = IssueTime(clock);
  VROEG_RETURN_IF_ERROR(FillCertificate(cert.get(), name.get(), name.get(), key.get(),
                                        now - kClockSkew, now + absl::Hours(24) * o.validity_days)
                            .status());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  VROEG_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  VROEG_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  VROEG_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  VROEG_RETURN_IF_ERROR(Sign(cert.get(), key.get()));

  NewFiles created;
  VROEG_RETURN_IF_ERROR(
      WriteKeyAndCertificate(key.get(), cert.get(), key_path, cert_path, o.force, &created));
  VROEG_RETURN_IF_ERROR(WriteFile(index_path, kIndexHeader, 0644, o.force));
  created.Keep();
  return absl::OkStatus();
}

absl::Status InitCa(const CaOptions& options) { return InitCa(options, SystemClock()); }

absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& o, const Clock& clock) {
  if (o.ca_dir.empty()) return absl::InvalidArgumentError("the CA directory must not be empty");
  VROEG_RETURN_IF_ERROR(ValidateDays(o.validity_days));
  VROEG_ASSIGN_OR_RETURN(Subject subject, ValidateSubject(o));
  std::string file_name = o.name.empty() ? subject.default_file_name : o.name;
  VROEG_RETURN_IF_ERROR(ValidateFileName(file_name));

  absl::Time now = IssueTime(clock);
  absl::Time not_after = now + absl::Hours(24) * o.validity_days;
  VROEG_ASSIGN_OR_RETURN(Ca ca, LoadCa(o.ca_dir, now));
  if (not_after > ca.not_after) {
    return absl::FailedPreconditionError(
        absl::StrCat("the CA expires at ",
                     absl::FormatTime(absl::RFC3339_sec, ca.not_after, absl::UTCTimeZone()),
                     ", before a certificate valid for ", o.validity_days,
                     " days would; choose fewer days or renew the CA"));
  }

  std::string out_dir = o.out_dir.empty() ? o.ca_dir : o.out_dir;
  std::string key_path = Absolute(Join(out_dir, absl::StrCat(file_name, ".key")));
  std::string cert_path = Absolute(Join(out_dir, absl::StrCat(file_name, ".crt")));
  if (!o.force) {
    // Checked before any work so that a refused run leaves nothing behind.
    for (const std::string& path : {key_path, cert_path}) {
      VROEG_ASSIGN_OR_RETURN(bool exists, Exists(path));
      if (exists) {
        return absl::AlreadyExistsError(absl::StrCat(
            "'", path, "' already exists; pass --force to replace it or choose another --name"));
      }
    }
  }
  VROEG_RETURN_IF_ERROR(MakeDir(out_dir));

  ERR_clear_error();
  VROEG_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey());
  VROEG_ASSIGN_OR_RETURN(NamePtr name, MakeName(subject.identity));
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslFailure("cannot allocate a certificate");
  VROEG_ASSIGN_OR_RETURN(
      std::string serial_hex,
      FillCertificate(cert.get(), name.get(), X509_get_subject_name(ca.cert.get()), key.get(),
                      now - kClockSkew, not_after));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), cert.get(), nullptr, nullptr, 0);
  VROEG_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  VROEG_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  VROEG_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_ext_key_usage, o.server ? "serverAuth" : "clientAuth"));
  VROEG_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  VROEG_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  VROEG_RETURN_IF_ERROR(
      AddSubjectAltNames(cert.get(), subject.uris, subject.dns_names, subject.ips));
  VROEG_RETURN_IF_ERROR(Sign(cert.get(), ca.key.get()));

  NewFiles created;
  VROEG_RETURN_IF_ERROR(
      WriteKeyAndCertificate(key.get(), cert.get(), key_path, cert_path, o.force, &created));
  VROEG_RETURN_IF_ERROR(AppendToIndex(
      o.ca_dir, absl::StrCat(serial_hex, "\t", subject.identity, "\t",
                             absl::FormatTime(absl::RFC3339_sec, not_after, absl::UTCTimeZone()),
                             "\t", cert_path, "\n")));
  created.Keep();
  return IssuedCertificate{cert_path, key_path, serial_hex, not_after, subject.identity};
}

absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& options) {
  return Issue(options, SystemClock());
}

}  // namespace vroeg::pki
