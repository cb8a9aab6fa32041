#include "agent/drop_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::IsOkAndHolds;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::StatusIs;
using ::vroeg::testing::TempDir;

namespace fs = std::filesystem;

constexpr absl::Duration kSettle = absl::Seconds(2);

// Gives `path` the modification time `unix_seconds`, without following a symbolic link.
void SetModificationTime(const std::string& path, int64_t unix_seconds) {
  const timespec times[2] = {{.tv_sec = unix_seconds, .tv_nsec = 0},
                             {.tv_sec = unix_seconds, .tv_nsec = 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class DropFolderTest : public ::testing::Test {
 protected:
  std::unique_ptr<DropFolder> OpenFolder(absl::Duration settle = kSettle) {
    absl::StatusOr<std::unique_ptr<DropFolder>> folder =
        DropFolder::Open(tmp_.path(), DropFolderOptions{.settle = settle}, &clock_);
    EXPECT_THAT(folder, IsOk());
    return folder.ok() ? std::move(*folder) : nullptr;
  }

  // Scans, then scans again once `settle` has passed, and returns the second scan.
  std::vector<std::string> ScanTwice(DropFolder& folder) {
    EXPECT_THAT(folder.ReadyFiles(), IsOk());
    clock_.Advance(kSettle);
    absl::StatusOr<std::vector<std::string>> ready = folder.ReadyFiles();
    EXPECT_THAT(ready, IsOk());
    return ready.ok() ? *ready : std::vector<std::string>{};
  }

  std::string Path(const std::string& name) const { return tmp_.Sub(name); }

  TempDir tmp_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
};

TEST_F(DropFolderTest, OpenCreatesDoneAndRejected) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  for (const char* name : {"done", "rejected"}) {
    EXPECT_TRUE(fs::is_directory(Path(name))) << name;
    // 0750 less whatever the umask takes away.
    EXPECT_EQ(::vroeg::testing::FileMode(Path(name)) & ~0750, 0) << name;
  }
  EXPECT_EQ(folder->dir(), tmp_.path());
}

TEST_F(DropFolderTest, OpenKeepsExistingSubdirectoriesAndTheirFiles) {
  tmp_.WriteFile("done/old.csv", "a");
  tmp_.WriteFile("rejected/old.csv", "b");
  ASSERT_NE(OpenFolder(), nullptr);
  EXPECT_EQ(ReadWholeFile(Path("done/old.csv")), "a");
  EXPECT_EQ(ReadWholeFile(Path("rejected/old.csv")), "b");
}

TEST_F(DropFolderTest, OpenStripsTrailingSlashes) {
  auto folder = DropFolder::Open(tmp_.path() + "//", DropFolderOptions{}, &clock_);
  ASSERT_THAT(folder, IsOk());
  EXPECT_EQ((*folder)->dir(), tmp_.path());
}

TEST_F(DropFolderTest, OpenMissingDirectoryIsNotFound) {
  const std::string missing = Path("missing");
  EXPECT_THAT(DropFolder::Open(missing, DropFolderOptions{}, &clock_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_FALSE(fs::exists(missing));
}

TEST_F(DropFolderTest, OpenRegularFileIsFailedPrecondition) {
  const std::string file = tmp_.WriteFile("file.csv", "x");
  EXPECT_THAT(DropFolder::Open(file, DropFolderOptions{}, &clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(file)));
}

TEST_F(DropFolderTest, OpenRefusesDoneThatIsNotADirectory) {
  tmp_.WriteFile("done", "not a directory");
  EXPECT_THAT(DropFolder::Open(tmp_.path(), DropFolderOptions{}, &clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(Path("done"))));
}

TEST_F(DropFolderTest, OpenRefusesRejectedThatIsASymbolicLink) {
  TempDir elsewhere;
  fs::create_directory_symlink(elsewhere.path(), Path("rejected"));
  EXPECT_THAT(DropFolder::Open(tmp_.path(), DropFolderOptions{}, &clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(Path("rejected"))));
}

TEST_F(DropFolderTest, OpenNotWritableIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  const std::string dir = Path("locked");
  ASSERT_EQ(::mkdir(dir.c_str(), 0500), 0);
  EXPECT_THAT(DropFolder::Open(dir, DropFolderOptions{}, &clock_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(dir)));
  ::chmod(dir.c_str(), 0700);
}

TEST_F(DropFolderTest, OpenRejectsBadArguments) {
  EXPECT_THAT(DropFolder::Open("", DropFolderOptions{}, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      DropFolder::Open(tmp_.path(), DropFolderOptions{.settle = absl::Seconds(-1)}, &clock_),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("settle")));
  EXPECT_THAT(DropFolder::Open(tmp_.path(), DropFolderOptions{}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DropFolderTest, NewFileIsReadyOnlyOnceUnchangedForSettle) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "a,b\n");

  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(folder->waiting(), 1u);
  clock_.Advance(kSettle - absl::Milliseconds(1));
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
  // Still ready until it is moved.
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
  EXPECT_EQ(folder->waiting(), 1u);
}

TEST_F(DropFolderTest, ZeroSettleStillNeedsTwoScans) {
  auto folder = OpenFolder(absl::ZeroDuration());
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "a,b\n");
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
}

TEST_F(DropFolderTest, GrowingFileWaitsUntilStableAgain) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "a,b\n");
  SetModificationTime(file, 1'000);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));

  clock_.Advance(kSettle);
  tmp_.WriteFile("export.csv", "a,b\n1,2\n");
  SetModificationTime(file, 1'001);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));

  clock_.Advance(kSettle / 2);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(kSettle / 2);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
}

TEST_F(DropFolderTest, RewrittenFileOfTheSameSizeWaitsAgain) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "1,2\n");
  SetModificationTime(file, 1'000);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(kSettle);
  tmp_.WriteFile("export.csv", "3,4\n");
  SetModificationTime(file, 1'005);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(kSettle);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
}

TEST_F(DropFolderTest, FileReplacedByRenameWaitsAgain) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "1,2\n");
  SetModificationTime(file, 1'000);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(kSettle);
  // Same size and modification time, but another file (inode).
  const std::string staged = tmp_.WriteFile(".staged", "3,4\n");
  SetModificationTime(staged, 1'000);
  fs::rename(staged, file);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(kSettle);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
}

TEST_F(DropFolderTest, IgnoresHiddenAndTemporaryNamesAndSubdirectories) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  for (const char* name :
       {".hidden.csv", "a.tmp", "b.csv.TMP", "c.csv.part", "d.Partial", "e.csv~", ".~lock.f.csv#",
        "~$g.csv", "sub/nested.csv", "done/finished.csv", "rejected/bad.csv"}) {
    tmp_.WriteFile(name, "x");
  }
  const std::string taken = tmp_.WriteFile("taken.csv", "x");
  // Near misses that are ordinary names.
  const std::string tmpl = tmp_.WriteFile("template.csv", "x");
  const std::string tilde = tmp_.WriteFile("a~b.csv", "x");
  SetModificationTime(taken, 1);
  SetModificationTime(tmpl, 2);
  SetModificationTime(tilde, 3);

  EXPECT_THAT(ScanTwice(*folder), ElementsAre(taken, tmpl, tilde));
  EXPECT_EQ(folder->waiting(), 3u);
  EXPECT_THAT(folder->refused(), IsEmpty());
}

TEST_F(DropFolderTest, RefusesSymbolicLinksAndOtherNonRegularFiles) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string target = tmp_.WriteFile("target.csv", "inside");
  TempDir elsewhere;
  const std::string outside = elsewhere.WriteFile("secret.csv", "outside");
  fs::create_symlink(target, Path("inside-link.csv"));
  fs::create_symlink(outside, Path("outside-link.csv"));
  fs::create_symlink(Path("nowhere"), Path("dangling.csv"));
  fs::create_directory_symlink(elsewhere.path(), Path("linked-dir"));
  ASSERT_EQ(::mkfifo(Path("pipe.csv").c_str(), 0600), 0);

  EXPECT_THAT(ScanTwice(*folder), ElementsAre(target));
  EXPECT_THAT(folder->refused(), ElementsAre("dangling.csv", "inside-link.csv", "linked-dir",
                                             "outside-link.csv", "pipe.csv"));
  EXPECT_EQ(folder->waiting(), 1u);

  EXPECT_THAT(folder->MarkDone(Path("outside-link.csv")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("outside-link.csv")));
  EXPECT_THAT(folder->MarkRejected(Path("inside-link.csv"), "no"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(fs::is_symlink(Path("outside-link.csv")));
  EXPECT_TRUE(fs::is_symlink(Path("inside-link.csv")));
  EXPECT_THAT(Listing(Path("done")), IsEmpty());
  EXPECT_THAT(Listing(Path("rejected")), IsEmpty());
  EXPECT_EQ(ReadWholeFile(outside), "outside");

  // Once a refused entry is gone, it is no longer listed.
  fs::remove(Path("pipe.csv"));
  EXPECT_THAT(folder->ReadyFiles(), IsOk());
  EXPECT_THAT(folder->refused(),
              ElementsAre("dangling.csv", "inside-link.csv", "linked-dir", "outside-link.csv"));
}

TEST_F(DropFolderTest, OrdersByModificationTimeThenName) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string c = tmp_.WriteFile("c.csv", "x");
  const std::string b = tmp_.WriteFile("b.csv", "x");
  const std::string a = tmp_.WriteFile("a.csv", "x");
  const std::string d = tmp_.WriteFile("d.csv", "x");
  SetModificationTime(c, 100);
  SetModificationTime(b, 300);
  SetModificationTime(a, 200);
  SetModificationTime(d, 100);
  EXPECT_THAT(ScanTwice(*folder), ElementsAre(c, d, a, b));
}

TEST_F(DropFolderTest, MarkDoneMovesTheFile) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "a,b\n1,2\n");
  ASSERT_THAT(ScanTwice(*folder), ElementsAre(file));

  EXPECT_THAT(folder->MarkDone(file), IsOkAndHolds(Path("done/export.csv")));
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(ReadWholeFile(Path("done/export.csv")), "a,b\n1,2\n");
  EXPECT_EQ(folder->waiting(), 0u);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
}

TEST_F(DropFolderTest, MarkDonePicksAFreeNameOnCollision) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  tmp_.WriteFile("done/export.csv", "first");
  tmp_.WriteFile("done/export.1.csv", "second");
  tmp_.WriteFile("done/plain", "first");
  tmp_.WriteFile("done/a.b.csv", "first");
  const std::string file = tmp_.WriteFile("export.csv", "third");
  const std::string plain = tmp_.WriteFile("plain", "second");
  const std::string dotted = tmp_.WriteFile("a.b.csv", "second");

  EXPECT_THAT(folder->MarkDone(file), IsOkAndHolds(Path("done/export.2.csv")));
  EXPECT_THAT(folder->MarkDone(plain), IsOkAndHolds(Path("done/plain.1")));
  EXPECT_THAT(folder->MarkDone(dotted), IsOkAndHolds(Path("done/a.b.1.csv")));
  EXPECT_EQ(ReadWholeFile(Path("done/export.csv")), "first");
  EXPECT_EQ(ReadWholeFile(Path("done/export.1.csv")), "second");
  EXPECT_EQ(ReadWholeFile(Path("done/export.2.csv")), "third");
  EXPECT_EQ(ReadWholeFile(Path("done/plain.1")), "second");
  EXPECT_EQ(ReadWholeFile(Path("done/a.b.1.csv")), "second");
}

TEST_F(DropFolderTest, MarkDoneAcceptsOtherSpellingsOfThePath) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  tmp_.WriteFile("export.csv", "x");
  EXPECT_THAT(folder->MarkDone(tmp_.path() + "/./export.csv"),
              IsOkAndHolds(Path("done/export.csv")));
}

TEST_F(DropFolderTest, MarkDoneRefusesPathsOutsideTheFolder) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  TempDir elsewhere;
  const std::string outside = elsewhere.WriteFile("export.csv", "x");
  const std::string nested = tmp_.WriteFile("sub/export.csv", "x");
  EXPECT_THAT(folder->MarkDone(outside),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(outside)));
  EXPECT_THAT(folder->MarkDone(nested), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(folder->MarkDone(tmp_.path()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(folder->MarkDone(Path("done")), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(fs::exists(outside));
  EXPECT_TRUE(fs::exists(nested));
}

TEST_F(DropFolderTest, MarkingAFileThatVanishedIsNotFound) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "x");
  ASSERT_THAT(ScanTwice(*folder), ElementsAre(file));
  fs::remove(file);
  EXPECT_THAT(folder->MarkDone(file), StatusIs(absl::StatusCode::kNotFound, HasSubstr(file)));
  EXPECT_THAT(folder->MarkRejected(file, "bad"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(file)));
  EXPECT_THAT(Listing(Path("rejected")), IsEmpty());
}

TEST_F(DropFolderTest, MarkRejectedWritesTheErrorsFileNextToIt) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "a,b\n1,x\n");
  ASSERT_THAT(ScanTwice(*folder), ElementsAre(file));
  const std::string errors =
      "row 2, column b, value \"x\": not a number\nrow 3, column a: géén waarde\n";

  EXPECT_THAT(folder->MarkRejected(file, errors), IsOkAndHolds(Path("rejected/export.csv")));
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.csv")), "a,b\n1,x\n");
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.csv.errors.txt")), errors);
  EXPECT_EQ(::vroeg::testing::FileMode(Path("rejected/export.csv.errors.txt")) & ~0640, 0);
  // No temporary file is left behind.
  EXPECT_THAT(Listing(Path("rejected")), ElementsAre("export.csv", "export.csv.errors.txt"));
  EXPECT_EQ(folder->waiting(), 0u);
}

TEST_F(DropFolderTest, MarkRejectedPicksANameFreeForBothFiles) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  // A reason without its file still blocks the name, and so does a file without its reason.
  tmp_.WriteFile("rejected/export.csv.errors.txt", "old reason");
  tmp_.WriteFile("rejected/export.1.csv", "old file");
  const std::string file = tmp_.WriteFile("export.csv", "new file");

  EXPECT_THAT(folder->MarkRejected(file, "new reason"),
              IsOkAndHolds(Path("rejected/export.2.csv")));
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.2.csv")), "new file");
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.2.csv.errors.txt")), "new reason");
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.csv.errors.txt")), "old reason");
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.1.csv")), "old file");
  EXPECT_FALSE(fs::exists(Path("rejected/export.1.csv.errors.txt")));
}

TEST_F(DropFolderTest, MarkRejectedWithEmptyErrorsWritesAnEmptyFile) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "x");
  EXPECT_THAT(folder->MarkRejected(file, ""), IsOkAndHolds(Path("rejected/export.csv")));
  EXPECT_TRUE(fs::exists(Path("rejected/export.csv.errors.txt")));
  EXPECT_EQ(ReadWholeFile(Path("rejected/export.csv.errors.txt")), "");
}

TEST_F(DropFolderTest, FileDeletedBetweenScansIsForgotten) {
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  const std::string file = tmp_.WriteFile("export.csv", "x");
  SetModificationTime(file, 1'000);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(folder->waiting(), 1u);

  fs::remove(file);
  clock_.Advance(kSettle);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(folder->waiting(), 0u);

  // Back with the same size and time: it waits anew rather than counting the earlier scan.
  tmp_.WriteFile("export.csv", "x");
  SetModificationTime(file, 1'000);
  clock_.Advance(kSettle);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  clock_.Advance(kSettle);
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(ElementsAre(file)));
}

TEST_F(DropFolderTest, HandlesAThousandFiles) {
  constexpr int kFiles = 1'000;
  auto folder = OpenFolder();
  ASSERT_NE(folder, nullptr);
  std::vector<std::string> expected;
  for (int i = 0; i < kFiles; ++i) {
    // Modification times run against name order, so the order returned must come from them.
    const std::string path = tmp_.WriteFile(absl::StrFormat("export-%04d.csv", i), "a,b\n");
    SetModificationTime(path, 10'000 - i);
    expected.insert(expected.begin(), path);
  }
  EXPECT_THAT(folder->ReadyFiles(), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(folder->waiting(), static_cast<size_t>(kFiles));
  clock_.Advance(kSettle);
  absl::StatusOr<std::vector<std::string>> ready = folder->ReadyFiles();
  ASSERT_THAT(ready, IsOk());
  EXPECT_EQ(*ready, expected);

  for (const std::string& path : *ready) ASSERT_THAT(folder->MarkDone(path), IsOk());
  EXPECT_EQ(folder->waiting(), 0u);
  EXPECT_EQ(Listing(Path("done")).size(), static_cast<size_t>(kFiles));
  EXPECT_THAT(Listing(tmp_.path()), ElementsAre("done", "rejected"));
}

}  // namespace
}  // namespace vroeg
