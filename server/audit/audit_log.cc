#include "server/audit/audit_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "openssl/sha.h"

namespace vroeg {
namespace {

constexpr absl::string_view kZeroHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr size_t kHashHexDigits = 64;
constexpr absl::string_view kHashMemberStart = ",\"hash\":\"";
// How every line starts; an interrupted append leaves a prefix of it.
constexpr absl::string_view kLineStart = "{\"seq\":";
constexpr absl::string_view kTimeFormat = "%Y-%m-%d%ET%H:%M:%E6SZ";
constexpr uint32_t kReplacementCharacter = 0xFFFD;
constexpr size_t kReadChunkBytes = size_t{64} << 10;
constexpr uint64_t kProgressEveryBytes = uint64_t{1} << 20;

// The members of an entry, in the order in which they must appear.
enum Member {
  kSeq,
  kTime,
  kIdentity,
  kSerial,
  kPeer,
  kAction,
  kObject,
  kDetails,
  kOutcome,
  kCode,
  kReason,
  kPrev,
  kHash,
  kMemberCount
};
constexpr absl::string_view kMemberNames[kMemberCount] = {
    "seq",     "time",    "identity", "serial", "peer", "action", "object",
    "details", "outcome", "code",     "reason", "prev", "hash"};

class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

absl::Status ErrnoError(int error, absl::string_view action, absl::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat("cannot ", action, " audit log '", path, "'"));
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

bool IsHash(absl::string_view text) {
  return text.size() == kHashHexDigits && std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

// The code point of the UTF-8 sequence at `text[i]` and its length in bytes; length 0 when the
// bytes there are not well-formed UTF-8 (overlong forms and surrogates included).
size_t DecodeUtf8(absl::string_view text, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length;
  uint32_t value;
  uint32_t smallest;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, smallest = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  if (value < smallest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *code_point = value;
  return length;
}

void AppendUtf8(std::string* out, uint32_t code_point) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

void AppendUnicodeEscape(std::string* out, uint32_t code_point) {
  if (code_point >= 0x10000) {
    code_point -= 0x10000;
    AppendUnicodeEscape(out, 0xD800 + (code_point >> 10));
    AppendUnicodeEscape(out, 0xDC00 + (code_point & 0x3FF));
    return;
  }
  absl::StrAppend(out, "\\u", absl::Hex(code_point, absl::kZeroPad4));
}

// Writes `text` as a JSON string of printable ASCII only: no hostile text can end a line, forge
// a member, or reach a terminal that displays the log as control or bidirectional characters.
void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c >= 0x20 && c < 0x7F) {
      out->push_back(c);
    } else {
      uint32_t code_point = 0;
      size_t length = DecodeUtf8(text, i, &code_point);
      if (length == 0) {
        code_point = kReplacementCharacter;
        length = 1;
      }
      AppendUnicodeEscape(out, code_point);
      i += length;
      continue;
    }
    ++i;
  }
  out->push_back('"');
}

void AppendStringMember(std::string* out, Member member, absl::string_view value) {
  absl::StrAppend(out, ",\"", kMemberNames[member], "\":");
  AppendJsonString(out, value);
}

std::string AuditTimeText(absl::Time time) {
  return absl::FormatTime(kTimeFormat, time, absl::UTCTimeZone());
}

// The entry as a line with its newline; sets `*hash` to its hash.
std::string FormatLine(uint64_t seq, const AuditEvent& event, absl::string_view prev,
                       std::string* hash) {
  std::string line = absl::StrCat("{\"seq\":", seq);
  AppendStringMember(&line, kTime, AuditTimeText(event.time));
  AppendStringMember(&line, kIdentity, event.identity);
  AppendStringMember(&line, kSerial, event.certificate_serial);
  AppendStringMember(&line, kPeer, event.peer);
  AppendStringMember(&line, kAction, event.action);
  AppendStringMember(&line, kObject, event.object);
  line.append(",\"details\":{");
  for (size_t i = 0; i < event.details.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendJsonString(&line, event.details[i].first);
    line.push_back(':');
    AppendJsonString(&line, event.details[i].second);
  }
  line.push_back('}');
  AppendStringMember(&line, kOutcome, event.outcome);
  AppendStringMember(&line, kCode, event.code);
  AppendStringMember(&line, kReason, event.reason);
  AppendStringMember(&line, kPrev, prev);
  *hash = Sha256Hex(line);
  absl::StrAppend(&line, kHashMemberStart, *hash, "\"}\n");
  return line;
}

// A strict reader of the JSON that makes up one line. Each method skips leading whitespace and
// returns false with error() set when the text there is not what it expects.
class JsonCursor {
 public:
  explicit JsonCursor(absl::string_view text) : text_(text) {}

  bool Consume(char c) {
    if (!Peek(c)) return Fail(absl::StrCat("expected '", std::string(1, c), "'"));
    ++pos_;
    return true;
  }

  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size() || Fail("unexpected text after the entry");
  }

  bool String(std::string* out) {
    if (!Peek('"')) return Fail("expected a string");
    ++pos_;
    while (pos_ < text_.size()) {
      const unsigned char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in a string");
      if (c == '\\') {
        if (!Escape(out)) return false;
        continue;
      }
      uint32_t code_point = 0;
      const size_t length = DecodeUtf8(text_, pos_, &code_point);
      if (length == 0) return Fail("invalid UTF-8");
      out->append(text_.data() + pos_, length);
      pos_ += length;
    }
    return Fail("unterminated string");
  }

  // A non-negative integer in plain decimal notation.
  bool Unsigned(uint64_t* out) {
    SkipSpace();
    const size_t start = pos_;
    uint64_t value = 0;
    while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) {
      const uint64_t digit = text_[pos_] - '0';
      if (value > (UINT64_MAX - digit) / 10) return Fail("number too large");
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) return Fail("expected a whole number");
    if (text_[start] == '0' && pos_ - start > 1) return Fail("leading zero in a number");
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      return Fail("expected a whole number");
    }
    *out = value;
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Fail(absl::string_view what) {
    error_ = absl::StrCat(what, " at column ", pos_ + 1);
    return false;
  }

  // A backslash escape at pos_, decoded into `out`.
  bool Escape(std::string* out) {
    if (pos_ + 1 >= text_.size()) return Fail("unterminated string");
    const char kind = text_[pos_ + 1];
    pos_ += 2;
    switch (kind) {
      case '"':
      case '\\':
      case '/':
        out->push_back(kind);
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        pos_ -= 2;
        return Fail("invalid escape in a string");
    }
    uint32_t code_point = 0;
    if (!Hex4(&code_point)) return false;
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) return Fail("unpaired surrogate escape");
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      uint32_t low = 0;
      if (text_.substr(pos_, 2) != "\\u") return Fail("unpaired surrogate escape");
      pos_ += 2;
      if (!Hex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return Fail("unpaired surrogate escape");
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, code_point);
    return true;
  }

  bool Hex4(uint32_t* out) {
    uint32_t value = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      if (pos_ >= text_.size() || !absl::ascii_isxdigit(text_[pos_])) {
        return Fail("expected four hex digits after \\u");
      }
      const char c = absl::ascii_tolower(text_[pos_]);
      value = value * 16 + (absl::ascii_isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    *out = value;
    return true;
  }

  absl::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

absl::Status NotAnEntry(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("not an audit entry: ", what));
}

// Why `key` stands where member `expected` belongs.
absl::Status MisplacedMember(const std::string& key, Member expected) {
  const auto* found = std::find(std::begin(kMemberNames), std::end(kMemberNames), key);
  if (found == std::end(kMemberNames)) {
    return NotAnEntry(absl::StrCat("unknown field \"", absl::CHexEscape(key), "\" where \"",
                                   kMemberNames[expected], "\" belongs"));
  }
  if (found > &kMemberNames[expected]) {
    return NotAnEntry(absl::StrCat("missing field \"", kMemberNames[expected], "\""));
  }
  return NotAnEntry(absl::StrCat("field \"", key, "\" repeated or out of order where \"",
                                 kMemberNames[expected], "\" belongs"));
}

absl::Status ReadAt(int fd, uint64_t offset, char* out, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) {
      return absl::DataLossError(absl::StrCat("audit log '", path, "' shrank while read"));
    }
    out += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Offset of the last newline before `end`, or -1 when there is none.
absl::StatusOr<int64_t> LastNewlineBefore(int fd, uint64_t end, const std::string& path) {
  std::string chunk;
  while (end > 0) {
    const uint64_t begin = end - std::min<uint64_t>(end, kReadChunkBytes);
    chunk.resize(end - begin);
    VROEG_RETURN_IF_ERROR(ReadAt(fd, begin, chunk.data(), chunk.size(), path));
    const size_t found = chunk.rfind('\n');
    if (found != std::string::npos) return static_cast<int64_t>(begin + found);
    end = begin;
  }
  return -1;
}

// Number of newlines before `end`: the line number of the line at `end`, less one.
absl::StatusOr<uint64_t> CountNewlines(int fd, uint64_t end, const std::string& path) {
  std::string chunk;
  uint64_t count = 0;
  for (uint64_t offset = 0; offset < end; offset += chunk.size()) {
    chunk.resize(std::min<uint64_t>(end - offset, kReadChunkBytes));
    VROEG_RETURN_IF_ERROR(ReadAt(fd, offset, chunk.data(), chunk.size(), path));
    count += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
  }
  return count;
}

// Whether the bytes from `begin` to the end of the file, which hold no newline, are what an
// append interrupted by a crash leaves: the start of a line, or zeros where the file system
// extended the file but had not yet written the data.
absl::StatusOr<bool> IsInterruptedAppend(int fd, uint64_t begin, uint64_t end,
                                         const std::string& path) {
  std::string chunk(std::min<uint64_t>(end - begin, kLineStart.size()), '\0');
  VROEG_RETURN_IF_ERROR(ReadAt(fd, begin, chunk.data(), chunk.size(), path));
  if (absl::StartsWith(kLineStart, chunk)) return true;
  for (uint64_t offset = begin; offset < end; offset += chunk.size()) {
    chunk.resize(std::min<uint64_t>(end - offset, kReadChunkBytes));
    VROEG_RETURN_IF_ERROR(ReadAt(fd, offset, chunk.data(), chunk.size(), path));
    if (chunk.find_first_not_of('\0') != std::string::npos) return false;
  }
  return true;
}

absl::Status DamagedLog(const std::string& path, uint64_t line, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(
      "audit log ", path, ":", line, ": ", what,
      "; the collector extends only an intact log: run `vroegctl audit verify --file ", path,
      "` to see what is wrong, then keep the file as evidence and move it aside so that the "
      "collector starts a new log"));
}

absl::Status SyncParentDirectory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot sync directory '", dir,
                                                   "' after creating audit log '", path, "'"));
  }
  return absl::OkStatus();
}

absl::Status LineError(const std::string& path, uint64_t line, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(path, ":", line, ": ", what));
}

// Line number of the entry with sequence number `seq` among the lines still to be read from
// `in`, which follow line `line`; 0 when there is none.
uint64_t FindLaterEntry(std::istream& in, uint64_t line, uint64_t seq) {
  std::string text;
  while (std::getline(in, text)) {
    ++line;
    absl::StatusOr<AuditEntry> entry = ParseAuditLine(text);
    if (entry.ok() && entry->seq == seq) return line;
  }
  return 0;
}

// Why `found` stands on line `line` where entry `expected` belongs.
absl::Status SequenceError(std::istream& in, const std::string& path, uint64_t line, uint64_t found,
                           uint64_t expected) {
  if (found < expected) {
    return LineError(path, line,
                     absl::StrCat("sequence out of order: entry ", found, " follows entry ",
                                  expected - 1, " (entries were reordered, or copied)"));
  }
  if (const uint64_t later = FindLaterEntry(in, line, expected); later != 0) {
    return LineError(
        path, line,
        absl::StrCat("sequence out of order: entry ", found, " stands where entry ", expected,
                     " belongs, which is on line ", later, " (entries were reordered)"));
  }
  return LineError(
      path, line,
      found == expected + 1
          ? absl::StrCat("sequence gap: expected entry ", expected, ", found entry ", found,
                         " (entry ", expected, " was removed)")
          : absl::StrCat("sequence gap: expected entry ", expected, ", found entry ", found,
                         " (entries ", expected, " to ", found - 1, " were removed)"));
}

}  // namespace

absl::StatusOr<AuditEntry> ParseAuditLine(absl::string_view line) {
  if (line.empty()) return NotAnEntry("empty line");
  AuditEntry entry;
  AuditEvent& event = entry.event;
  std::string time;
  std::string* const strings[kMemberCount] = {
      nullptr,        &time,         &event.identity, &event.certificate_serial,
      &event.peer,    &event.action, &event.object,   nullptr,
      &event.outcome, &event.code,   &event.reason,   &entry.prev,
      &entry.hash};

  JsonCursor json(line);
  if (!json.Consume('{')) return NotAnEntry(json.error());
  for (int i = 0; i < kMemberCount; ++i) {
    const auto member = static_cast<Member>(i);
    if (member != kSeq) {
      if (json.Peek('}')) {
        return NotAnEntry(absl::StrCat("missing field \"", kMemberNames[member], "\""));
      }
      if (!json.Consume(',')) return NotAnEntry(json.error());
    }
    std::string key;
    if (!json.String(&key)) return NotAnEntry(json.error());
    if (key != kMemberNames[member]) return MisplacedMember(key, member);
    if (!json.Consume(':')) return NotAnEntry(json.error());

    bool read;
    if (member == kSeq) {
      read = json.Unsigned(&entry.seq);
    } else if (member == kDetails) {
      read = json.Consume('{');
      if (read && !json.Peek('}')) {
        do {
          std::pair<std::string, std::string>& detail = event.details.emplace_back();
          read = json.String(&detail.first) && json.Consume(':') && json.String(&detail.second);
        } while (read && json.Peek(',') && json.Consume(','));
      }
      read = read && json.Consume('}');
    } else {
      read = json.String(strings[member]);
    }
    if (!read) {
      return NotAnEntry(absl::StrCat("field \"", kMemberNames[member], "\": ", json.error()));
    }
  }
  if (json.Peek(',')) return NotAnEntry("fields after \"hash\", which must be the last");
  if (!json.Consume('}') || !json.AtEnd()) return NotAnEntry(json.error());

  if (entry.seq == 0) return NotAnEntry("field \"seq\" is 0; entries count from 1");
  std::string time_error;
  if (!absl::EndsWith(time, "Z") ||
      !absl::ParseTime(absl::RFC3339_full, time, &event.time, &time_error)) {
    return NotAnEntry(absl::StrCat("field \"time\": \"", absl::CHexEscape(time),
                                   "\" is not an RFC 3339 UTC time"));
  }
  for (Member member : {kPrev, kHash}) {
    if (!IsHash(*strings[member])) {
      return NotAnEntry(
          absl::StrCat("field \"", kMemberNames[member], "\" is not 64 lower-case hex digits"));
    }
  }
  const std::string hash_member = absl::StrCat(kHashMemberStart, entry.hash, "\"}");
  if (!absl::EndsWith(line, hash_member)) {
    return NotAnEntry(
        "the line does not end in ,\"hash\":\"<hash>\"} without spaces, as the collector "
        "writes it");
  }
  const std::string content_hash = Sha256Hex(line.substr(0, line.size() - hash_member.size()));
  if (content_hash != entry.hash) {
    return absl::DataLossError(
        absl::StrCat("hash mismatch: the entry was edited after it was written (it records hash ",
                     entry.hash, ", its content hashes to ", content_hash, ")"));
  }
  return entry;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Logger* logger) {
  constexpr int kFlags = O_RDWR | O_APPEND | O_CLOEXEC;
  bool created = true;
  int raw_fd = ::open(path.c_str(), kFlags | O_CREAT | O_EXCL, 0640);
  if (raw_fd < 0 && errno == EEXIST) {
    created = false;
    raw_fd = ::open(path.c_str(), kFlags);
  }
  if (raw_fd < 0) return ErrnoError(errno, "open", path);
  ScopedFd fd(raw_fd);
  // Two writers would fork the chain.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "audit log '", path,
          "' is in use by another process; is a second collector running with the same "
          "audit log?"));
    }
    return ErrnoError(errno, "lock", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "inspect", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("audit log '", path, "' is not a regular file; give the path of a file"));
  }
  if (created) VROEG_RETURN_IF_ERROR(SyncParentDirectory(path));

  const uint64_t size = static_cast<uint64_t>(st.st_size);
  VROEG_ASSIGN_OR_RETURN(const int64_t last_newline, LastNewlineBefore(fd.get(), size, path));
  const uint64_t complete = static_cast<uint64_t>(last_newline + 1);
  uint64_t entries = 0;
  std::string head(kZeroHash);
  if (complete > 0) {
    VROEG_ASSIGN_OR_RETURN(const int64_t newline_before,
                           LastNewlineBefore(fd.get(), complete - 1, path));
    const uint64_t begin = static_cast<uint64_t>(newline_before + 1);
    std::string line(complete - 1 - begin, '\0');
    VROEG_RETURN_IF_ERROR(ReadAt(fd.get(), begin, line.data(), line.size(), path));
    absl::StatusOr<AuditEntry> last = ParseAuditLine(line);
    if (!last.ok()) {
      VROEG_ASSIGN_OR_RETURN(const uint64_t newlines, CountNewlines(fd.get(), begin, path));
      return DamagedLog(path, newlines + 1, last.status().message());
    }
    entries = last->seq;
    head = std::move(last->hash);
  }
  if (complete < size) {
    VROEG_ASSIGN_OR_RETURN(const bool interrupted,
                           IsInterruptedAppend(fd.get(), complete, size, path));
    if (!interrupted) {
      VROEG_ASSIGN_OR_RETURN(const uint64_t newlines, CountNewlines(fd.get(), complete, path));
      return DamagedLog(path, newlines + 1,
                        "the last line has no newline and is not the start of an entry");
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(complete)) != 0 || ::fdatasync(fd.get()) != 0) {
      return ErrnoError(errno, "cut the interrupted last entry off", path);
    }
    logger->Warning("audit_log_interrupted_entry_removed",
                    {{"path", path}, {"entry", entries + 1}, {"bytes", size - complete}});
  }
  return std::unique_ptr<AuditLog>(
      new AuditLog(path, fd.Release(), entries, std::move(head), complete));
}

AuditLog::AuditLog(std::string path, int fd, uint64_t entries, std::string head_hash, uint64_t size)
    : path_(std::move(path)),
      fd_(fd),
      durable_entries_(entries),
      durable_hash_(head_hash),
      durable_size_(size),
      last_entries_(entries),
      last_hash_(std::move(head_hash)) {}

AuditLog::~AuditLog() { ::close(fd_); }

absl::Status AuditLog::Append(const AuditEvent& event) {
  uint64_t seq = 0;
  return Append(event, &seq);
}

absl::Status AuditLog::Append(const AuditEvent& event, uint64_t* seq) {
  if (event.time == absl::InfiniteFuture() || event.time == absl::InfinitePast()) {
    return absl::InvalidArgumentError("audit event without a time; set AuditEvent::time");
  }
  absl::MutexLock lock(&mu_);
  if (!broken_.ok()) return broken_;
  std::string hash;
  pending_ += FormatLine(last_entries_ + 1, event, last_hash_, &hash);
  ++last_entries_;
  *seq = last_entries_;
  last_hash_ = std::move(hash);
  Waiter self;
  waiting_.push_back(&self);
  const auto settled_or_idle = [this, &self]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return self.done || !flushing_;
  };
  mu_.Await(absl::Condition(&settled_or_idle));
  if (self.done) return self.status;

  // No write is running, and this entry has not been written: write it, with every entry
  // queued behind the last write, in one go.
  flushing_ = true;
  const std::string batch = std::exchange(pending_, {});
  const std::vector<Waiter*> batch_waiters = std::exchange(waiting_, {});
  const uint64_t batch_entries = last_entries_;
  const std::string batch_hash = last_hash_;
  const uint64_t size_before = durable_size_;
  bool undone = false;
  mu_.Unlock();
  const absl::Status written = WriteDurably(batch, size_before, &undone);
  mu_.Lock();
  flushing_ = false;
  if (written.ok()) {
    durable_entries_ = batch_entries;
    durable_hash_ = batch_hash;
    durable_size_ += batch.size();
  } else {
    // Entries queued meanwhile chain on the ones that failed, so they fail too.
    for (Waiter* waiter : waiting_) {
      waiter->done = true;
      waiter->status = written;
    }
    waiting_.clear();
    pending_.clear();
    last_entries_ = durable_entries_;
    last_hash_ = durable_hash_;
    if (!undone) broken_ = written;
  }
  for (Waiter* waiter : batch_waiters) {
    waiter->done = true;
    waiter->status = written;
  }
  return self.status;
}

absl::Status AuditLog::WriteDurably(absl::string_view bytes, uint64_t durable_size, bool* undone) {
  int error = 0;
  while (!bytes.empty() && error == 0) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (errno != EINTR) {
      error = errno;
    }
  }
  if (error == 0 && ::fdatasync(fd_) != 0) error = errno;
  if (error == 0) return absl::OkStatus();

  const std::string cause = std::strerror(error);
  // Cutting back to what was synced before keeps the file a valid chain; afterwards the
  // page cache no longer holds the failed entries, so a later fdatasync cannot report success
  // for them.
  *undone = ::ftruncate(fd_, static_cast<off_t>(durable_size)) == 0 && ::fdatasync(fd_) == 0;
  if (*undone) {
    return absl::UnavailableError(
        absl::StrCat("cannot write audit log '", path_, "': ", cause,
                     "; the call is refused because it could not be recorded"));
  }
  return absl::UnavailableError(
      absl::StrCat("audit log '", path_, "' is unusable: a write failed (", cause,
                   ") and could not be undone (", std::strerror(errno),
                   "); every call is refused until the collector is restarted, which removes the "
                   "incomplete entry"));
}

uint64_t AuditLog::entries() const {
  absl::MutexLock lock(&mu_);
  return durable_entries_;
}

std::string AuditLog::head_hash() const {
  absl::MutexLock lock(&mu_);
  return durable_hash_;
}

absl::StatusOr<AuditVerification> VerifyAuditFile(const std::string& path,
                                                  const AuditVerifyOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError(errno, "open", path);
  std::error_code size_error;
  AuditVerifyProgress progress;
  progress.bytes_total = std::filesystem::file_size(path, size_error);
  uint64_t next_progress = kProgressEveryBytes;

  AuditVerification result;
  result.head_hash = std::string(kZeroHash);
  std::string hash_at_expected_entries;
  std::string text;
  uint64_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    // getline reached the end without a newline: an interrupted append.
    if (in.eof()) {
      result.incomplete_tail_bytes = text.size();
      break;
    }
    absl::StatusOr<AuditEntry> entry = ParseAuditLine(text);
    if (!entry.ok()) return LineError(path, line, entry.status().message());
    if (entry->seq != result.entries + 1) {
      return SequenceError(in, path, line, entry->seq, result.entries + 1);
    }
    if (entry->prev != result.head_hash) {
      return LineError(path, line,
                       result.entries == 0
                           ? absl::StrCat("prev hash mismatch: the first entry must have prev ",
                                          kZeroHash, ", not ", entry->prev)
                           : absl::StrCat("prev hash mismatch: the entry names ", entry->prev,
                                          " as its predecessor's hash, but entry ", result.entries,
                                          " on the line before has hash ", result.head_hash,
                                          " (that entry was replaced, or this one forged)"));
    }
    result.entries = entry->seq;
    result.head_hash = std::move(entry->hash);
    result.last_time = AuditTimeText(entry->event.time);
    if (result.entries == 1) result.first_time = result.last_time;
    if (options.expect_head.has_value() && result.expected_head_entry == 0 &&
        result.head_hash == *options.expect_head) {
      result.expected_head_entry = result.entries;
    }
    if (options.expect_entries.has_value() && result.entries == *options.expect_entries) {
      hash_at_expected_entries = result.head_hash;
    }
    progress.entries = result.entries;
    progress.bytes_read += text.size() + 1;
    if (options.progress && progress.bytes_read >= next_progress) {
      options.progress(progress);
      next_progress = progress.bytes_read + kProgressEveryBytes;
    }
  }
  if (in.bad()) return ErrnoError(errno, "read", path);

  const uint64_t next_line = result.entries + 1;
  if (options.expect_entries.has_value() && result.entries < *options.expect_entries) {
    return LineError(
        path, next_line,
        absl::StrCat("entry ", *options.expect_entries, " is missing: the log ends after entry ",
                     result.entries, ", but ", *options.expect_entries,
                     " entries were recorded earlier (entries removed from the end, or an "
                     "older copy of the log)"));
  }
  if (options.expect_head.has_value()) {
    if (options.expect_entries.has_value() && hash_at_expected_entries != *options.expect_head) {
      return LineError(
          path, *options.expect_entries,
          absl::StrCat("entry ", *options.expect_entries, " has hash ", hash_at_expected_entries,
                       ", not the recorded head ", *options.expect_head,
                       " (the log was rewritten up to here, or the head was recorded from "
                       "another log)"));
    }
    if (result.expected_head_entry == 0) {
      return LineError(path, next_line,
                       absl::StrCat("no entry has the recorded head hash ", *options.expect_head,
                                    " (entries removed from the end, or the head was recorded from "
                                    "another log)"));
    }
  }
  return result;
}

}  // namespace vroeg
