#ifndef VROEG_AGENT_SPOOL_FILE_SPOOL_H_
#define VROEG_AGENT_SPOOL_FILE_SPOOL_H_

// FileSpool keeps the spool in one directory of append-only files.
//
// Directory layout:
//   segment-<first sequence, 20 digits>.log   records, appended to and never rewritten
//   state                                     one record holding the next sequence; replaced
//                                             atomically (write state.tmp, fsync, rename)
//   lock                                      flock()ed while a FileSpool has the directory open
//   quarantine/<sequence>-<submission id>.txt reason, source and the submission as protobuf text
//   quarantine/<sequence>-<submission id>.binpb   the SubmitRequest in binary, for resending
//   quarantine/corrupt-<file name>[.<n>]      a segment (or state file) found damaged
// Other files are left alone (and named in a warning at Open).
//
// Record framing, integers little-endian:
//   magic   4 bytes  56 53 50 E7
//   length  4 bytes  payload length, at most 64 MiB
//   crc     4 bytes  CRC-32 (zlib polynomial) of the 4 length bytes followed by the payload
//   payload          a serialized vroeg.agent.v1.SpoolRecord (proto/vroeg/agent/v1/spool.proto)
//
// A segment holds entries (a submission with its sequence) and settlement records
// (acknowledged or quarantined, naming a sequence). Entries are appended to the newest segment
// until it would grow past segment_bytes; then, and on the first append after Open, a segment
// named after the entry's sequence is created. A settlement is appended to the segment that
// holds its entry, so every segment is self-contained: once all its entries are settled it is
// deleted, whatever the other segments hold. A sequence is pending when its entry has no
// settlement. `state` holds one framed vroeg.agent.v1.SpoolState.
//
// Durability: every Append, Acknowledge and Quarantine writes its record and fdatasync()s the
// file before returning OK; creating, renaming or deleting a file is followed by an fsync() of
// its directory. Before the segment holding the highest sequence is deleted (or set aside), the
// next sequence is written to `state`, so sequences are never reused.
//
// Size bound: the segment files plus room for one settlement record per pending entry never
// exceed max_bytes, so acknowledging never needs space that is not there. `state`, `lock` and
// quarantine/ are outside the bound; quarantine/ is for people to inspect and clear.
//
// Recovery at Open: each segment is read record by record. A record that is not intact
// (bad magic, impossible length, CRC mismatch, unparsable, or inconsistent with the records
// before it) is either
//   - a torn tail: nothing intact follows it and it looks like the start of an append that was
//     cut short (its magic with a length reaching the end of the file, or zeros the file system
//     allocated but never filled). In the newest segment this may be any record; an older
//     segment only receives settlements, so there it may be at most one settlement record long.
//     The segment is truncated to its last intact record and an info line is logged: this is
//     what kill -9 or power loss during a write leaves behind, and the interrupted operation
//     never returned OK. Damage to the very last record of the newest segment cannot be told
//     from this case and is handled the same way.
//   - otherwise corruption: the whole segment moves to quarantine/, a warning names it, it is
//     counted in corrupt_segments_total, and Open carries on with the other segments.
// A record found damaged later, when Peek or Quarantine reads it, is handled as corruption of
// its segment in the same way.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/spool/spool.h"
#include "common/clock.h"
#include "common/log.h"
#include "vroeg/agent/v1/spool.pb.h"

namespace vroeg {

struct FileSpoolOptions {
  // Bound on the spool's files (see the size bound above). Appends beyond it are refused with
  // RESOURCE_EXHAUSTED.
  uint64_t max_bytes = uint64_t{1} << 30;
  // A new segment file is started when the newest would grow past this. Space is reclaimed a
  // whole segment at a time, so at most a quarter of max_bytes is used: a full spool then frees
  // room once its oldest submissions are acknowledged.
  uint64_t segment_bytes = uint64_t{16} << 20;
};

// A Spool in a directory of files; see above for the format and recovery rules.
//
// Thread-safety: thread-safe. Calls are serialized; each one that changes the spool waits for
// its own fdatasync.
class FileSpool : public Spool {
 public:
  // Opens the spool in `dir`, creating the directory (mode 0700) when missing, and recovers
  // what a crash left behind. Damaged content never makes Open fail; it is set aside and
  // reported as described above. `clock` and `logger` are not owned, must not be null and must
  // outlive the spool.
  // Errors: INVALID_ARGUMENT for bad options; FAILED_PRECONDITION when `dir` is not a directory
  // or another FileSpool (in this or another process) has it open; otherwise the errno-derived code
  // (e.g. PERMISSION_DENIED) with a message naming the path when the directory or a file in it
  // cannot be created, read or written.
  static absl::StatusOr<std::unique_ptr<FileSpool>> Open(const std::string& dir,
                                                         const FileSpoolOptions& options,
                                                         const Clock* clock, Logger* logger);

  FileSpool(const FileSpool&) = delete;
  FileSpool& operator=(const FileSpool&) = delete;
  ~FileSpool() override;

  // Spool methods; see spool.h. Storage errors carry the errno-derived code and name the file.
  absl::StatusOr<uint64_t> Append(const api::v1::SubmitRequest& request,
                                  absl::string_view source) override;
  absl::StatusOr<std::vector<SpooledSubmission>> Peek(size_t max) override;
  absl::Status Acknowledge(uint64_t sequence) override;
  absl::Status Quarantine(uint64_t sequence, absl::string_view reason) override;
  SpoolStats Stats() const override;

  // The quarantine directory, <dir>/quarantine.
  std::string quarantine_dir() const;

 private:
  // Where a pending entry's record is.
  struct Entry {
    uint64_t segment = 0;  // first sequence of the segment, the key in segments_
    uint64_t offset = 0;
    uint64_t size = 0;  // framed record size
    absl::Time spooled_at;
  };
  struct Segment {
    std::string path;
    uint64_t size = 0;         // bytes of intact records; writes go here
    uint64_t pending = 0;      // entries without a settlement
    bool name_synced = false;  // the directory was fsynced since the file was created
  };
  struct ScannedSegment;

  FileSpool(std::string dir, const FileSpoolOptions& options, const Clock* clock, Logger* logger,
            int lock_fd);

  absl::Status Recover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReadState() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads one segment; `next_segment_first` is the next segment's first sequence, or 0.
  static absl::StatusOr<ScannedSegment> ScanSegment(uint64_t first, const std::string& path,
                                                    uint64_t next_segment_first);
  absl::Status PersistNextSequence() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Writes `framed` at the segment's end and syncs it; on failure cuts the file back.
  absl::Status WriteRecord(Segment& segment, int fd, absl::string_view framed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends a settlement for a pending entry and removes it from pending.
  absl::Status Settle(uint64_t sequence, agent::v1::SpoolRecordKind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes a segment whose entries are all settled. Failures are logged: the settlements are
  // durable, so the space is reclaimed at the next Open at the latest.
  void ReclaimSegment(uint64_t first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Segment files opened for reading during one call, closed when it returns.
  struct Readers;
  // Reads a pending entry's record back. DATA_LOSS when the record is damaged.
  absl::StatusOr<agent::v1::SpoolRecord> ReadEntry(uint64_t sequence, const Entry& entry,
                                                   Readers& readers)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets a segment found damaged after Open aside, with its pending entries.
  void QuarantineDamagedSegment(uint64_t first, absl::string_view problem)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves `path` to quarantine/corrupt-<name>, not replacing anything there.
  absl::StatusOr<std::string> MoveToQuarantine(const std::string& path) const;
  absl::Status WriteQuarantineFiles(uint64_t sequence, const agent::v1::SpoolRecord& record,
                                    absl::string_view reason) const;
  void CloseActive() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t UsedBytes() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const FileSpoolOptions options_;
  const Clock* const clock_;
  Logger* const logger_;
  const int lock_fd_;

  mutable absl::Mutex mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  // The next sequence as last written to `state`.
  uint64_t persisted_next_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Segment> segments_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Entry> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t disk_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // The segment appends go to, open read-write; -1 when the next append starts a new one.
  int active_fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t active_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t quarantined_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t corrupt_segments_total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_SPOOL_FILE_SPOOL_H_
