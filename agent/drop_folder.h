#ifndef VROEG_AGENT_DROP_FOLDER_H_
#define VROEG_AGENT_DROP_FOLDER_H_

// DropFolder is the file-system side of a drop folder: it finds the exports people (or their
// systems) put into a directory once they are complete, and moves each one out of the way when
// it has been dealt with. It does not read the files.
//
// Layout of a drop folder <dir>:
//   <dir>/<name>                      files waiting to be taken
//   <dir>/done/<name>                 files taken and dealt with (MarkDone)
//   <dir>/rejected/<name>             files set aside (MarkRejected) ...
//   <dir>/rejected/<name>.errors.txt  ... with the reason, for a person to read
// When a name is already taken in done/ or rejected/, the file gets the first free name of
// <stem>.1<ext>, <stem>.2<ext>, ... where <ext> is the last extension (report.csv becomes
// report.1.csv; a name without an extension gets .1, .2, ...). In rejected/ a name is free
// only when its .errors.txt name is free too.
//
// Which files are taken. Only entries directly in <dir> are considered; subdirectories
// (including done/ and rejected/) are ignored. Entries whose name marks them as hidden or as
// the temporary file of a writer are ignored: a leading '.' (which covers LibreOffice's
// .~lock.<name>#), a leading "~$" (Microsoft Office), a trailing '~', and the endings .tmp,
// .part and .partial in any letter case. Anything else that is not a regular file is refused:
// symbolic links (even to a regular file inside <dir>; they are never followed), FIFOs,
// sockets and devices are never returned, never moved and never opened; they stay where they
// are and refused() lists them so that the caller can warn about them.
//
// When a file is complete. A writer may copy a file in slowly, and a scan cannot tell whether
// a file appeared whole (written elsewhere and renamed in) or is still being written. So a
// file is ready only when two scans at least `settle` apart (by the injected clock) saw the
// same size, modification time and inode. Every new or changed file starts its wait anew, so
// a file is never ready on the scan that first sees it, even with a zero `settle`. Writers
// that keep a file open without writing for longer than `settle` should write under a
// temporary name and rename when done.
//
// Durability: a move is a rename within one file system, followed by an fsync() of the
// destination directory and then of <dir>, so that after a crash or power loss a file that
// MarkDone or MarkRejected reported moved is in exactly one place. The .errors.txt is written
// to a hidden temporary file in rejected/ and fsync()ed before the data file is moved, then
// renamed into place. Two DropFolders (in one process or several) must not share a folder.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace vroeg {

struct DropFolderOptions {
  // How long a file's size, modification time and inode must stay unchanged, between two
  // scans, before it is ready. Must not be negative.
  absl::Duration settle = absl::Seconds(2);
};

// One drop folder; see above for what is taken and when.
//
// Thread-safety: not thread-safe. One thread uses a DropFolder; other threads may not call any
// method, including waiting(), without their own locking.
class DropFolder {
 public:
  // Opens the drop folder `dir` (a symbolic link to a directory is fine) and creates
  // <dir>/done and <dir>/rejected when missing, with mode 0750 as far as the umask allows.
  // `clock` is not owned, must not be null and must outlive the DropFolder. The returned
  // DropFolder keeps the directories open: renaming or replacing <dir> afterwards does not
  // redirect it.
  // Errors, each with a message naming the path:
  //   INVALID_ARGUMENT     `dir` is empty or options.settle is negative;
  //   NOT_FOUND            `dir` does not exist;
  //   FAILED_PRECONDITION  `dir` (or a component of it) is not a directory, or done/ or
  //                        rejected/ exists but is not a directory (a symbolic link is refused);
  //   PERMISSION_DENIED    the agent may not list, write and search `dir`, or cannot create or
  //                        open done/ or rejected/ for lack of permission;
  //   otherwise the errno-derived code.
  static absl::StatusOr<std::unique_ptr<DropFolder>> Open(const std::string& dir,
                                                          const DropFolderOptions& options,
                                                          const Clock* clock);

  DropFolder(const DropFolder&) = delete;
  DropFolder& operator=(const DropFolder&) = delete;
  ~DropFolder();

  // Scans the folder and returns the paths (<dir>/<name>, with `dir` as given to Open less any
  // trailing '/') of the files that are ready, oldest modification time first, ties broken by
  // name (byte order). A ready file is returned by every scan until it is moved or changes.
  // Files that vanished since the previous scan are forgotten; if one comes back it waits
  // anew. Also updates waiting() and refused().
  // Errors: the errno-derived code with a message naming the path when the folder cannot be
  // listed or an entry cannot be inspected (an entry removed during the scan is not an error).
  absl::StatusOr<std::vector<std::string>> ReadyFiles();

  // Moves `path`, a regular file directly in the folder (normally one that ReadyFiles
  // returned; other spellings are compared lexically, without resolving links), to <dir>/done/
  // under a free name (see above), then fsyncs done/ and <dir>. Returns the new path. Errors:
  // INVALID_ARGUMENT when `path` is not directly in the folder; NOT_FOUND when it does not exist;
  // FAILED_PRECONDITION when it is not a regular file (or is a symbolic link); otherwise the
  // errno-derived code, with a message naming the path. The file is still in the folder after an
  // error, except when syncing a directory fails after the rename: that error's message names both
  // paths.
  absl::StatusOr<std::string> MarkDone(const std::string& path);

  // Like MarkDone, but moves `path` to <dir>/rejected/ and writes `errors` (verbatim) to
  // <new name>.errors.txt next to it (mode 0640 as far as the umask allows). Returns the new
  // path of the data file. Errors as for MarkDone; if the errors file cannot be written the data
  // file is not moved, and if the last step, renaming the errors file into place, fails, the
  // error names the temporary file that holds the text.
  absl::StatusOr<std::string> MarkRejected(const std::string& path, absl::string_view errors);

  // The number of files in the folder at the last scan that may be taken once complete, ready
  // or not, less those moved since; for a metric. Ignored and refused entries are not counted.
  size_t waiting() const { return seen_.size(); }

  // Names (not paths) of the entries that the last scan refused, in byte order; see above.
  const std::vector<std::string>& refused() const { return refused_; }

  // The folder's path, as given to Open less any trailing '/'.
  const std::string& dir() const { return dir_; }

 private:
  // What a scan saw of a file.
  struct Observation {
    dev_t device = 0;
    ino_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    // When the clock first read this observation: the start of the file's wait.
    absl::Time since;
  };

  DropFolder(std::string dir, const DropFolderOptions& options, const Clock* clock, int dir_fd,
             int done_fd, int rejected_fd);

  // Checks that `path` names a regular file directly in the folder and returns its name.
  absl::StatusOr<std::string> NameInFolder(const std::string& path) const;
  // Renames <dir>/<name> into the directory `to_fd` (its path `to_dir`) under a free name and
  // returns that name. With `with_errors_file`, a name is free only when <name>.errors.txt is.
  absl::StatusOr<std::string> MoveOut(const std::string& name, int to_fd, const std::string& to_dir,
                                      bool with_errors_file);
  // Syncs the directory `to_fd` (its path `to_dir`), then the folder. Errors say that
  // `from_path` was already moved to `to_path`.
  absl::Status SyncAfterMove(int to_fd, const std::string& to_dir, const std::string& from_path,
                             const std::string& to_path) const;

  std::string dir_;
  std::string done_dir_;
  std::string rejected_dir_;
  DropFolderOptions options_;
  const Clock* clock_;
  int dir_fd_;
  int done_fd_;
  int rejected_fd_;
  absl::flat_hash_map<std::string, Observation> seen_;
  std::vector<std::string> refused_;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_DROP_FOLDER_H_
