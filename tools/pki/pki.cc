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
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/identity.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/revocation_list.h"
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

absl::Status OpenSslFailure(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", TakeOpenSslError()));
}

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

// A new or renamed directory entry survives a crash only once the directory itself is flushed.
absl::Status SyncDirectoryOf(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  std::string dir = parent.empty() ? "." : parent.string();
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open directory", dir);
  absl::Status status =
      ::fsync(fd) == 0 ? absl::OkStatus() : ErrnoError("cannot flush directory", dir);
  ::close(fd);
  return status;
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
  if (status.ok()) status = SyncDirectoryOf(path);
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
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return SyncDirectoryOf(path);
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

// Serialises changes to index.tsv and crl.pem, also across processes: each change reads the
// index, edits it and writes it back, so two at once would lose one's lines. The lock is on the
// directory itself, leaving no lock file behind, and ends with the descriptor, also when the
// process dies.
class CaLock {
 public:
  static absl::StatusOr<CaLock> Acquire(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("cannot open directory", dir);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      absl::Status status = ErrnoError("cannot lock directory", dir);
      ::close(fd);
      return status;
    }
    return CaLock(fd);
  }
  CaLock(CaLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  CaLock& operator=(CaLock&&) = delete;
  ~CaLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit CaLock(int fd) : fd_(fd) {}
  int fd_;
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

absl::Status ValidateCrlDays(int days) {
  if (days < 1 || days > kMaxCrlDays) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CRL validity of ", days, " days is out of range: expected 1 to ", kMaxCrlDays));
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
  std::string cert_pem;
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
  Ca ca;
  VROEG_ASSIGN_OR_RETURN(ca.cert_pem, ReadPublicFile(cert_path));

  ERR_clear_error();
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (key_bio != nullptr) {
    ca.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassword, nullptr));
  }
  if (ca.key == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", key_path, "' is not an unencrypted PEM private key: ", TakeOpenSslError()));
  }
  BioPtr cert_bio(BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size())));
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

// ---- Index ----

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

std::string IndexLine(const IndexEntry& e) {
  return absl::StrCat(e.serial_hex, "\t", e.identity, "\t", Rfc3339(e.not_after), "\t",
                      e.certificate_path, "\t", e.revoked_at ? Rfc3339(*e.revoked_at) : "", "\t",
                      e.revoked_at ? RevocationReasonName(e.reason) : "", "\n");
}

bool IsHex(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isxdigit);
}

absl::StatusOr<std::vector<IndexEntry>> ParseIndex(absl::string_view text,
                                                   const std::string& path) {
  std::vector<IndexEntry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty() || (line_number == 1 && absl::StartsWith(line, "serial\t"))) continue;
    auto malformed = [&](absl::string_view problem) {
      return absl::FailedPreconditionError(absl::StrCat("'", path, "' line ", line_number, ": ",
                                                        problem, "; correct or remove the line"));
    };
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    // Four columns: written before revocation existed.
    if (fields.size() != 4 && fields.size() != 6) {
      return malformed(absl::StrCat("expected 4 or 6 tab-separated fields, found ", fields.size()));
    }
    IndexEntry entry;
    if (!IsHex(fields[0])) return malformed(absl::StrCat("serial '", fields[0], "' is not hex"));
    entry.serial_hex = absl::AsciiStrToLower(fields[0]);
    if (fields[1].empty()) return malformed("the identity is empty");
    entry.identity = std::string(fields[1]);
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, fields[2], &entry.not_after, &error)) {
      return malformed(absl::StrCat("not_after '", fields[2], "' is not an RFC 3339 time"));
    }
    entry.certificate_path = std::string(fields[3]);
    if (fields.size() == 6 && !(fields[4].empty() && fields[5].empty())) {
      absl::Time revoked_at;
      if (!absl::ParseTime(absl::RFC3339_full, fields[4], &revoked_at, &error)) {
        return malformed(absl::StrCat("revoked_at '", fields[4], "' is not an RFC 3339 time"));
      }
      entry.revoked_at = revoked_at;
      if (!fields[5].empty()) {
        absl::StatusOr<RevocationReason> reason = ParseRevocationReason(fields[5]);
        if (!reason.ok()) return malformed(reason.status().message());
        entry.reason = *reason;
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// `missing_ok` lets Issue recreate an index lost since InitCa. Revocation must not: starting
// from an empty index would drop every earlier revocation from the next CRL.
absl::StatusOr<std::vector<IndexEntry>> LoadIndex(const std::string& ca_dir, bool missing_ok) {
  std::string path = Join(ca_dir, kIndexFile);
  VROEG_ASSIGN_OR_RETURN(bool exists, Exists(path));
  if (!exists) {
    if (missing_ok) return std::vector<IndexEntry>();
    return absl::FailedPreconditionError(absl::StrCat(
        "'", path, "' does not exist: '", ca_dir,
        "' is not a CA directory made by `vroegctl pki init`, or its index was lost; restore "
        "index.tsv from a backup"));
  }
  VROEG_ASSIGN_OR_RETURN(std::string text, ReadPublicFile(path));
  return ParseIndex(text, path);
}

absl::Status WriteIndex(const std::string& ca_dir, const std::vector<IndexEntry>& entries) {
  std::string text = kIndexHeader;
  for (const IndexEntry& entry : entries) text += IndexLine(entry);
  return ReplaceFile(Join(ca_dir, kIndexFile), text, 0644);
}

// ---- Revocation list ----

// The number of the CRL in `ca_dir`, 0 when there is none yet.
absl::StatusOr<int64_t> CurrentCrlNumber(const std::string& ca_dir, const Ca& ca) {
  std::string path = Join(ca_dir, kCrlFile);
  VROEG_ASSIGN_OR_RETURN(bool exists, Exists(path));
  if (!exists) return 0;
  absl::StatusOr<RevocationList> crl = ReadRevocationListFile(path, ca.cert_pem);
  if (!crl.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        crl.status().message(), ". Its CRL Number cannot be continued: move '", path,
        "' aside and run `vroegctl pki crl --dir ", ca_dir, "` to start again from 1"));
  }
  if (crl->number == std::numeric_limits<int64_t>::max()) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' has the largest possible CRL Number; move it aside and run ",
                     "`vroegctl pki crl --dir ", ca_dir, "` to start again from 1"));
  }
  return crl->number;
}

absl::Status AddRevokedEntry(X509_CRL* crl, const IndexEntry& entry) {
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, entry.serial_hex.c_str()) == 0) {
    return OpenSslFailure(absl::StrCat("cannot read serial ", entry.serial_hex));
  }
  BignumPtr bn(raw);
  IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  TimePtr date(ASN1_TIME_set(nullptr, absl::ToTimeT(*entry.revoked_at)));
  RevokedPtr revoked(X509_REVOKED_new());
  if (serial == nullptr || date == nullptr || revoked == nullptr ||
      X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), date.get()) != 1) {
    return OpenSslFailure(absl::StrCat("cannot list serial ", entry.serial_hex, " in the CRL"));
  }
  // RFC 5280 5.3.1: leave the reason out rather than say "unspecified".
  if (entry.reason != RevocationReason::kUnspecified) {
    EnumeratedPtr code(ASN1_ENUMERATED_new());
    if (code == nullptr || ASN1_ENUMERATED_set(code.get(), static_cast<long>(entry.reason)) != 1 ||
        X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, code.get(), 0, 0) != 1) {
      return OpenSslFailure("cannot add a CRL reason code");
    }
  }
  if (X509_CRL_add0_revoked(crl, revoked.get()) != 1) {
    return OpenSslFailure("cannot add an entry to the CRL");
  }
  revoked.release();
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignCrl(X509* ca_cert, EVP_PKEY* ca_key,
                                    const std::vector<IndexEntry>& entries, int64_t number,
                                    absl::Time this_update, absl::Time next_update) {
  CrlPtr crl(X509_CRL_new());
  TimePtr this_time(ASN1_TIME_set(nullptr, absl::ToTimeT(this_update)));
  TimePtr next_time(ASN1_TIME_set(nullptr, absl::ToTimeT(next_update)));
  IntegerPtr crl_number(ASN1_INTEGER_new());
  if (crl == nullptr || this_time == nullptr || next_time == nullptr || crl_number == nullptr ||
      X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_time.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_time.get()) != 1 ||
      ASN1_INTEGER_set_int64(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0) != 1) {
    return OpenSslFailure("cannot build the CRL");
  }
  // RFC 5280 requires the authority key identifier, which lets a verifier pick the CA's key.
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert, nullptr, nullptr, crl.get(), 0);
  ExtensionPtr key_id(
      X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (key_id == nullptr || X509_CRL_add_ext(crl.get(), key_id.get(), -1) != 1) {
    return OpenSslFailure("cannot add the CRL's authorityKeyIdentifier");
  }
  for (const IndexEntry& entry : entries) {
    if (entry.revoked_at) VROEG_RETURN_IF_ERROR(AddRevokedEntry(crl.get(), entry));
  }
  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), ca_key, EVP_sha256()) <= 0) {
    return OpenSslFailure("cannot sign the CRL");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return OpenSslFailure("cannot encode the CRL");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// Signs and writes crl.pem numbered `number`. A new file is recorded in `created` (if given)
// so that a failing InitCa removes it.
absl::StatusOr<WrittenCrl> WriteCrlFile(const std::string& ca_dir, X509* ca_cert, EVP_PKEY* ca_key,
                                        const std::vector<IndexEntry>& entries, int64_t number,
                                        absl::Time now, int days, bool replace, NewFiles* created) {
  WrittenCrl crl;
  crl.path = Absolute(Join(ca_dir, kCrlFile));
  crl.number = number;
  crl.this_update = now;
  crl.next_update = now + absl::Hours(24) * days;
  crl.revoked_count =
      static_cast<size_t>(std::count_if(entries.begin(), entries.end(), [](const IndexEntry& e) {
        return e.revoked_at.has_value();
      }));
  VROEG_ASSIGN_OR_RETURN(
      std::string pem, SignCrl(ca_cert, ca_key, entries, number, crl.this_update, crl.next_update));
  VROEG_RETURN_IF_ERROR(WriteFile(crl.path, pem, 0644, replace));
  if (!replace) created->Add(crl.path);
  return crl;
}

// Strips what `openssl x509 -serial` and friends add, so a pasted serial matches the index.
absl::StatusOr<std::string> NormaliseSerial(absl::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c != ':') hex.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  // RFC 5280 serials are at most 20 octets.
  if (!IsHex(hex) || hex.size() > 40) {
    return absl::InvalidArgumentError(
        absl::StrCat("serial '", text,
                     "' is not a certificate serial: expected up to 40 hex digits, as "
                     "`vroegctl pki list` shows them"));
  }
  size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0" : hex.substr(first);
}

bool SameSerial(absl::string_view index_serial, absl::string_view normalised) {
  size_t first = index_serial.find_first_not_of('0');
  absl::string_view stripped = first == absl::string_view::npos ? "0" : index_serial.substr(first);
  return stripped == normalised;
}

// Reporter URNs are normalised as Issue records them; anything else is a server's name.
absl::StatusOr<std::string> NormaliseIdentity(absl::string_view identity) {
  if (absl::StartsWith(identity, "urn:")) {
    VROEG_ASSIGN_OR_RETURN(ReporterId id, ParseReporterUrn(identity));
    return id.Urn();
  }
  return absl::AsciiStrToLower(identity);
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
  VROEG_RETURN_IF_ERROR(ValidateCrlDays(o.crl_days));

  std::string key_path = Join(o.dir, kCaKeyFile);
  std::string cert_path = Join(o.dir, kCaCertFile);
  std::string index_path = Join(o.dir, kIndexFile);
  if (!o.force) {
    for (const std::string& path : {key_path, cert_path, index_path, Join(o.dir, kCrlFile)}) {
      VROEG_ASSIGN_OR_RETURN(bool exists, Exists(path));
      if (exists) {
        return absl::AlreadyExistsError(
            absl::StrCat("'", o.dir, "' already holds a CA ('", path,
                         "' exists); pass --force to replace it or choose another directory"));
      }
    }
  }
  VROEG_RETURN_IF_ERROR(MakeDir(o.dir));
  VROEG_ASSIGN_OR_RETURN(CaLock lock, CaLock::Acquire(o.dir));

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
  if (!o.force) created.Add(index_path);
  VROEG_RETURN_IF_ERROR(
      WriteCrlFile(o.dir, cert.get(), key.get(), {}, 1, now, o.crl_days, o.force, &created)
          .status());
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
  // The path becomes a field of index.tsv, which such characters would split.
  if (cert_path.find_first_of("\t\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "output directory '", out_dir, "' contains a tab or line break; choose another --out"));
  }
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
  // Locked and read before anything is written, so that a malformed index leaves no new files.
  VROEG_ASSIGN_OR_RETURN(CaLock lock, CaLock::Acquire(o.ca_dir));
  VROEG_ASSIGN_OR_RETURN(std::vector<IndexEntry> entries, LoadIndex(o.ca_dir, /*missing_ok=*/true));
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
  IndexEntry entry;
  entry.serial_hex = serial_hex;
  entry.identity = subject.identity;
  entry.not_after = not_after;
  entry.certificate_path = cert_path;
  entries.push_back(std::move(entry));
  VROEG_RETURN_IF_ERROR(WriteIndex(o.ca_dir, entries));
  created.Keep();
  return IssuedCertificate{cert_path, key_path, serial_hex, not_after, subject.identity};
}

absl::StatusOr<IssuedCertificate> Issue(const IssueOptions& options) {
  return Issue(options, SystemClock());
}

absl::string_view RevocationReasonName(RevocationReason reason) {
  switch (reason) {
    case RevocationReason::kUnspecified:
      return "unspecified";
    case RevocationReason::kKeyCompromise:
      return "keyCompromise";
    case RevocationReason::kAffiliationChanged:
      return "affiliationChanged";
    case RevocationReason::kSuperseded:
      return "superseded";
    case RevocationReason::kCessationOfOperation:
      return "cessationOfOperation";
  }
  return "unspecified";
}

absl::StatusOr<RevocationReason> ParseRevocationReason(absl::string_view name) {
  std::vector<absl::string_view> names;
  for (RevocationReason reason :
       {RevocationReason::kKeyCompromise, RevocationReason::kSuperseded,
        RevocationReason::kCessationOfOperation, RevocationReason::kAffiliationChanged,
        RevocationReason::kUnspecified}) {
    if (name == RevocationReasonName(reason)) return reason;
    names.push_back(RevocationReasonName(reason));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown revocation reason '", name, "': expected one of ", absl::StrJoin(names, ", ")));
}

bool IndexEntry::IsServer() const { return !absl::StartsWith(identity, "urn:"); }

CertificateState StateAt(const IndexEntry& entry, absl::Time now) {
  if (entry.revoked_at) return CertificateState::kRevoked;
  return entry.not_after <= now ? CertificateState::kExpired : CertificateState::kValid;
}

absl::StatusOr<std::vector<IndexEntry>> ReadIndex(const std::string& ca_dir) {
  return LoadIndex(ca_dir, /*missing_ok=*/false);
}

namespace {

// The CA, locked, with its index and the number of its current CRL: what re-signing the CRL
// starts from.
struct CaForCrl {
  Ca ca;
  CaLock lock;
  std::vector<IndexEntry> entries;
  int64_t crl_number = 0;
};

absl::StatusOr<CaForCrl> OpenCaForCrl(const std::string& ca_dir, absl::Time now) {
  VROEG_ASSIGN_OR_RETURN(Ca ca, LoadCa(ca_dir, now));
  VROEG_ASSIGN_OR_RETURN(CaLock lock, CaLock::Acquire(ca_dir));
  VROEG_ASSIGN_OR_RETURN(std::vector<IndexEntry> entries, LoadIndex(ca_dir, /*missing_ok=*/false));
  VROEG_ASSIGN_OR_RETURN(int64_t number, CurrentCrlNumber(ca_dir, ca));
  return CaForCrl{std::move(ca), std::move(lock), std::move(entries), number};
}

}  // namespace

absl::StatusOr<WrittenCrl> WriteCrl(const CrlOptions& o, const Clock& clock) {
  if (o.ca_dir.empty()) return absl::InvalidArgumentError("the CA directory must not be empty");
  VROEG_RETURN_IF_ERROR(ValidateCrlDays(o.validity_days));
  absl::Time now = IssueTime(clock);
  VROEG_ASSIGN_OR_RETURN(CaForCrl open, OpenCaForCrl(o.ca_dir, now));
  return WriteCrlFile(o.ca_dir, open.ca.cert.get(), open.ca.key.get(), open.entries,
                      open.crl_number + 1, now, o.validity_days, /*replace=*/true, nullptr);
}

absl::StatusOr<WrittenCrl> WriteCrl(const CrlOptions& options) {
  return WriteCrl(options, SystemClock());
}

absl::StatusOr<RevokeResult> Revoke(const RevokeOptions& o, const Clock& clock) {
  if (o.ca_dir.empty()) return absl::InvalidArgumentError("the CA directory must not be empty");
  VROEG_RETURN_IF_ERROR(ValidateCrlDays(o.crl_days));
  if (o.serial.empty() == o.identity.empty()) {
    return absl::InvalidArgumentError(
        "give either the serial of one certificate or an identity whose certificates to revoke");
  }
  std::string serial;
  std::string identity;
  if (!o.serial.empty()) {
    VROEG_ASSIGN_OR_RETURN(serial, NormaliseSerial(o.serial));
  } else {
    VROEG_ASSIGN_OR_RETURN(identity, NormaliseIdentity(o.identity));
  }

  absl::Time now = IssueTime(clock);
  // The CRL is checked before the index changes, so that one which cannot be renewed stops
  // everything.
  VROEG_ASSIGN_OR_RETURN(CaForCrl open, OpenCaForCrl(o.ca_dir, now));
  Ca& ca = open.ca;
  std::vector<IndexEntry>& entries = open.entries;
  const int64_t number = open.crl_number;

  RevokeResult result;
  for (IndexEntry& entry : entries) {
    if (serial.empty() ? entry.identity != identity : !SameSerial(entry.serial_hex, serial)) {
      continue;
    }
    if (entry.revoked_at) {
      result.already_revoked.push_back(entry);
      continue;
    }
    entry.revoked_at = now;
    entry.reason = o.reason;
    result.revoked.push_back(entry);
  }
  if (result.revoked.empty() && result.already_revoked.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no certificate ", serial.empty() ? "for " : "with serial ",
        serial.empty() ? identity : serial, " in '", Join(o.ca_dir, kIndexFile),
        "'; run `vroegctl pki list --dir ", o.ca_dir, "` to see the certificates this CA issued"));
  }
  if (result.revoked.empty()) return result;

  VROEG_RETURN_IF_ERROR(WriteIndex(o.ca_dir, entries));
  absl::StatusOr<WrittenCrl> crl =
      WriteCrlFile(o.ca_dir, ca.cert.get(), ca.key.get(), entries, number + 1, now, o.crl_days,
                   /*replace=*/true, nullptr);
  if (!crl.ok()) {
    return absl::Status(
        crl.status().code(),
        absl::StrCat("the revocation is recorded in index.tsv, but the CRL was not written: ",
                     crl.status().message(), "; once that is fixed, run `vroegctl pki crl --dir ",
                     o.ca_dir, "` so that collectors learn of it"));
  }
  result.crl = *std::move(crl);
  return result;
}

absl::StatusOr<RevokeResult> Revoke(const RevokeOptions& options) {
  return Revoke(options, SystemClock());
}

}  // namespace vroeg::pki
