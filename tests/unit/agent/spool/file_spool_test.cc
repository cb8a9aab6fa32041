#include "agent/spool/file_spool.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/agent/spool/spool_contract.h"
#include "vroeg/agent/v1/spool.pb.h"

namespace vroeg {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::IsOkAndHolds;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::StatusIs;
using ::vroeg::testing::TempDir;
using ::vroeg::testing::WriteFile;

const absl::Time kT0 = absl::FromUnixSeconds(1767323045) + absl::Microseconds(123456);

// A spool in a fresh temporary directory; its log goes to a file next to it.
class FileSpoolFactory : public SpoolFactory {
 public:
  ~FileSpoolFactory() override {
    logger_.reset();
    if (log_file_ != nullptr) std::fclose(log_file_);
  }
  absl::StatusOr<std::unique_ptr<Spool>> Create(uint64_t max_bytes, const Clock* clock) override {
    options_.max_bytes = max_bytes;
    clock_ = clock;
    log_file_ = std::fopen(dir_.Sub("spool.log").c_str(), "w");
    logger_ = std::make_unique<Logger>(log_file_, clock);
    return Open();
  }
  absl::StatusOr<std::unique_ptr<Spool>> Reopen() override { return Open(); }
  std::string QuarantineRecord(uint64_t sequence, const std::string& submission_id) override {
    return ReadWholeFile(
        dir_.Sub(absl::StrCat("spool/quarantine/", sequence, "-", submission_id, ".txt")));
  }

 private:
  absl::StatusOr<std::unique_ptr<Spool>> Open() {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool =
        FileSpool::Open(dir_.Sub("spool"), options_, clock_, logger_.get());
    if (!spool.ok()) return spool.status();
    return std::unique_ptr<Spool>(std::move(*spool));
  }

  TempDir dir_;
  FileSpoolOptions options_;
  const Clock* clock_ = nullptr;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
};

INSTANTIATE_TEST_SUITE_P(File, SpoolContractTest,
                         ::testing::Values(SpoolContractParam{
                             "file", [] { return std::make_unique<FileSpoolFactory>(); }}),
                         SpoolContractParamName);

// Names in `dir` that start with `prefix`, sorted.
std::vector<std::string> FilesIn(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, prefix)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string SegmentName(uint64_t first) {
  return absl::StrCat("segment-", absl::Dec(first, absl::kZeroPad20), ".log");
}

std::vector<std::string> Ids(const std::vector<SpooledSubmission>& submissions) {
  std::vector<std::string> ids;
  for (const SpooledSubmission& submission : submissions) {
    ids.push_back(submission.request.submission_id());
  }
  return ids;
}

void FlipByte(const std::string& path, size_t offset) {
  std::string data = ReadWholeFile(path);
  ASSERT_LT(offset, data.size()) << path;
  data[offset] = static_cast<char>(data[offset] ^ 0x20);
  WriteFile(path, data);
}

class FileSpoolTest : public ::testing::Test {
 protected:
  FileSpoolTest()
      : log_file_(std::fopen(dir_.Sub("spool.log").c_str(), "w")), logger_(log_file_, &clock_) {}
  ~FileSpoolTest() override { std::fclose(log_file_); }

  absl::StatusOr<std::unique_ptr<FileSpool>> Open(const FileSpoolOptions& options = {}) {
    return FileSpool::Open(spool_dir(), options, &clock_, &logger_);
  }
  // Opens the spool in another directory, e.g. a copy of this one.
  absl::StatusOr<std::unique_ptr<FileSpool>> OpenAt(const std::string& dir,
                                                    const FileSpoolOptions& options = {}) {
    return FileSpool::Open(dir, options, &clock_, &logger_);
  }

  std::string spool_dir() const { return dir_.Sub("spool"); }
  std::string segment_path(uint64_t first) const {
    return absl::StrCat(spool_dir(), "/", SegmentName(first));
  }
  std::vector<std::string> Segments() const { return FilesIn(spool_dir(), "segment-"); }
  std::vector<std::string> CorruptFiles() const {
    return FilesIn(spool_dir() + "/quarantine", "corrupt-");
  }
  std::string Log() const {
    std::fflush(log_file_);
    return ReadWholeFile(dir_.Sub("spool.log"));
  }

  static std::vector<std::string> PendingIds(Spool& spool) {
    absl::StatusOr<std::vector<SpooledSubmission>> pending = spool.Peek(100000);
    EXPECT_THAT(pending, IsOk());
    return pending.ok() ? Ids(*pending) : std::vector<std::string>{};
  }

  // The framed size of the entry `submission` gets (with a sequence below 128).
  uint64_t RecordBytes(const api::v1::SubmitRequest& submission) {
    TempDir scratch;
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = OpenAt(scratch.Sub("spool"));
    EXPECT_THAT(spool, IsOk());
    if (!spool.ok()) return 0;
    EXPECT_THAT((*spool)->Append(submission, "x.csv"), IsOk());
    return (*spool)->Stats().pending_bytes;
  }

  TempDir dir_;
  FakeClock clock_{kT0};
  std::FILE* log_file_;
  Logger logger_;
};

TEST_F(FileSpoolTest, AcknowledgingEverythingLeavesNoSegmentFilesAcrossReopen) {
  FileSpoolOptions options;
  options.segment_bytes = 2 * RecordBytes(TestSubmission("s1"));
  std::vector<uint64_t> sequences;
  {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
    ASSERT_THAT(spool, IsOk());
    for (int i = 1; i <= 5; ++i) {
      absl::StatusOr<uint64_t> sequence =
          (*spool)->Append(TestSubmission(absl::StrCat("s", i)), "x.csv");
      ASSERT_THAT(sequence, IsOk());
      sequences.push_back(*sequence);
    }
    EXPECT_THAT(Segments(), SizeIs(3));
    for (int i : {2, 0, 4, 1, 3}) ASSERT_THAT((*spool)->Acknowledge(sequences[i]), IsOk());
    EXPECT_THAT(Segments(), IsEmpty());
    EXPECT_EQ((*spool)->Stats().disk_bytes, 0u);
  }
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT(PendingIds(**spool), IsEmpty());
  EXPECT_THAT(Segments(), IsEmpty());
  absl::StatusOr<uint64_t> next = (*spool)->Append(TestSubmission("s6"), "x.csv");
  ASSERT_THAT(next, IsOk());
  EXPECT_GT(*next, sequences.back());
}

TEST_F(FileSpoolTest, RollsOverToANewSegmentAtSegmentBytes) {
  const uint64_t record = RecordBytes(TestSubmission("s1"));
  FileSpoolOptions options;
  options.segment_bytes = 3 * record;
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
  ASSERT_THAT(spool, IsOk());
  std::vector<uint64_t> sequences;
  for (int i = 1; i <= 7; ++i) {
    absl::StatusOr<uint64_t> sequence =
        (*spool)->Append(TestSubmission(absl::StrCat("s", i)), "x.csv");
    ASSERT_THAT(sequence, IsOk());
    sequences.push_back(*sequence);
  }
  ASSERT_EQ(sequences.front(), 1u);
  EXPECT_THAT(Segments(), ElementsAre(SegmentName(1), SegmentName(4), SegmentName(7)));
  EXPECT_EQ(fs::file_size(segment_path(1)), 3 * record);
  EXPECT_EQ(fs::file_size(segment_path(4)), 3 * record);
  EXPECT_EQ(fs::file_size(segment_path(7)), record);

  // A segment goes as soon as all its entries are settled, whatever the others hold.
  ASSERT_THAT((*spool)->Acknowledge(5), IsOk());
  ASSERT_THAT((*spool)->Quarantine(4, "refused"), IsOk());
  ASSERT_THAT((*spool)->Acknowledge(6), IsOk());
  EXPECT_THAT(Segments(), ElementsAre(SegmentName(1), SegmentName(7)));

  // A submission larger than a segment gets one of its own.
  absl::StatusOr<uint64_t> big = (*spool)->Append(TestSubmission("big", 40), "x.csv");
  ASSERT_THAT(big, IsOk());
  absl::StatusOr<uint64_t> after = (*spool)->Append(TestSubmission("s9"), "x.csv");
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(Segments(),
              ElementsAre(SegmentName(1), SegmentName(7), SegmentName(*big), SegmentName(*after)));
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2", "s3", "s7", "big", "s9"));
}

// kill -9 or power loss in the middle of an append leaves part of the last record. Whatever part,
// every earlier submission is still there and nothing counts as corrupt.
TEST_F(FileSpoolTest, TornTailAtEveryOffsetOfTheLastRecordLosesNothingBefore) {
  uint64_t before_last = 0;
  uint64_t total = 0;
  {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
    ASSERT_THAT(spool, IsOk());
    ASSERT_THAT((*spool)->Append(TestSubmission("s1", 2), "x.csv"), IsOk());
    ASSERT_THAT((*spool)->Append(TestSubmission("s2", 2), "x.csv"), IsOk());
    before_last = (*spool)->Stats().disk_bytes;
    ASSERT_THAT((*spool)->Append(TestSubmission("s3", 2), "x.csv"), IsOk());
    total = (*spool)->Stats().disk_bytes;
  }
  ASSERT_EQ(fs::file_size(segment_path(1)), total);
  const std::string original = ReadWholeFile(segment_path(1));

  for (uint64_t cut = before_last; cut < total; ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut, " of ", total));
    // Both a file that ends early and one whose end the file system never filled (zeros).
    for (bool zero_filled : {false, true}) {
      TempDir copy;
      const std::string dir = copy.Sub("spool");
      fs::copy(spool_dir(), dir, fs::copy_options::recursive);
      std::string damaged = original.substr(0, cut);
      if (zero_filled) damaged.resize(original.size(), '\0');
      WriteFile(absl::StrCat(dir, "/", SegmentName(1)), damaged);

      absl::StatusOr<std::unique_ptr<FileSpool>> spool = OpenAt(dir);
      ASSERT_THAT(spool, IsOk());
      EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2"));
      EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 0u);
      EXPECT_THAT(FilesIn(dir + "/quarantine", ""), IsEmpty());
      absl::StatusOr<uint64_t> next = (*spool)->Append(TestSubmission("s4", 2), "x.csv");
      ASSERT_THAT(next, IsOk());
      EXPECT_GT(*next, 2u);

      // What follows the repaired tail is intact: a second restart finds no damage.
      spool->reset();
      spool = OpenAt(dir);
      ASSERT_THAT(spool, IsOk());
      EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2", "s4"));
      EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 0u);
    }
  }
  EXPECT_THAT(Log(), HasSubstr("level=info event=spool_torn_tail_truncated"));
  EXPECT_THAT(Log(), Not(HasSubstr("level=warning")));
}

// A settlement cut short never returned OK, so the submission is still pending; this also holds
// for settlements appended to an older segment.
TEST_F(FileSpoolTest, TornSettlementLeavesTheSubmissionPending) {
  FileSpoolOptions options;
  options.segment_bytes = 2 * RecordBytes(TestSubmission("s1"));
  uint64_t before = 0;
  uint64_t after = 0;
  {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
    ASSERT_THAT(spool, IsOk());
    for (const char* id : {"s1", "s2", "s3"}) {
      ASSERT_THAT((*spool)->Append(TestSubmission(id), "x.csv"), IsOk());
    }
    ASSERT_THAT(Segments(), ElementsAre(SegmentName(1), SegmentName(3)));
    before = fs::file_size(segment_path(1));
    ASSERT_THAT((*spool)->Acknowledge(2), IsOk());
    after = fs::file_size(segment_path(1));
  }
  const std::string original = ReadWholeFile(segment_path(1));
  for (uint64_t cut = before; cut < after; ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    TempDir copy;
    const std::string dir = copy.Sub("spool");
    fs::copy(spool_dir(), dir, fs::copy_options::recursive);
    WriteFile(absl::StrCat(dir, "/", SegmentName(1)), original.substr(0, cut));
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = OpenAt(dir, options);
    ASSERT_THAT(spool, IsOk());
    EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2", "s3"));
    EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 0u);
  }
  // Untouched, the acknowledgement holds.
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s3"));
}

// Nine submissions in three segments of three.
class DamagedSegmentTest : public FileSpoolTest {
 protected:
  void SetUp() override {
    record_ = RecordBytes(TestSubmission("s1"));
    options_.segment_bytes = 3 * record_;
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options_);
    ASSERT_THAT(spool, IsOk());
    for (int i = 1; i <= 9; ++i) {
      ASSERT_THAT((*spool)->Append(TestSubmission(absl::StrCat("s", i)), "x.csv"), IsOk());
    }
    ASSERT_THAT(Segments(), ElementsAre(SegmentName(1), SegmentName(4), SegmentName(7)));
  }

  uint64_t record_ = 0;
  FileSpoolOptions options_;
};

TEST_F(DamagedSegmentTest, DamageInsideAnOlderSegmentSetsAsideThatSegmentOnly) {
  const std::string original = ReadWholeFile(segment_path(1));
  struct Spot {
    const char* what;
    size_t offset;
  };
  // Magic, length, CRC and payload of the first record; the middle and the end of the last.
  const std::vector<Spot> spots = {
      {"magic", 0},
      {"length", 5},
      {"crc", 9},
      {"payload", record_ / 2},
      {"middle record", record_ + record_ / 2},
      {"last record", 2 * record_ + record_ / 2},
      {"last byte", 3 * record_ - 1},
  };
  for (const Spot& spot : spots) {
    SCOPED_TRACE(spot.what);
    WriteFile(segment_path(1), original);
    FlipByte(segment_path(1), spot.offset);
    const std::string damaged = ReadWholeFile(segment_path(1));
    TempDir copy;
    const std::string dir = copy.Sub("spool");
    fs::copy(spool_dir(), dir, fs::copy_options::recursive);

    absl::StatusOr<std::unique_ptr<FileSpool>> spool = OpenAt(dir, options_);
    ASSERT_THAT(spool, IsOk());
    EXPECT_THAT(PendingIds(**spool), ElementsAre("s4", "s5", "s6", "s7", "s8", "s9"));
    EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 1u);
    EXPECT_THAT(FilesIn(dir, "segment-"), ElementsAre(SegmentName(4), SegmentName(7)));
    // Set aside as it was found, for a person to look at.
    EXPECT_EQ(ReadWholeFile(absl::StrCat(dir, "/quarantine/corrupt-", SegmentName(1))), damaged);
    EXPECT_THAT(Log(), AllOf(HasSubstr("level=warning event=spool_segment_corrupt"),
                             HasSubstr(SegmentName(1))));
    // What could be read before the damage is named, so that a person can send it again.
    if (spot.offset >= 2 * record_) {
      EXPECT_THAT(
          Log(),
          AllOf(HasSubstr("pending_before_damage=2"), HasSubstr("event=spool_submission_not_sent"),
                HasSubstr("submission=\"x.csv (s1)\""), HasSubstr("submission=\"x.csv (s2)\"")));
    }
    absl::StatusOr<uint64_t> next = (*spool)->Append(TestSubmission("s10"), "x.csv");
    ASSERT_THAT(next, IsOk());
    EXPECT_EQ(*next, 10u);
  }
}

TEST_F(DamagedSegmentTest, DamageInTheNewestSegmentDoesNotLetSequencesBeReused) {
  FlipByte(segment_path(7), 3);
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options_);
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2", "s3", "s4", "s5", "s6"));
  EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 1u);
  EXPECT_THAT(CorruptFiles(), ElementsAre("corrupt-" + SegmentName(7)));
  // Sequences 8 and 9 sit after the damage in the set-aside file; they stay used.
  EXPECT_THAT((*spool)->Append(TestSubmission("s10"), "x.csv"), IsOkAndHolds(10u));
  for (uint64_t sequence = 1; sequence <= 6; ++sequence) {
    ASSERT_THAT((*spool)->Acknowledge(sequence), IsOk());
  }
  ASSERT_THAT((*spool)->Acknowledge(10), IsOk());
  spool->reset();
  spool = Open(options_);
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT((*spool)->Append(TestSubmission("s11"), "x.csv"), IsOkAndHolds(11u));
}

TEST_F(DamagedSegmentTest, DamageFoundAfterOpenSetsTheSegmentAsideOnPeek) {
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options_);
  ASSERT_THAT(spool, IsOk());
  FlipByte(segment_path(4), record_ + record_ / 2);

  absl::StatusOr<std::vector<SpooledSubmission>> pending = (*spool)->Peek(5);
  ASSERT_THAT(pending, IsOk());
  EXPECT_THAT(Ids(*pending), ElementsAre("s1", "s2", "s3", "s7", "s8"));
  EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 1u);
  EXPECT_EQ((*spool)->Stats().pending_submissions, 6u);
  EXPECT_THAT(CorruptFiles(), ElementsAre("corrupt-" + SegmentName(4)));
  EXPECT_THAT(Log(), HasSubstr("level=warning event=spool_segment_corrupt"));
  EXPECT_THAT((*spool)->Acknowledge(5), StatusIs(absl::StatusCode::kNotFound));

  spool->reset();
  spool = Open(options_);
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2", "s3", "s7", "s8", "s9"));
}

TEST_F(FileSpoolTest, ForeignFilesAreIgnoredOrSetAsideNeverFatal) {
  {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
    ASSERT_THAT(spool, IsOk());
    ASSERT_THAT((*spool)->Append(TestSubmission("s1"), "x.csv"), IsOk());
  }
  WriteFile(spool_dir() + "/notes.txt", "written by an operator\n");
  WriteFile(spool_dir() + "/segment-x.log", "not a segment name\n");
  WriteFile(spool_dir() + "/" + SegmentName(5), "text that merely has a segment's name\n");
  WriteFile(spool_dir() + "/" + SegmentName(6), "");
  fs::create_directory(spool_dir() + "/subdir");

  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1"));
  EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 1u);
  EXPECT_THAT(CorruptFiles(), ElementsAre("corrupt-" + SegmentName(5)));
  EXPECT_TRUE(fs::exists(spool_dir() + "/notes.txt"));
  EXPECT_TRUE(fs::exists(spool_dir() + "/segment-x.log"));
  EXPECT_THAT(Log(), AllOf(HasSubstr("spool_unknown_files_ignored"), HasSubstr("notes.txt")));
  // An empty segment is what a crash right after creating one leaves; it is simply removed.
  EXPECT_THAT(Segments(), ElementsAre(SegmentName(1), "segment-x.log"));
  absl::StatusOr<uint64_t> next = (*spool)->Append(TestSubmission("s2"), "x.csv");
  EXPECT_THAT(next, IsOkAndHolds(7u));
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2"));
}

TEST_F(FileSpoolTest, DamagedStateFileIsSetAsideAndSequencesComeFromTheSegments) {
  {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
    ASSERT_THAT(spool, IsOk());
    ASSERT_THAT((*spool)->Append(TestSubmission("s1"), "x.csv"), IsOk());
    ASSERT_THAT((*spool)->Append(TestSubmission("s2"), "x.csv"), IsOk());
  }
  WriteFile(spool_dir() + "/state", "garbage");
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
  ASSERT_THAT(spool, IsOk());
  EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 1u);
  EXPECT_THAT(CorruptFiles(), ElementsAre("corrupt-state"));
  EXPECT_THAT(PendingIds(**spool), ElementsAre("s1", "s2"));
  EXPECT_THAT((*spool)->Append(TestSubmission("s3"), "x.csv"), IsOkAndHolds(3u));
}

TEST_F(FileSpoolTest, QuarantineWritesReadableTextAndTheBinaryRequest) {
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
  ASSERT_THAT(spool, IsOk());
  api::v1::SubmitRequest request = TestSubmission("2026-01/aanbod 1", 2);
  absl::StatusOr<uint64_t> sequence = (*spool)->Append(request, "drop/aanbod.csv");
  ASSERT_THAT(sequence, IsOk());
  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(
      (*spool)->Quarantine(*sequence, "INVALID_ARGUMENT: row 3, column value: -3 is below 0"),
      IsOk());

  // The id's '/' and ' ' cannot leave the quarantine directory.
  const std::string base =
      absl::StrCat(spool_dir(), "/quarantine/", *sequence, "-2026-01_aanbod_1");
  const std::string text = ReadWholeFile(base + ".txt");
  EXPECT_THAT(text, HasSubstr("reason: INVALID_ARGUMENT: row 3, column value: -3 is below 0\n"));
  EXPECT_THAT(text, HasSubstr("submission_id: 2026-01/aanbod 1\n"));
  EXPECT_THAT(text, HasSubstr("source: drop/aanbod.csv\n"));
  EXPECT_THAT(text, HasSubstr("spooled_at: 2026-01-02T03:04:05.123456+00:00\n"));
  EXPECT_THAT(text, HasSubstr("quarantined_at: 2026-01-02T03:05:05.123456+00:00\n"));
  // The submission in protobuf text format.
  EXPECT_THAT(text, HasSubstr("observations {\n  indicator: \"wachtenden\""));
  api::v1::SubmitRequest binary;
  ASSERT_TRUE(binary.ParseFromString(ReadWholeFile(base + ".binpb")));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(binary, request));
  EXPECT_THAT(FilesIn(spool_dir() + "/quarantine", ""), SizeIs(2));
  EXPECT_THAT(Log(),
              AllOf(HasSubstr("event=spool_submission_quarantined"), HasSubstr("drop/aanbod.csv")));
}

TEST_F(FileSpoolTest, SegmentFilesStayWithinMaxBytesWhileFillingAndDraining) {
  FileSpoolOptions options;
  options.max_bytes = 16 * 1024;
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
  ASSERT_THAT(spool, IsOk());
  auto on_disk = [&] {
    uint64_t total = 0;
    for (const std::string& name : Segments()) total += fs::file_size(spool_dir() + "/" + name);
    EXPECT_EQ(total, (*spool)->Stats().disk_bytes);
    return total;
  };
  std::vector<uint64_t> sequences;
  for (int i = 0;; ++i) {
    ASSERT_LT(i, 1000);
    absl::StatusOr<uint64_t> sequence =
        (*spool)->Append(TestSubmission(absl::StrCat("s", i), 4), "x.csv");
    if (!sequence.ok()) {
      EXPECT_THAT(sequence, StatusIs(absl::StatusCode::kResourceExhausted,
                                     AllOf(HasSubstr("max_bytes 16384"), HasSubstr(spool_dir()))));
      break;
    }
    sequences.push_back(*sequence);
    EXPECT_LE(on_disk(), options.max_bytes);
  }
  // Settling never needs room that is not there, even in a full spool.
  for (size_t i = 0; i < sequences.size(); ++i) {
    absl::Status settled = i % 5 == 0 ? (*spool)->Quarantine(sequences[i], "refused")
                                      : (*spool)->Acknowledge(sequences[i]);
    ASSERT_THAT(settled, IsOk());
    EXPECT_LE(on_disk(), options.max_bytes);
  }
  EXPECT_EQ(on_disk(), 0u);
}

// The entry record is written without copying the request into it; what reaches the disk must
// still be exactly the serialized SpoolRecord, so that spools written before and after read the
// same. A file-sized request (10,000 observations) also comes back whole.
TEST_F(FileSpoolTest, EntryOnDiskIsTheSerializedRecordAndALargeRequestComesBackWhole) {
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
  ASSERT_THAT(spool, IsOk());
  const api::v1::SubmitRequest request = TestSubmission("large", 10000);
  ASSERT_THAT((*spool)->Append(request, "drop/large.csv"), IsOkAndHolds(1));

  agent::v1::SpoolRecord expected;
  expected.set_kind(agent::v1::SPOOL_RECORD_KIND_ENTRY);
  expected.set_sequence(1);
  *expected.mutable_request() = request;
  expected.set_source("drop/large.csv");
  expected.mutable_spooled_at()->set_seconds(absl::ToUnixSeconds(kT0));
  expected.mutable_spooled_at()->set_nanos(123456000);
  const std::string payload = expected.SerializeAsString();
  const std::string segment = ReadWholeFile(segment_path(1));
  constexpr size_t kHeaderBytes = 12;
  ASSERT_EQ(segment.size(), kHeaderBytes + payload.size());
  EXPECT_TRUE(segment.substr(kHeaderBytes) == payload) << "the record's bytes differ";
  const uint32_t length = static_cast<uint8_t>(segment[4]) |
                          static_cast<uint32_t>(static_cast<uint8_t>(segment[5])) << 8 |
                          static_cast<uint32_t>(static_cast<uint8_t>(segment[6])) << 16 |
                          static_cast<uint32_t>(static_cast<uint8_t>(segment[7])) << 24;
  EXPECT_EQ(length, payload.size());

  spool->reset();
  spool = Open();
  ASSERT_THAT(spool, IsOk());
  absl::StatusOr<std::vector<SpooledSubmission>> pending = (*spool)->Peek(10);
  ASSERT_THAT(pending, IsOkAndHolds(SizeIs(1)));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*pending)[0].request, request));
  EXPECT_EQ((*pending)[0].source, "drop/large.csv");
}

// Peek holds what it returns in memory, parsed: large submissions come a few at a time, and
// still every one of them, in order.
TEST_F(FileSpoolTest, PeekReadsLargeSubmissionsAFewAtATime) {
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
  ASSERT_THAT(spool, IsOk());
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_THAT((*spool)->Append(TestSubmission(id, 6000), absl::StrCat(id, ".csv")), IsOk());
  }
  ASSERT_GT((*spool)->Stats().pending_bytes, uint64_t{1} << 20);
  std::vector<std::string> delivered;
  int peeks = 0;
  for (; peeks < 10; ++peeks) {
    absl::StatusOr<std::vector<SpooledSubmission>> pending = (*spool)->Peek(32);
    ASSERT_THAT(pending, IsOk());
    if (pending->empty()) break;
    EXPECT_LT(pending->size(), 3u);
    for (const SpooledSubmission& submission : *pending) {
      delivered.push_back(submission.request.submission_id());
      ASSERT_THAT((*spool)->Acknowledge(submission.sequence), IsOk());
    }
  }
  EXPECT_THAT(delivered, ElementsAre("a", "b", "c"));
  EXPECT_GE(peeks, 2);
}

TEST_F(FileSpoolTest, SubmissionThatCanNeverFitIsInvalidArgument) {
  FileSpoolOptions options;
  options.max_bytes = 4096;
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open(options);
  ASSERT_THAT(spool, IsOk());
  EXPECT_THAT((*spool)->Append(TestSubmission("huge", 200), "huge.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("huge"), HasSubstr("max_bytes 4096"))));
  EXPECT_THAT(Segments(), IsEmpty());
  EXPECT_THAT((*spool)->Append(TestSubmission("small", 1), "small.csv"), IsOk());
}

TEST_F(FileSpoolTest, MissingDirectoryIsCreatedPrivate) {
  const std::string dir = dir_.Sub("var/lib/vroeg/spool");
  absl::StatusOr<std::unique_ptr<FileSpool>> spool = OpenAt(dir);
  ASSERT_THAT(spool, IsOk());
  EXPECT_EQ(testing::FileMode(dir), 0700);
  EXPECT_TRUE(fs::is_directory(dir + "/quarantine"));
}

TEST_F(FileSpoolTest, SecondOpenOfTheSameDirectoryIsRefused) {
  absl::StatusOr<std::unique_ptr<FileSpool>> first = Open();
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr(spool_dir()), HasSubstr("in use"))));
  first->reset();
  EXPECT_THAT(Open(), IsOk());
}

TEST_F(FileSpoolTest, BadOptionsAreInvalidArgument) {
  FileSpoolOptions options;
  options.max_bytes = 0;
  EXPECT_THAT(Open(options), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_bytes")));
  options = {};
  options.segment_bytes = 0;
  EXPECT_THAT(Open(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segment_bytes")));
}

TEST_F(FileSpoolTest, PathThatIsAFileIsAClearError) {
  WriteFile(spool_dir(), "not a directory");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr(spool_dir()), HasSubstr("not a directory"))));
}

// Root may read anything, so as root the attempt runs in a child that drops to nobody.
TEST_F(FileSpoolTest, UnreadableDirectoryIsAClearError) {
  ASSERT_EQ(::mkdir(spool_dir().c_str(), 0700), 0);
  auto attempt = [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<FileSpool>> spool = Open();
    return spool.status();
  };
  auto matches = [&](const absl::Status& status) {
    return status.code() == absl::StatusCode::kPermissionDenied &&
           absl::StrContains(status.message(), spool_dir());
  };
  if (::geteuid() != 0) {
    ASSERT_EQ(::chmod(spool_dir().c_str(), 0), 0);
    const absl::Status status = attempt();
    ::chmod(spool_dir().c_str(), 0700);
    EXPECT_TRUE(matches(status)) << status;
    return;
  }
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    const absl::Status status = attempt();
    std::fprintf(stderr, "as nobody: %s\n", status.ToString().c_str());
    ::_exit(matches(status) ? 0 : 1);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  if (WEXITSTATUS(wait_status) == 2) GTEST_SKIP() << "cannot switch to an unprivileged user";
  EXPECT_EQ(WEXITSTATUS(wait_status), 0) << "see the message above";
}

}  // namespace
}  // namespace vroeg
