#include "agent/spool/file_spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/wire_format_lite.h"

namespace vroeg {
namespace {

using agent::v1::SpoolRecord;
using agent::v1::SpoolRecordKind;

constexpr char kMagic[] = {'\x56', '\x53', '\x50', '\xE7'};
constexpr size_t kMagicBytes = sizeof(kMagic);
constexpr size_t kHeaderBytes = kMagicBytes + 4 + 4;
constexpr uint32_t kMaxPayloadBytes = uint32_t{64} << 20;
// A settlement record: kind (tag and one varint byte) and sequence (tag and up to ten varint
// bytes). The size bound reserves this much per pending entry.
constexpr uint64_t kMaxSettlementBytes = kHeaderBytes + 2 + 11;
// What one Peek reads at most (beyond its first entry). Parsed, a submission takes about five
// times its stored size, so many small submissions still come in one batch while large files
// come one or a few at a time.
constexpr uint64_t kPeekBatchBytes = uint64_t{1} << 20;
// The state file is one tiny record; anything much larger is not ours.
constexpr size_t kMaxStateFileBytes = 4096;

constexpr absl::string_view kSegmentPrefix = "segment-";
constexpr absl::string_view kSegmentSuffix = ".log";
constexpr size_t kSequenceDigits = 20;
constexpr char kStateName[] = "state";
constexpr char kStateTempName[] = "state.tmp";
constexpr char kLockName[] = "lock";
constexpr char kQuarantineName[] = "quarantine";
constexpr absl::string_view kTempSuffix = ".tmp";

class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~ScopedFd() { Reset(); }
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

absl::Status ErrnoError(int error, absl::string_view action, absl::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat("cannot ", action, " '", path, "'"));
}

// Errors about the spool directory itself are start-up problems a person has to fix.
absl::Status DirectoryError(int error, absl::string_view action, absl::string_view path) {
  return absl::ErrnoToStatus(
      error, absl::StrCat("spool directory: cannot ", action, " '", path,
                          "' (the agent needs read, write and search permission on it)"));
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string SegmentName(uint64_t first) {
  return absl::StrCat(kSegmentPrefix, absl::Dec(first, absl::kZeroPad20), kSegmentSuffix);
}

std::optional<uint64_t> ParseSegmentName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, kSegmentPrefix) || !absl::ConsumeSuffix(&name, kSegmentSuffix) ||
      name.size() != kSequenceDigits) {
    return std::nullopt;
  }
  uint64_t first = 0;
  for (char c : name) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
  }
  if (!absl::SimpleAtoi(name, &first)) return std::nullopt;
  return first;
}

void PutLittleEndian32(uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint32_t GetLittleEndian32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

// Covers the length bytes too, so that a damaged length cannot pair with a payload whose CRC
// happens to fit.
uint32_t RecordCrc(const char* length_bytes, absl::string_view payload) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(length_bytes), 4);
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(payload.data()),
                static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

// Fills in the header of `framed`, which holds kHeaderBytes of room followed by the payload.
void SealFrame(std::string& framed) {
  const absl::string_view payload = absl::string_view(framed).substr(kHeaderBytes);
  std::memcpy(framed.data(), kMagic, kMagicBytes);
  PutLittleEndian32(static_cast<uint32_t>(payload.size()), framed.data() + kMagicBytes);
  PutLittleEndian32(RecordCrc(framed.data() + kMagicBytes, payload),
                    framed.data() + kMagicBytes + 4);
}

std::string Frame(absl::string_view payload) {
  std::string framed(kHeaderBytes, '\0');
  framed.append(payload.data(), payload.size());
  SealFrame(framed);
  return framed;
}

// The entry record of `request`, framed: byte for byte what serializing a SpoolRecord holding
// a copy of the request would give (fields in number order), without that copy: for a large
// file the observations would otherwise be in memory twice, and the serialized record three
// times.
class EntryRecord {
 public:
  EntryRecord(uint64_t sequence, absl::string_view source, absl::Time spooled_at,
              const api::v1::SubmitRequest& request)
      : request_(request) {
    using google::protobuf::internal::WireFormatLite;
    head_.set_kind(agent::v1::SPOOL_RECORD_KIND_ENTRY);
    head_.set_sequence(sequence);
    tail_.set_source(std::string(source));
    *tail_.mutable_spooled_at() = ToProtoTimestamp(spooled_at);
    // Sizing the request also caches its size, which Frame writes ahead of it.
    payload_bytes_ =
        head_.ByteSizeLong() +
        WireFormatLite::TagSize(SpoolRecord::kRequestFieldNumber, WireFormatLite::TYPE_MESSAGE) +
        WireFormatLite::MessageSize(request) + tail_.ByteSizeLong();
  }

  size_t payload_bytes() const { return payload_bytes_; }

  std::string Frame() const {
    std::string framed(kHeaderBytes, '\0');
    framed.reserve(kHeaderBytes + payload_bytes_);
    head_.AppendToString(&framed);
    {
      google::protobuf::io::StringOutputStream stream(&framed);
      google::protobuf::io::CodedOutputStream out(&stream);
      google::protobuf::internal::WireFormatLite::WriteMessage(SpoolRecord::kRequestFieldNumber,
                                                               request_, &out);
    }
    tail_.AppendToString(&framed);
    SealFrame(framed);
    return framed;
  }

 private:
  const api::v1::SubmitRequest& request_;
  SpoolRecord head_;  // the fields numbered before the request
  SpoolRecord tail_;  // and after it
  size_t payload_bytes_;
};

// What is wrong with the record at `offset`, or nothing when its framing and CRC are intact
// (then `payload` and `frame_size` are set).
std::optional<std::string> CheckFrame(absl::string_view data, uint64_t offset,
                                      absl::string_view* payload, uint64_t* frame_size) {
  const absl::string_view rest = data.substr(offset);
  if (rest.size() < kHeaderBytes) return "record header cut short";
  if (std::memcmp(rest.data(), kMagic, kMagicBytes) != 0) return "bad magic";
  const uint32_t length = GetLittleEndian32(rest.data() + kMagicBytes);
  if (length > kMaxPayloadBytes) return absl::StrCat("impossible record length ", length);
  if (rest.size() - kHeaderBytes < length) return "record cut short";
  const absl::string_view body = rest.substr(kHeaderBytes, length);
  if (GetLittleEndian32(rest.data() + kMagicBytes + 4) !=
      RecordCrc(rest.data() + kMagicBytes, body)) {
    return "CRC mismatch";
  }
  *payload = body;
  *frame_size = kHeaderBytes + length;
  return std::nullopt;
}

// An append cut short leaves a prefix of a record that reaches the end of the file; after power
// loss, parts the file system allocated but never filled read as zeros. Only the newest segment
// receives entries; older ones only settlements, so their tails are short.
bool LooksLikeInterruptedAppend(absl::string_view rest, bool newest_segment) {
  if (!newest_segment && rest.size() > kMaxSettlementBytes) return false;
  if (rest.empty() || rest[0] == '\0') return true;
  absl::string_view written = rest;
  while (!written.empty() && written.back() == '\0') written.remove_suffix(1);
  const size_t magic_bytes = std::min(written.size(), kMagicBytes);
  if (std::memcmp(written.data(), kMagic, magic_bytes) != 0) return false;
  if (written.size() < kMagicBytes + 4) return true;
  const uint32_t length = GetLittleEndian32(written.data() + kMagicBytes);
  return length <= kMaxPayloadBytes && kHeaderBytes + uint64_t{length} >= rest.size();
}

bool ReadAt(int fd, uint64_t offset, std::string& out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads a segment file record by record with pread: neither the file's size nor a media error
// (which would be SIGBUS in a mapping) can hurt the process. A read error counts as damage.
class SegmentReader {
 public:
  struct Frame {
    // Empty when the record is intact.
    std::optional<std::string> damage;
    std::string bytes;  // header and payload
    absl::string_view payload() const { return absl::string_view(bytes).substr(kHeaderBytes); }
  };

  SegmentReader(int fd, uint64_t size) : fd_(fd), size_(size) {}

  Frame FrameAt(uint64_t offset) const {
    Frame frame;
    frame.bytes.resize(std::min<uint64_t>(size_ - offset, kHeaderBytes));
    if (!ReadAt(fd_, offset, frame.bytes)) return ReadError();
    if (frame.bytes.size() == kHeaderBytes &&
        std::memcmp(frame.bytes.data(), kMagic, kMagicBytes) == 0) {
      const uint32_t length = GetLittleEndian32(frame.bytes.data() + kMagicBytes);
      if (length <= kMaxPayloadBytes) {
        std::string payload(std::min<uint64_t>(size_ - offset - kHeaderBytes, length), '\0');
        if (!ReadAt(fd_, offset + kHeaderBytes, payload)) return ReadError();
        frame.bytes.append(payload);
      }
    }
    absl::string_view payload;
    uint64_t frame_size = 0;
    frame.damage = CheckFrame(frame.bytes, 0, &payload, &frame_size);
    return frame;
  }

  // Calls `fn(frame)` for every intact record that starts at `from` or later, at any byte,
  // until it returns false.
  template <typename Fn>
  void ForEachIntactFrameFrom(uint64_t from, Fn fn) const {
    constexpr uint64_t kChunkBytes = uint64_t{1} << 20;
    std::string chunk;
    for (uint64_t start = from; start + kHeaderBytes <= size_; start += kChunkBytes) {
      chunk.resize(std::min(kChunkBytes, size_ - start));
      if (!ReadAt(fd_, start, chunk)) continue;
      for (size_t i = 0; i < chunk.size(); ++i) {
        if (chunk[i] != kMagic[0]) continue;
        const Frame frame = FrameAt(start + i);
        if (!frame.damage.has_value() && !fn(frame)) return;
      }
    }
  }

  // Whether the bad record at `offset` is the remains of an interrupted append (see above)
  // with nothing intact after it, rather than damage in the middle of the data.
  bool IsTornTail(uint64_t offset, bool newest_segment) const {
    const uint64_t rest_size = size_ - offset;
    if (rest_size > kHeaderBytes + kMaxPayloadBytes) return false;
    std::string rest(rest_size, '\0');
    if (!ReadAt(fd_, offset, rest) || !LooksLikeInterruptedAppend(rest, newest_segment)) {
      return false;
    }
    bool intact_after = false;
    ForEachIntactFrameFrom(offset + 1, [&](const Frame&) {
      intact_after = true;
      return false;
    });
    return !intact_after;
  }

  // The highest sequence of any intact record, damaged parts skipped.
  uint64_t HighestSequence() const {
    uint64_t highest = 0;
    ForEachIntactFrameFrom(0, [&](const Frame& frame) {
      SpoolRecord record;
      const absl::string_view payload = frame.payload();
      if (record.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        highest = std::max(highest, record.sequence());
      }
      return true;
    });
    return highest;
  }

 private:
  static Frame ReadError() {
    Frame frame;
    frame.damage = absl::StrCat("read error: ", std::strerror(errno));
    return frame;
  }

  const int fd_;
  const uint64_t size_;
};

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
}

// Submission ids are meant to be [A-Za-z0-9._:-]{1,128}, but the spool does not validate
// them, and a file name must not be able to leave the quarantine directory.
std::string SafeFileComponent(absl::string_view id) {
  std::string safe;
  for (char c : id.substr(0, 128)) {
    const bool allowed = absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
    safe.push_back(allowed ? c : '_');
  }
  return safe.empty() ? "no-id" : safe;
}

absl::Status WriteAllAt(int fd, absl::string_view data, uint64_t offset, absl::string_view path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "write", path);
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

absl::Status ReadAllAt(int fd, char* out, size_t size, uint64_t offset, absl::string_view path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) return absl::DataLossError(absl::StrCat("'", path, "' ends unexpectedly"));
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "open directory", dir);
  if (::fsync(fd.get()) != 0) return ErrnoError(errno, "sync directory", dir);
  return absl::OkStatus();
}

// Creates or replaces `path` with `content`, synced; the caller renames it into place.
absl::Status WriteSyncedFile(const std::string& path, absl::string_view content) {
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoError(errno, "create", path);
  VROEG_RETURN_IF_ERROR(WriteAllAt(fd.get(), content, 0, path));
  if (::fdatasync(fd.get()) != 0) return ErrnoError(errno, "sync", path);
  if (::close(fd.Release()) != 0) return ErrnoError(errno, "close", path);
  return absl::OkStatus();
}

absl::Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("rename '", from, "' to"), to);
  }
  return absl::OkStatus();
}

// Names in `dir`, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return DirectoryError(errno, "list", dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(handle)) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int error = errno;
  ::closedir(handle);
  if (error != 0) return DirectoryError(error, "list", dir);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status PrepareDirectory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return DirectoryError(errno, "inspect", dir);
    const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
    std::error_code error;
    if (!parent.empty()) std::filesystem::create_directories(parent, error);
    if (error) return DirectoryError(error.value(), "create", parent.string());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return DirectoryError(errno, "create", dir);
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("spool directory '", dir, "' exists but is not a directory"));
  }
  if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) return DirectoryError(errno, "use", dir);
  const std::string quarantine = JoinPath(dir, kQuarantineName);
  if (::mkdir(quarantine.c_str(), 0700) != 0 && errno != EEXIST) {
    return DirectoryError(errno, "create", quarantine);
  }
  return absl::OkStatus();
}

}  // namespace

struct FileSpool::ScannedSegment {
  uint64_t first = 0;
  std::string path;
  // End of the last intact, consistent record.
  uint64_t valid_bytes = 0;
  uint64_t file_bytes = 0;
  uint64_t highest_sequence = 0;
  bool torn = false;
  bool corrupt = false;
  // What made the segment corrupt, or what the torn tail looked like.
  std::string problem;
  std::map<uint64_t, Entry> pending;
  // Corrupt segments only: the submissions that were still pending before the damage, as
  // "<source> (<submission id>)", so that a person can send them again.
  std::vector<std::string> at_risk;
};

FileSpool::FileSpool(std::string dir, const FileSpoolOptions& options, const Clock* clock,
                     Logger* logger, int lock_fd)
    : dir_(std::move(dir)), options_(options), clock_(clock), logger_(logger), lock_fd_(lock_fd) {}

FileSpool::~FileSpool() {
  {
    absl::MutexLock lock(&mu_);
    CloseActive();
  }
  ::close(lock_fd_);
}

absl::StatusOr<std::unique_ptr<FileSpool>> FileSpool::Open(const std::string& dir,
                                                           const FileSpoolOptions& options,
                                                           const Clock* clock, Logger* logger) {
  if (dir.empty()) return absl::InvalidArgumentError("spool directory: no path given");
  if (options.max_bytes == 0) return absl::InvalidArgumentError("spool max_bytes must be above 0");
  if (options.segment_bytes == 0) {
    return absl::InvalidArgumentError("spool segment_bytes must be above 0");
  }
  VROEG_RETURN_IF_ERROR(PrepareDirectory(dir));
  const std::string lock_path = JoinPath(dir, kLockName);
  ScopedFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock_fd.get() < 0) return DirectoryError(errno, "create", lock_path);
  if (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "spool directory '", dir, "' is in use by another process (", lock_path, " is locked)"));
    }
    return DirectoryError(errno, "lock", lock_path);
  }
  FileSpoolOptions effective = options;
  effective.segment_bytes =
      std::min(options.segment_bytes, std::max<uint64_t>(1, options.max_bytes / 4));
  std::unique_ptr<FileSpool> spool(new FileSpool(dir, effective, clock, logger, lock_fd.Release()));
  {
    absl::MutexLock lock(&spool->mu_);
    VROEG_RETURN_IF_ERROR(spool->Recover());
  }
  return spool;
}

std::string FileSpool::quarantine_dir() const { return JoinPath(dir_, kQuarantineName); }

absl::Status FileSpool::ReadState() {
  const std::string path = JoinPath(dir_, kStateName);
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return DirectoryError(errno, "open", path);
  }
  std::string data(kMaxStateFileBytes + 1, '\0');
  size_t size = 0;
  while (size < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + size, data.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return DirectoryError(errno, "read", path);
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  data.resize(size);
  fd.Reset();

  absl::string_view payload;
  uint64_t frame_size = 0;
  std::optional<std::string> problem = CheckFrame(data, 0, &payload, &frame_size);
  agent::v1::SpoolState state;
  if (!problem.has_value() && frame_size != data.size()) problem = "unexpected bytes after record";
  if (!problem.has_value() &&
      !state.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    problem = "unparsable record";
  }
  if (!problem.has_value()) {
    persisted_next_ = state.next_sequence();
    return absl::OkStatus();
  }
  // Sequences are still taken from the segments; only a spool with no segments left could
  // hand out numbers it used before, which is harmless to the collector (it keys on
  // submission ids) but worth a warning.
  ++corrupt_segments_total_;
  absl::StatusOr<std::string> moved = MoveToQuarantine(path);
  logger_->Warning("spool_state_corrupt",
                   {{"file", path}, {"problem", *problem}, {"moved_to", moved.ok() ? *moved : ""}});
  if (!moved.ok()) {
    logger_->Error("spool_quarantine_failed",
                   {{"file", path}, {"error", moved.status().ToString()}});
  }
  return absl::OkStatus();
}

absl::StatusOr<FileSpool::ScannedSegment> FileSpool::ScanSegment(uint64_t first,
                                                                 const std::string& path,
                                                                 uint64_t next_segment_first) {
  ScannedSegment scanned;
  scanned.first = first;
  scanned.path = path;
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == EACCES || errno == EPERM) return DirectoryError(errno, "open", path);
    scanned.corrupt = true;
    scanned.problem = absl::StrCat("cannot open: ", std::strerror(errno));
    return scanned;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "inspect", path);
  scanned.file_bytes = static_cast<uint64_t>(st.st_size);
  if (scanned.file_bytes == 0) return scanned;

  const SegmentReader reader(fd.get(), scanned.file_bytes);

  uint64_t offset = 0;
  uint64_t last_entry = 0;
  std::map<uint64_t, std::string> described;
  while (offset < scanned.file_bytes) {
    const SegmentReader::Frame frame = reader.FrameAt(offset);
    std::optional<std::string> damage = frame.damage;
    SpoolRecord record;
    if (!damage.has_value() &&
        !record.ParseFromArray(frame.payload().data(), static_cast<int>(frame.payload().size()))) {
      damage = "unparsable record";
    }
    if (damage.has_value()) {
      if (reader.IsTornTail(offset, next_segment_first == 0)) {
        scanned.torn = true;
        scanned.problem = *damage;
      } else {
        scanned.corrupt = true;
        scanned.problem = absl::StrCat(*damage, " at offset ", offset);
      }
      break;
    }

    // An intact record that contradicts the ones before it was not written by this code as
    // it is; trusting it could hand out an acknowledged submission again.
    std::string inconsistency;
    const uint64_t sequence = record.sequence();
    switch (record.kind()) {
      case agent::v1::SPOOL_RECORD_KIND_ENTRY:
        if (sequence < first || sequence <= last_entry ||
            (next_segment_first != 0 && sequence >= next_segment_first)) {
          inconsistency = absl::StrCat("entry with out-of-order sequence ", sequence);
          break;
        }
        last_entry = sequence;
        scanned.pending[sequence] =
            Entry{first, offset, frame.bytes.size(), FromProtoTimestamp(record.spooled_at())};
        described[sequence] =
            absl::StrCat(record.source(), " (", record.request().submission_id(), ")");
        break;
      case agent::v1::SPOOL_RECORD_KIND_ACKNOWLEDGED:
      case agent::v1::SPOOL_RECORD_KIND_QUARANTINED:
        if (scanned.pending.erase(sequence) == 0) {
          inconsistency = absl::StrCat("settlement of sequence ", sequence,
                                       ", which is not pending in this segment");
        }
        break;
      default:
        inconsistency = absl::StrCat("unknown record kind ", static_cast<int>(record.kind()));
        break;
    }
    if (!inconsistency.empty()) {
      scanned.corrupt = true;
      scanned.problem = absl::StrCat(inconsistency, " at offset ", offset);
      break;
    }
    scanned.highest_sequence = std::max(scanned.highest_sequence, sequence);
    offset += frame.bytes.size();
  }
  scanned.valid_bytes = offset;
  if (scanned.corrupt) {
    // Numbers written after the damage must not be handed out again either.
    scanned.highest_sequence = std::max(scanned.highest_sequence, reader.HighestSequence());
    for (const auto& [sequence, entry] : scanned.pending) {
      scanned.at_risk.push_back(std::move(described[sequence]));
    }
    scanned.pending.clear();
  }
  return scanned;
}

absl::Status FileSpool::Recover() {
  VROEG_RETURN_IF_ERROR(ReadState());
  next_sequence_ = std::max(next_sequence_, persisted_next_);

  VROEG_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir_));
  std::vector<std::pair<uint64_t, std::string>> found;
  std::vector<std::string> unknown;
  for (const std::string& name : names) {
    if (name == kLockName || name == kStateName || name == kQuarantineName) continue;
    if (name == kStateTempName) {
      // A state update cut short; the previous state file is still in place.
      ::unlink(JoinPath(dir_, name).c_str());
      continue;
    }
    if (std::optional<uint64_t> first = ParseSegmentName(name)) {
      found.emplace_back(*first, JoinPath(dir_, name));
    } else {
      unknown.push_back(name);
    }
  }
  if (!unknown.empty()) {
    logger_->Warning("spool_unknown_files_ignored",
                     {{"dir", dir_}, {"files", absl::StrJoin(unknown, ",")}});
  }
  VROEG_ASSIGN_OR_RETURN(std::vector<std::string> quarantined, ListDirectory(quarantine_dir()));
  for (const std::string& name : quarantined) {
    if (absl::EndsWith(name, kTempSuffix)) ::unlink(JoinPath(quarantine_dir(), name).c_str());
  }

  std::vector<ScannedSegment> scanned;
  for (size_t i = 0; i < found.size(); ++i) {
    const uint64_t next_first = i + 1 < found.size() ? found[i + 1].first : 0;
    VROEG_ASSIGN_OR_RETURN(ScannedSegment segment,
                           ScanSegment(found[i].first, found[i].second, next_first));
    // The name's number was taken by an append, even if that append never completed.
    next_sequence_ = std::max({next_sequence_, segment.highest_sequence + 1, segment.first + 1});
    scanned.push_back(std::move(segment));
  }
  // Before anything that removes segments, so that their numbers stay used.
  VROEG_RETURN_IF_ERROR(PersistNextSequence());

  bool removed_any = false;
  for (ScannedSegment& segment : scanned) {
    if (segment.corrupt) {
      ++corrupt_segments_total_;
      absl::StatusOr<std::string> moved = MoveToQuarantine(segment.path);
      logger_->Warning("spool_segment_corrupt",
                       {{"segment", segment.path},
                        {"problem", segment.problem},
                        {"moved_to", moved.ok() ? *moved : ""},
                        {"pending_before_damage", segment.at_risk.size()},
                        {"effect",
                         "submissions in it are not sent; send their files again (listed in "
                         "spool_submission_not_sent lines; what followed the damage cannot be "
                         "read); the collector stores what it already has once"}});
      for (const std::string& submission : segment.at_risk) {
        logger_->Warning("spool_submission_not_sent",
                         {{"segment", segment.path}, {"submission", submission}});
      }
      if (!moved.ok()) {
        logger_->Error("spool_quarantine_failed",
                       {{"file", segment.path}, {"error", moved.status().ToString()}});
      }
      continue;
    }
    if (segment.torn) {
      logger_->Info("spool_torn_tail_truncated",
                    {{"segment", segment.path},
                     {"offset", segment.valid_bytes},
                     {"dropped_bytes", segment.file_bytes - segment.valid_bytes},
                     {"problem", segment.problem}});
    }
    if (segment.pending.empty()) {
      if (::unlink(segment.path.c_str()) != 0) {
        return ErrnoError(errno, "delete settled spool segment", segment.path);
      }
      removed_any = true;
      continue;
    }
    if (segment.torn) {
      ScopedFd fd(::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC));
      if (fd.get() < 0) return DirectoryError(errno, "open", segment.path);
      if (::ftruncate(fd.get(), static_cast<off_t>(segment.valid_bytes)) != 0) {
        return ErrnoError(errno, "truncate", segment.path);
      }
      if (::fsync(fd.get()) != 0) return ErrnoError(errno, "sync", segment.path);
    }
    Segment& live = segments_[segment.first];
    live.path = segment.path;
    live.size = segment.valid_bytes;
    live.pending = segment.pending.size();
    live.name_synced = true;
    disk_bytes_ += live.size;
    for (const auto& [sequence, entry] : segment.pending) {
      pending_bytes_ += entry.size;
      pending_.emplace(sequence, entry);
    }
  }
  if (removed_any) VROEG_RETURN_IF_ERROR(SyncDirectory(dir_));

  // The first append starts a new segment: entries only ever go to a segment created in this
  // run, which keeps what recovery may take for an interrupted append small in older segments.
  logger_->Info("spool_opened", {{"dir", dir_},
                                 {"pending_submissions", pending_.size()},
                                 {"pending_bytes", pending_bytes_},
                                 {"disk_bytes", disk_bytes_},
                                 {"max_bytes", options_.max_bytes},
                                 {"next_sequence", next_sequence_}});
  return absl::OkStatus();
}

absl::Status FileSpool::PersistNextSequence() {
  if (next_sequence_ <= persisted_next_) return absl::OkStatus();
  agent::v1::SpoolState state;
  state.set_next_sequence(next_sequence_);
  const std::string temp = JoinPath(dir_, kStateTempName);
  VROEG_RETURN_IF_ERROR(WriteSyncedFile(temp, Frame(state.SerializeAsString())));
  VROEG_RETURN_IF_ERROR(RenameFile(temp, JoinPath(dir_, kStateName)));
  VROEG_RETURN_IF_ERROR(SyncDirectory(dir_));
  persisted_next_ = next_sequence_;
  return absl::OkStatus();
}

absl::StatusOr<std::string> FileSpool::MoveToQuarantine(const std::string& path) const {
  const std::string base = JoinPath(quarantine_dir(), absl::StrCat("corrupt-", BaseName(path)));
  std::string target = base;
  struct stat st;
  for (int n = 1; ::lstat(target.c_str(), &st) == 0; ++n) target = absl::StrCat(base, ".", n);
  VROEG_RETURN_IF_ERROR(RenameFile(path, target));
  VROEG_RETURN_IF_ERROR(SyncDirectory(quarantine_dir()));
  VROEG_RETURN_IF_ERROR(SyncDirectory(dir_));
  return target;
}

uint64_t FileSpool::UsedBytes() const {
  return disk_bytes_ + pending_.size() * kMaxSettlementBytes;
}

void FileSpool::CloseActive() {
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = -1;
}

absl::Status FileSpool::WriteRecord(Segment& segment, int fd, absl::string_view framed) {
  absl::Status status = WriteAllAt(fd, framed, segment.size, segment.path);
  if (status.ok() && ::fdatasync(fd) != 0) status = ErrnoError(errno, "sync", segment.path);
  if (status.ok() && !segment.name_synced) {
    status = SyncDirectory(dir_);
    segment.name_synced = status.ok();
  }
  if (!status.ok()) {
    // The next write goes to the same offset and replaces whatever part of this record
    // reached the file; cutting it off now also keeps a crash before then from finding a
    // record whose write reported an error.
    if (::ftruncate(fd, static_cast<off_t>(segment.size)) == 0) ::fdatasync(fd);
    return status;
  }
  segment.size += framed.size();
  disk_bytes_ += framed.size();
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FileSpool::Append(const api::v1::SubmitRequest& request,
                                           absl::string_view source) {
  absl::MutexLock lock(&mu_);
  const uint64_t sequence = next_sequence_;
  const absl::Time now = clock_->Now();
  const EntryRecord entry(sequence, source, now, request);
  const size_t payload_bytes = entry.payload_bytes();
  if (payload_bytes > kMaxPayloadBytes ||
      payload_bytes + kHeaderBytes + kMaxSettlementBytes > options_.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "submission '", request.submission_id(), "' from ", source, " takes ", payload_bytes,
        " bytes and can never fit in the spool (max_bytes ", options_.max_bytes, ", at most ",
        kMaxPayloadBytes, " bytes per submission); split it"));
  }
  const std::string framed = entry.Frame();
  const uint64_t needed = framed.size() + kMaxSettlementBytes;
  if (UsedBytes() + needed > options_.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("spool is full: submission '", request.submission_id(), "' needs ", needed,
                     " bytes, and ", UsedBytes(), " of max_bytes ", options_.max_bytes,
                     " are in use by ", pending_.size(), " pending submissions in ", dir_,
                     "; it fits again once the collector has acknowledged older submissions"));
  }

  const bool start_segment =
      active_fd_ < 0 || (segments_.at(active_).size > 0 &&
                         segments_.at(active_).size + framed.size() > options_.segment_bytes);
  if (start_segment) {
    CloseActive();
    const std::string path = JoinPath(dir_, SegmentName(sequence));
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoError(errno, "create spool segment", path);
    segments_[sequence] = Segment{path, 0, 0, false};
    active_fd_ = fd;
    active_ = sequence;
  }
  // Taken even if the write fails: part of it may have reached the disk.
  next_sequence_ = sequence + 1;
  Segment& segment = segments_.at(active_);
  const uint64_t offset = segment.size;
  VROEG_RETURN_IF_ERROR(WriteRecord(segment, active_fd_, framed));
  ++segment.pending;
  pending_.emplace(sequence, Entry{active_, offset, framed.size(), now});
  pending_bytes_ += framed.size();
  return sequence;
}

struct FileSpool::Readers {
  std::map<uint64_t, ScopedFd> fds;
};

absl::StatusOr<SpoolRecord> FileSpool::ReadEntry(uint64_t sequence, const Entry& entry,
                                                 Readers& readers) {
  const Segment& segment = segments_.at(entry.segment);
  int fd = active_fd_;
  if (entry.segment != active_ || active_fd_ < 0) {
    auto [it, inserted] = readers.fds.try_emplace(entry.segment);
    if (inserted) it->second = ScopedFd(::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (it->second.get() < 0) {
      const int error = errno;
      readers.fds.erase(it);
      // Running out of descriptors or memory passes; anything else means the file is gone
      // or unreadable, which for the entries in it is the same as damage.
      if (error == EMFILE || error == ENFILE || error == ENOMEM) {
        return ErrnoError(error, "open", segment.path);
      }
      return absl::DataLossError(
          absl::StrCat("cannot open '", segment.path, "': ", std::strerror(error)));
    }
    fd = it->second.get();
  }
  std::string data(entry.size, '\0');
  if (absl::Status read = ReadAllAt(fd, data.data(), data.size(), entry.offset, segment.path);
      !read.ok()) {
    return absl::DataLossError(read.message());
  }
  absl::string_view payload;
  uint64_t frame_size = 0;
  std::optional<std::string> damage = CheckFrame(data, 0, &payload, &frame_size);
  SpoolRecord record;
  if (!damage.has_value() &&
      (frame_size != data.size() ||
       !record.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
       record.kind() != agent::v1::SPOOL_RECORD_KIND_ENTRY || record.sequence() != sequence)) {
    damage = "not the entry expected there";
  }
  if (damage.has_value()) {
    return absl::DataLossError(absl::StrCat("record of sequence ", sequence, " at offset ",
                                            entry.offset, " in '", segment.path,
                                            "' is damaged: ", *damage));
  }
  return record;
}

void FileSpool::QuarantineDamagedSegment(uint64_t first, absl::string_view problem) {
  const Segment segment = segments_.at(first);
  if (first == segments_.rbegin()->first) {
    if (absl::Status persisted = PersistNextSequence(); !persisted.ok()) {
      logger_->Error("spool_state_write_failed", {{"error", persisted.ToString()}});
    }
  }
  if (first == active_) CloseActive();
  uint64_t set_aside = 0;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.segment == first) {
      pending_bytes_ -= it->second.size;
      it = pending_.erase(it);
      ++set_aside;
    } else {
      ++it;
    }
  }
  // Forgotten even if the move fails, so that the other segments keep flowing; the next
  // Open looks at the file again.
  segments_.erase(first);
  disk_bytes_ -= segment.size;
  ++corrupt_segments_total_;
  absl::StatusOr<std::string> moved = MoveToQuarantine(segment.path);
  logger_->Warning("spool_segment_corrupt", {{"segment", segment.path},
                                             {"problem", problem},
                                             {"pending_set_aside", set_aside},
                                             {"moved_to", moved.ok() ? *moved : ""}});
  if (!moved.ok()) {
    logger_->Error("spool_quarantine_failed",
                   {{"file", segment.path}, {"error", moved.status().ToString()}});
  }
}

absl::StatusOr<std::vector<SpooledSubmission>> FileSpool::Peek(size_t max) {
  absl::MutexLock lock(&mu_);
  std::vector<SpooledSubmission> result;
  Readers readers;
  uint64_t batch_bytes = 0;
  auto it = pending_.begin();
  while (it != pending_.end() && result.size() < max) {
    if (!result.empty() && batch_bytes + it->second.size > kPeekBatchBytes) break;
    batch_bytes += it->second.size;
    const uint64_t sequence = it->first;
    absl::StatusOr<SpoolRecord> record = ReadEntry(sequence, it->second, readers);
    if (!record.ok()) {
      if (record.status().code() != absl::StatusCode::kDataLoss) return record.status();
      QuarantineDamagedSegment(it->second.segment, record.status().message());
      // Entries of that segment read before the damage was found went with it.
      std::erase_if(result, [this](const SpooledSubmission& submission) {
        return !pending_.contains(submission.sequence);
      });
      it = pending_.upper_bound(sequence);
      continue;
    }
    SpooledSubmission& submission = result.emplace_back();
    submission.sequence = sequence;
    submission.request = std::move(*record->mutable_request());
    submission.source = std::move(*record->mutable_source());
    submission.spooled_at = it->second.spooled_at;
    ++it;
  }
  return result;
}

absl::Status FileSpool::Settle(uint64_t sequence, SpoolRecordKind kind) {
  const auto it = pending_.find(sequence);
  const Entry entry = it->second;
  Segment& segment = segments_.at(entry.segment);
  SpoolRecord record;
  record.set_kind(kind);
  record.set_sequence(sequence);
  ScopedFd own;
  int fd = active_fd_;
  if (entry.segment != active_ || active_fd_ < 0) {
    own = ScopedFd(::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC));
    if (own.get() < 0) return ErrnoError(errno, "open", segment.path);
    fd = own.get();
  }
  VROEG_RETURN_IF_ERROR(WriteRecord(segment, fd, Frame(record.SerializeAsString())));
  pending_.erase(it);
  pending_bytes_ -= entry.size;
  if (--segment.pending == 0) ReclaimSegment(entry.segment);
  return absl::OkStatus();
}

void FileSpool::ReclaimSegment(uint64_t first) {
  const Segment segment = segments_.at(first);
  if (first == segments_.rbegin()->first) {
    if (absl::Status persisted = PersistNextSequence(); !persisted.ok()) {
      logger_->Warning("spool_reclaim_deferred",
                       {{"segment", segment.path}, {"error", persisted.ToString()}});
      return;
    }
  }
  if (first == active_) CloseActive();
  if (::unlink(segment.path.c_str()) != 0) {
    logger_->Warning("spool_reclaim_deferred",
                     {{"segment", segment.path}, {"error", std::strerror(errno)}});
    return;
  }
  segments_.erase(first);
  disk_bytes_ -= segment.size;
  // If this is lost in a crash the segment comes back with every entry settled, and the next
  // Open deletes it again.
  if (absl::Status synced = SyncDirectory(dir_); !synced.ok()) {
    logger_->Warning("spool_directory_sync_failed", {{"error", synced.ToString()}});
  }
}

absl::Status FileSpool::Acknowledge(uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  if (!pending_.contains(sequence)) {
    return absl::NotFoundError(absl::StrCat("sequence ", sequence, " is not pending in ", dir_));
  }
  return Settle(sequence, agent::v1::SPOOL_RECORD_KIND_ACKNOWLEDGED);
}

absl::Status FileSpool::WriteQuarantineFiles(uint64_t sequence, const SpoolRecord& record,
                                             absl::string_view reason) const {
  const api::v1::SubmitRequest& request = record.request();
  const std::string base = JoinPath(
      quarantine_dir(), absl::StrCat(sequence, "-", SafeFileComponent(request.submission_id())));
  std::string submission_text;
  google::protobuf::TextFormat::PrintToString(request, &submission_text);
  std::string text;
  absl::StrAppend(&text, "reason: ", absl::StrReplaceAll(reason, {{"\n", "\n  "}}), "\n");
  absl::StrAppend(&text, "submission_id: ", request.submission_id(), "\n");
  absl::StrAppend(&text, "reporter: ", request.reporter(), "\n");
  absl::StrAppend(&text, "observations: ", request.observations_size(), "\n");
  absl::StrAppend(&text, "source: ", record.source(), "\n");
  absl::StrAppend(&text, "sequence: ", sequence, "\n");
  absl::StrAppend(&text, "spooled_at: ", Rfc3339(FromProtoTimestamp(record.spooled_at())), "\n");
  absl::StrAppend(&text, "quarantined_at: ", Rfc3339(clock_->Now()), "\n");
  absl::StrAppend(&text, "binary: ", BaseName(base), ".binpb (vroeg.api.v1.SubmitRequest)\n");
  absl::StrAppend(&text, "\n# The submission in protobuf text format:\n", submission_text);
  const std::string text_path = base + ".txt";
  const std::string binary_path = base + ".binpb";
  VROEG_RETURN_IF_ERROR(WriteSyncedFile(binary_path + ".tmp", request.SerializeAsString()));
  VROEG_RETURN_IF_ERROR(WriteSyncedFile(text_path + ".tmp", text));
  VROEG_RETURN_IF_ERROR(RenameFile(binary_path + ".tmp", binary_path));
  VROEG_RETURN_IF_ERROR(RenameFile(text_path + ".tmp", text_path));
  return SyncDirectory(quarantine_dir());
}

absl::Status FileSpool::Quarantine(uint64_t sequence, absl::string_view reason) {
  absl::MutexLock lock(&mu_);
  const auto it = pending_.find(sequence);
  if (it == pending_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", sequence, " is not pending in ", dir_));
  }
  Readers readers;
  absl::StatusOr<SpoolRecord> record = ReadEntry(sequence, it->second, readers);
  if (!record.ok()) {
    if (record.status().code() != absl::StatusCode::kDataLoss) return record.status();
    // It is set aside with its whole segment, which is what was asked, if less readably.
    logger_->Warning("spool_quarantine_of_damaged_submission",
                     {{"sequence", sequence}, {"reason", reason}});
    QuarantineDamagedSegment(it->second.segment, record.status().message());
    return absl::OkStatus();
  }
  // Files first: a crash before the settlement leaves the submission pending, and quarantining
  // it again replaces the files.
  VROEG_RETURN_IF_ERROR(WriteQuarantineFiles(sequence, *record, reason));
  VROEG_RETURN_IF_ERROR(Settle(sequence, agent::v1::SPOOL_RECORD_KIND_QUARANTINED));
  ++quarantined_total_;
  logger_->Warning("spool_submission_quarantined",
                   {{"sequence", sequence},
                    {"submission_id", record->request().submission_id()},
                    {"source", record->source()},
                    {"reason", reason},
                    {"dir", quarantine_dir()}});
  return absl::OkStatus();
}

SpoolStats FileSpool::Stats() const {
  absl::MutexLock lock(&mu_);
  SpoolStats stats;
  stats.pending_submissions = pending_.size();
  stats.pending_bytes = pending_bytes_;
  stats.disk_bytes = disk_bytes_;
  stats.quarantined_total = quarantined_total_;
  stats.corrupt_segments_total = corrupt_segments_total_;
  if (!pending_.empty()) stats.oldest_pending = pending_.begin()->second.spooled_at;
  return stats;
}

}  // namespace vroeg
