#ifndef VROEG_SERVER_AUDIT_AUDIT_LOG_H_
#define VROEG_SERVER_AUDIT_AUDIT_LOG_H_

// The collector's audit trail in the manner of NEN 7513: who did what, to which object, when,
// from where and with what outcome. The collector records every call before it answers it, so
// the trail holds every acknowledged call (and possibly calls whose answer never arrived).
//
// File format: JSON Lines, one entry per line, UTF-8 (in practice ASCII: every character
// outside printable ASCII is written as a \u escape, so that hostile text can neither break a
// line nor drive a terminal). Members in this fixed order, without whitespace:
//
//   {"seq":1,"time":"2025-03-01T09:30:00.000000Z","identity":"urn:vroeg:provider:12345678",
//    "serial":"4f0a...","peer":"ipv4:192.0.2.7:50522","action":"submit","object":"2025-03-a",
//    "details":{"observations":"1000"},"outcome":"accepted","code":"OK","reason":"",
//    "prev":"<64 hex digits>","hash":"<64 hex digits>"}
//
// (one line in the file). `seq` counts from 1 without gaps. `prev` is the `hash` of the entry
// before it, 64 zeros for the first. `hash` is the lower-case hex SHA-256 of the line's bytes up
// to, not including, the final `,"hash":"`; anyone can recompute it without a JSON library, e.g.
//   head -n 1 audit.jsonl | sed 's/,"hash":"[0-9a-f]*"}$//' | tr -d '\n' | sha256sum
// Together they make any edit, removal, insertion or reordering of entries detectable by
// VerifyAuditFile. Removing entries from the end is detectable only against a head (hash and
// count) recorded earlier, which is why the collector logs its head when it starts and stops.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace vroeg {

// One audited call. Every string may hold untrusted text; the log escapes it.
struct AuditEvent {
  absl::Time time;
  std::string identity;            // urn:vroeg:... or "unauthenticated"
  std::string certificate_serial;  // lower-case hex, empty if none
  std::string peer;                // e.g. ipv4:127.0.0.1:5555
  std::string action;              // "submit", "status", "catalogue", "export", "handshake"
  std::string object;              // submission id, export filter, ...
  std::vector<std::pair<std::string, std::string>> details;  // e.g. {"observations","1000"}
  std::string outcome;  // "accepted", "duplicate", "refused", "read"
  std::string code;     // gRPC status code name, e.g. "OK", "PERMISSION_DENIED"
  std::string reason;   // refusal message, empty on success
};

// One line of an audit log, read back. Invalid UTF-8 in the recorded event was written as
// U+FFFD, so `event` holds that instead of the original bytes.
struct AuditEntry {
  uint64_t seq = 0;
  AuditEvent event;
  std::string prev;
  std::string hash;
};

// Reads one line (without its newline) and checks that it is an entry in the format above whose
// hash matches its content. Says nothing about its place in the chain; VerifyAuditFile does.
// Errors: DATA_LOSS saying what is wrong (not JSON and where, a missing or misplaced field,
// a hash mismatch).
absl::StatusOr<AuditEntry> ParseAuditLine(absl::string_view line);

// Appends entries to an audit log file.
//
// Thread-safety: thread-safe. Concurrent appends are serialized into one chain; callers that
// arrive while an fdatasync runs share the next one (group commit).
class AuditLog {
 public:
  // Opens the log at `path`, creating it with mode 0640 (less what the umask removes) when
  // missing, and continues the chain from its last entry. A last line without a newline is an
  // append that a crash interrupted before it was acknowledged: it is cut off and reported
  // through `logger`. Only the last entry is checked here; `vroegctl audit verify` checks all.
  // `logger` is not owned, must not be null, and is used only during the call.
  // Errors: FAILED_PRECONDITION naming the file and line when the last entry is damaged (the
  // collector must not extend a chain it cannot verify) or when another process has the log
  // open; otherwise the errno-derived code (e.g. PERMISSION_DENIED) naming the file.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, Logger* logger);

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;
  ~AuditLog();

  // Appends `event` as the next entry and returns once it is on disk (fdatasync).
  // Errors: INVALID_ARGUMENT when `event.time` is infinite; UNAVAILABLE when the entry could
  // not be written or synced, so that the caller refuses the call it could not record. A failed
  // write is undone, and later appends are tried afresh; only when undoing it fails too does
  // every later append fail, until the collector restarts and Open removes the remains.
  absl::Status Append(const AuditEvent& event);
  // The same, and on success sets `*seq` to the entry's sequence number, so that what the call
  // answers can point at its record.
  absl::Status Append(const AuditEvent& event, uint64_t* seq);

  // Number of entries on disk, i.e. the seq of the last one.
  uint64_t entries() const;
  // Hash of the last entry on disk; 64 zeros for an empty log.
  std::string head_hash() const;

 private:
  // An Append waiting for the fdatasync that covers its entry.
  struct Waiter {
    bool done = false;
    absl::Status status;
  };

  AuditLog(std::string path, int fd, uint64_t entries, std::string head_hash, uint64_t size);

  // Writes `bytes` at the end of the file and syncs. On failure, cuts the file back to
  // `durable_size` and sets `*undone`, or leaves it false when that failed too.
  absl::Status WriteDurably(absl::string_view bytes, uint64_t durable_size, bool* undone);

  const std::string path_;
  // Written only by the Append that has set flushing_, outside mu_.
  const int fd_;

  mutable absl::Mutex mu_;
  // What is on disk.
  uint64_t durable_entries_ ABSL_GUARDED_BY(mu_);
  std::string durable_hash_ ABSL_GUARDED_BY(mu_);
  uint64_t durable_size_ ABSL_GUARDED_BY(mu_);
  // The chain including entries formatted but not yet on disk.
  uint64_t last_entries_ ABSL_GUARDED_BY(mu_);
  std::string last_hash_ ABSL_GUARDED_BY(mu_);
  // Formatted lines waiting for the next write, and their callers.
  std::string pending_ ABSL_GUARDED_BY(mu_);
  std::vector<Waiter*> waiting_ ABSL_GUARDED_BY(mu_);
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;
  // Set for good when a failed write could not be undone.
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
};

struct AuditVerification {
  uint64_t entries = 0;
  std::string first_time;  // of the first entry, as recorded; empty for an empty log
  std::string last_time;   // of the last entry
  std::string head_hash;   // of the last entry; 64 zeros for an empty log
  // The entry whose hash is AuditVerifyOptions::expect_head; 0 when none was expected.
  uint64_t expected_head_entry = 0;
  // Size of a last line without a newline: an append interrupted by a crash, never
  // acknowledged, not verified, and removed when the collector next opens the log. 0 if none.
  uint64_t incomplete_tail_bytes = 0;
};

struct AuditVerifyProgress {
  uint64_t entries = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;
};

// What the caller recorded earlier about the log, to detect entries removed from its end.
struct AuditVerifyOptions {
  // The log must hold at least this many entries.
  std::optional<uint64_t> expect_entries;
  // Some entry must have this hash (lower-case hex); with expect_entries, entry
  // `*expect_entries` must.
  std::optional<std::string> expect_head;
  // Called now and then while a file is read (roughly every megabyte), on the calling thread.
  std::function<void(const AuditVerifyProgress&)> progress;
};

// Reads the whole log at `path` and checks every entry and the chain between them.
// Errors: DATA_LOSS with a message `<path>:<line>: <what>` naming the first bad line (1-based)
// and what is wrong with it: not JSON or a missing member, "sequence gap" (entries removed),
// "sequence out of order" (entries reordered or copied), "prev hash mismatch" (an entry
// replaced), "hash mismatch" (an entry edited), or an unmet expectation from `options`;
// the errno-derived code naming the file when it cannot be read.
absl::StatusOr<AuditVerification> VerifyAuditFile(const std::string& path,
                                                  const AuditVerifyOptions& options = {});

}  // namespace vroeg

#endif  // VROEG_SERVER_AUDIT_AUDIT_LOG_H_
