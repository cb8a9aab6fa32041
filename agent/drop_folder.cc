#include "agent/drop_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vroeg {
namespace {

constexpr char kDoneName[] = "done";
constexpr char kRejectedName[] = "rejected";
constexpr absl::string_view kErrorsSuffix = ".errors.txt";
// Hidden, so that a copy left behind by a crash is not mistaken for a reason file.
constexpr char kErrorsTempName[] = ".errors.txt.tmp";
constexpr mode_t kSubdirMode = 0750;
constexpr mode_t kErrorsFileMode = 0640;

// Closes the descriptor it holds unless released.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

absl::Status PathError(int error, absl::string_view action, absl::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat("drop folder: cannot ", action, " '", path, "'"));
}

bool IsIgnoredName(absl::string_view name) {
  return absl::StartsWith(name, ".") || absl::StartsWith(name, "~$") || absl::EndsWith(name, "~") ||
         absl::EndsWithIgnoreCase(name, ".tmp") || absl::EndsWithIgnoreCase(name, ".part") ||
         absl::EndsWithIgnoreCase(name, ".partial");
}

// The k-th candidate name for `name` in done/ or rejected/: the name itself, then
// <stem>.<k><ext>.
std::string NumberedName(absl::string_view name, uint64_t k) {
  if (k == 0) return std::string(name);
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return absl::StrCat(name, ".", k);
  return absl::StrCat(name.substr(0, dot), ".", k, name.substr(dot));
}

absl::StatusOr<bool> Exists(int dir_fd, absl::string_view dir, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  return PathError(errno, "inspect", JoinPath(dir, name));
}

// Returns 0 or an errno value; EEXIST when `to` exists.
int RenameNoReplace(int from_fd, const std::string& from, int to_fd, const std::string& to) {
  if (::renameat2(from_fd, from.c_str(), to_fd, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // Some file systems cannot rename without replacing. Checking first leaves a window only for
  // someone else writing into done/ or rejected/, which nobody should.
  struct stat st;
  if (::fstatat(to_fd, to.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return EEXIST;
  if (errno != ENOENT) return errno;
  if (::renameat(from_fd, from.c_str(), to_fd, to.c_str()) == 0) return 0;
  return errno;
}

absl::Status SyncDirectory(int fd, absl::string_view path) {
  if (::fsync(fd) != 0) return PathError(errno, "sync directory", path);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return PathError(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

// Opens <dir>/<name>, creating it when missing. Files are moved there by rename, so it must be
// a real directory on the same file system, writable by us.
absl::StatusOr<int> OpenSubdirectory(int dir_fd, const std::string& dir, const char* name,
                                     dev_t device) {
  const std::string path = JoinPath(dir, name);
  bool created = false;
  if (::mkdirat(dir_fd, name, kSubdirMode) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    return PathError(errno, "create directory", path);
  }
  OwnedFd fd(::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOTDIR || errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(
          "drop folder: '", path, "' exists but is not a directory (symbolic links are refused)"));
    }
    return PathError(errno, "open directory", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return PathError(errno, "inspect", path);
  if (st.st_dev != device) {
    return absl::FailedPreconditionError(absl::StrCat("drop folder: '", path,
                                                      "' is on another file system than '", dir,
                                                      "'; files are moved there by renaming"));
  }
  if (::faccessat(dir_fd, name, W_OK | X_OK, AT_EACCESS) != 0) {
    return PathError(errno, "write into", path);
  }
  if (created) VROEG_RETURN_IF_ERROR(SyncDirectory(dir_fd, dir));
  return fd.release();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DropFolder>> DropFolder::Open(const std::string& dir,
                                                             const DropFolderOptions& options,
                                                             const Clock* clock) {
  if (dir.empty()) return absl::InvalidArgumentError("drop folder: the path is empty");
  if (options.settle < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("drop folder '", dir, "': settle must not be negative"));
  }
  if (clock == nullptr) return absl::InvalidArgumentError("drop folder: no clock");
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();

  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("drop folder '", path, "' does not exist"));
    }
    return PathError(errno, "inspect", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("drop folder '", path, "' is not a directory"));
  }
  if (::faccessat(AT_FDCWD, path.c_str(), R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
    if (errno == EACCES || errno == EPERM) {
      return absl::PermissionDeniedError(
          absl::StrCat("drop folder '", path,
                       "' is not writable: the agent needs read, write and search permission "
                       "on it to take files and move them to done/ and rejected/"));
    }
    return PathError(errno, "write into", path);
  }
  OwnedFd dir_fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return PathError(errno, "open directory", path);
  // The directory opened may not be the one checked if it was replaced meanwhile; the device of
  // the one opened is what matters for renames.
  if (::fstat(dir_fd.get(), &st) != 0) return PathError(errno, "inspect", path);

  VROEG_ASSIGN_OR_RETURN(int done_fd_raw,
                         OpenSubdirectory(dir_fd.get(), path, kDoneName, st.st_dev));
  OwnedFd done_fd(done_fd_raw);
  VROEG_ASSIGN_OR_RETURN(int rejected_fd_raw,
                         OpenSubdirectory(dir_fd.get(), path, kRejectedName, st.st_dev));
  OwnedFd rejected_fd(rejected_fd_raw);

  return std::unique_ptr<DropFolder>(new DropFolder(
      std::move(path), options, clock, dir_fd.release(), done_fd.release(), rejected_fd.release()));
}

DropFolder::DropFolder(std::string dir, const DropFolderOptions& options, const Clock* clock,
                       int dir_fd, int done_fd, int rejected_fd)
    : dir_(std::move(dir)),
      done_dir_(JoinPath(dir_, kDoneName)),
      rejected_dir_(JoinPath(dir_, kRejectedName)),
      options_(options),
      clock_(clock),
      dir_fd_(dir_fd),
      done_fd_(done_fd),
      rejected_fd_(rejected_fd) {}

DropFolder::~DropFolder() {
  ::close(rejected_fd_);
  ::close(done_fd_);
  ::close(dir_fd_);
}

absl::StatusOr<std::vector<std::string>> DropFolder::ReadyFiles() {
  // A descriptor of its own for the listing: closedir() closes it, and the stream's position
  // must not be shared with dir_fd_.
  const int list_fd = ::openat(dir_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) return PathError(errno, "open directory", dir_);
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(list_fd), &::closedir);
  if (listing == nullptr) {
    const int error = errno;
    ::close(list_fd);
    return PathError(error, "list", dir_);
  }

  const absl::Time now = clock_->Now();
  absl::flat_hash_map<std::string, Observation> seen;
  std::vector<std::string> refused;
  std::vector<std::pair<int64_t, std::string>> ready;  // modification time, name
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(listing.get());
    if (entry == nullptr) {
      if (errno != 0) return PathError(errno, "list", dir_);
      break;
    }
    std::string name = entry->d_name;
    if (IsIgnoredName(name)) continue;
    struct stat st;
    if (::fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return PathError(errno, "inspect", JoinPath(dir_, name));
    }
    if (S_ISDIR(st.st_mode)) continue;
    if (!S_ISREG(st.st_mode)) {
      refused.push_back(std::move(name));
      continue;
    }
    Observation now_seen{
        .device = st.st_dev,
        .inode = st.st_ino,
        .size = static_cast<int64_t>(st.st_size),
        .mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                    static_cast<int64_t>(st.st_mtim.tv_nsec),
        .since = now,
    };
    auto before = seen_.find(name);
    if (before != seen_.end()) {
      const Observation& old = before->second;
      if (old.device == now_seen.device && old.inode == now_seen.inode &&
          old.size == now_seen.size && old.mtime_ns == now_seen.mtime_ns) {
        now_seen.since = old.since;
        if (now - old.since >= options_.settle) ready.emplace_back(now_seen.mtime_ns, name);
      }
    }
    seen.emplace(std::move(name), now_seen);
  }

  std::sort(ready.begin(), ready.end());
  std::sort(refused.begin(), refused.end());
  seen_ = std::move(seen);
  refused_ = std::move(refused);
  std::vector<std::string> paths;
  paths.reserve(ready.size());
  for (const auto& [mtime_ns, name] : ready) paths.push_back(JoinPath(dir_, name));
  return paths;
}

absl::StatusOr<std::string> DropFolder::NameInFolder(const std::string& path) const {
  const std::filesystem::path given(path);
  const std::string name = given.filename().string();
  if (name.empty() || name == "." || name == ".." ||
      given.lexically_normal() != (std::filesystem::path(dir_) / name).lexically_normal()) {
    return absl::InvalidArgumentError(
        absl::StrCat("drop folder: '", path, "' is not a file directly in '", dir_, "'"));
  }
  struct stat st;
  if (::fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return PathError(errno, "inspect", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("drop folder: '", path, "' is not a regular file"));
  }
  return name;
}

absl::StatusOr<std::string> DropFolder::MoveOut(const std::string& name, int to_fd,
                                                const std::string& to_dir, bool with_errors_file) {
  // Each collision means one more file exists in to_dir, so this ends.
  for (uint64_t k = 0;; ++k) {
    std::string candidate = NumberedName(name, k);
    if (with_errors_file) {
      VROEG_ASSIGN_OR_RETURN(bool taken,
                             Exists(to_fd, to_dir, absl::StrCat(candidate, kErrorsSuffix)));
      if (taken) continue;
    }
    const int error = RenameNoReplace(dir_fd_, name, to_fd, candidate);
    if (error == 0) {
      seen_.erase(name);
      return candidate;
    }
    if (error != EEXIST) {
      return absl::ErrnoToStatus(
          error, absl::StrCat("drop folder: cannot move '", JoinPath(dir_, name), "' to '",
                              JoinPath(to_dir, candidate), "'"));
    }
  }
}

absl::Status DropFolder::SyncAfterMove(int to_fd, const std::string& to_dir,
                                       const std::string& from_path,
                                       const std::string& to_path) const {
  // Destination first: once the new name is durable, a crash can at worst leave the old name
  // as well, never neither.
  absl::Status synced = SyncDirectory(to_fd, to_dir);
  if (synced.ok()) synced = SyncDirectory(dir_fd_, dir_);
  if (synced.ok()) return synced;
  return absl::Status(synced.code(), absl::StrCat(synced.message(), " after moving '", from_path,
                                                  "' to '", to_path, "'"));
}

absl::StatusOr<std::string> DropFolder::MarkDone(const std::string& path) {
  VROEG_ASSIGN_OR_RETURN(const std::string name, NameInFolder(path));
  VROEG_ASSIGN_OR_RETURN(const std::string new_name,
                         MoveOut(name, done_fd_, done_dir_, /*with_errors_file=*/false));
  const std::string new_path = JoinPath(done_dir_, new_name);
  VROEG_RETURN_IF_ERROR(SyncAfterMove(done_fd_, done_dir_, path, new_path));
  return new_path;
}

absl::StatusOr<std::string> DropFolder::MarkRejected(const std::string& path,
                                                     absl::string_view errors) {
  VROEG_ASSIGN_OR_RETURN(const std::string name, NameInFolder(path));

  // The reason is durable before the file moves, so that a rejected file is never found
  // without it, bar the moment between the two renames below.
  const std::string temp_path = JoinPath(rejected_dir_, kErrorsTempName);
  if (::unlinkat(rejected_fd_, kErrorsTempName, 0) != 0 && errno != ENOENT) {
    return PathError(errno, "remove", temp_path);
  }
  {
    OwnedFd fd(::openat(rejected_fd_, kErrorsTempName,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kErrorsFileMode));
    if (fd.get() < 0) return PathError(errno, "create", temp_path);
    absl::Status written = WriteAll(fd.get(), errors, temp_path);
    if (written.ok() && ::fsync(fd.get()) != 0) written = PathError(errno, "sync", temp_path);
    if (written.ok() && ::close(fd.release()) != 0) written = PathError(errno, "close", temp_path);
    if (!written.ok()) {
      ::unlinkat(rejected_fd_, kErrorsTempName, 0);
      return written;
    }
  }

  absl::StatusOr<std::string> new_name =
      MoveOut(name, rejected_fd_, rejected_dir_, /*with_errors_file=*/true);
  if (!new_name.ok()) {
    ::unlinkat(rejected_fd_, kErrorsTempName, 0);
    return new_name.status();
  }
  const std::string new_path = JoinPath(rejected_dir_, *new_name);
  const std::string errors_name = absl::StrCat(*new_name, kErrorsSuffix);
  if (::renameat(rejected_fd_, kErrorsTempName, rejected_fd_, errors_name.c_str()) != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("drop folder: moved '", path, "' to '", new_path,
                            "' but cannot rename its reason from '", temp_path, "' to '",
                            JoinPath(rejected_dir_, errors_name), "'"));
  }
  VROEG_RETURN_IF_ERROR(SyncAfterMove(rejected_fd_, rejected_dir_, path, new_path));
  return new_path;
}

}  // namespace vroeg
