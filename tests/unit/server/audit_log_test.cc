#include "server/audit/audit_log.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "openssl/sha.h"
#include "tests/support/captured_log.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::vroeg::testing::CapturedLog;
using ::vroeg::testing::FileMode;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::StatusIs;
using ::vroeg::testing::TempDir;
using ::vroeg::testing::WriteFile;

const std::string kZeroHash(64, '0');

AuditEvent Submission(absl::Time time, int observations) {
  AuditEvent event;
  event.time = time;
  event.identity = "urn:vroeg:provider:12345678";
  event.certificate_serial = "0a1b2c";
  event.peer = "ipv4:127.0.0.1:5555";
  event.action = "submit";
  event.object = absl::StrCat("2025-03-", observations);
  event.details = {{"observations", absl::StrCat(observations)}};
  event.outcome = "accepted";
  event.code = "OK";
  return event;
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines = absl::StrSplit(ReadWholeFile(path), '\n');
  // The text after the last newline.
  EXPECT_EQ(lines.back(), "") << "the log does not end with a newline";
  lines.pop_back();
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  WriteFile(path, absl::StrCat(absl::StrJoin(lines, "\n"), "\n"));
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2025, 3, 1, 9, 30, 0), absl::UTCTimeZone())),
        log_(&clock_),
        path_(temp_.Sub("audit.jsonl")) {}

  std::unique_ptr<AuditLog> OpenLog() {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path_, &log_.logger());
    EXPECT_THAT(log, IsOk());
    return log.ok() ? *std::move(log) : nullptr;
  }

  // A log of `count` submissions, one second apart, the n-th with n * 100 observations.
  void WriteLog(int count) {
    std::unique_ptr<AuditLog> log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int n = 1; n <= count; ++n) {
      ASSERT_THAT(log->Append(Submission(clock_.Now(), n * 100)), IsOk());
      clock_.Advance(absl::Seconds(1));
    }
  }

  TempDir temp_;
  FakeClock clock_;
  CapturedLog log_;
  const std::string path_;
};

TEST_F(AuditLogTest, WritesOneLineInTheDocumentedFormat) {
  std::unique_ptr<AuditLog> log = OpenLog();
  AuditEvent event = Submission(clock_.Now() + absl::Microseconds(123), 1000);
  event.details.emplace_back("catalogue", "2025.1");
  ASSERT_THAT(log->Append(event), IsOk());

  const std::string content =
      "{\"seq\":1,\"time\":\"2025-03-01T09:30:00.000123Z\",\"identity\":\"urn:vroeg:provider:"
      "12345678\",\"serial\":\"0a1b2c\",\"peer\":\"ipv4:127.0.0.1:5555\",\"action\":\"submit\","
      "\"object\":\"2025-03-1000\",\"details\":{\"observations\":\"1000\",\"catalogue\":"
      "\"2025.1\"},\"outcome\":\"accepted\",\"code\":\"OK\",\"reason\":\"\",\"prev\":\"" +
      kZeroHash + "\"";
  const std::string hash = Sha256Hex(content);
  EXPECT_EQ(ReadWholeFile(path_), absl::StrCat(content, ",\"hash\":\"", hash, "\"}\n"));
  EXPECT_EQ(log->entries(), 1u);
  EXPECT_EQ(log->head_hash(), hash);

  mode_t umask = ::umask(0);
  ::umask(umask);
  EXPECT_EQ(FileMode(path_), static_cast<int>(0640 & ~umask));
}

TEST_F(AuditLogTest, ReopenedLogContinuesTheChain) {
  WriteLog(3);
  std::string head;
  {
    std::unique_ptr<AuditLog> log = OpenLog();
    EXPECT_EQ(log->entries(), 3u);
    head = log->head_hash();
    ASSERT_THAT(log->Append(Submission(clock_.Now(), 400)), IsOk());
    EXPECT_EQ(log->entries(), 4u);
  }
  std::vector<std::string> lines = Lines(path_);
  ASSERT_THAT(lines, SizeIs(4));
  absl::StatusOr<AuditEntry> fourth = ParseAuditLine(lines[3]);
  ASSERT_THAT(fourth, IsOk());
  EXPECT_EQ(fourth->seq, 4u);
  EXPECT_EQ(fourth->prev, head);

  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(path_);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->entries, 4u);
  EXPECT_EQ(verified->first_time, "2025-03-01T09:30:00.000000Z");
  EXPECT_EQ(verified->last_time, "2025-03-01T09:30:03.000000Z");
  EXPECT_EQ(verified->head_hash, fourth->hash);
  EXPECT_EQ(verified->incomplete_tail_bytes, 0u);
  EXPECT_EQ(log_.Text(), "");
}

TEST_F(AuditLogTest, EmptyLogVerifies) {
  std::unique_ptr<AuditLog> log = OpenLog();
  EXPECT_EQ(log->entries(), 0u);
  EXPECT_EQ(log->head_hash(), kZeroHash);
  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(path_);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->entries, 0u);
  EXPECT_EQ(verified->head_hash, kZeroHash);
}

TEST_F(AuditLogTest, ConcurrentAppendsFormOneChain) {
  constexpr int kThreads = 8;
  constexpr int kAppends = 200;
  std::unique_ptr<AuditLog> log = OpenLog();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t, this] {
      for (int i = 0; i < kAppends; ++i) {
        AuditEvent event = Submission(clock_.Now(), i);
        event.object = absl::StrCat(t, "/", i);
        EXPECT_THAT(log->Append(event), IsOk());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(log->entries(), uint64_t{kThreads * kAppends});

  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(path_);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->entries, uint64_t{kThreads * kAppends});
  EXPECT_EQ(verified->head_hash, log->head_hash());
  std::set<std::string> objects;
  for (const std::string& line : Lines(path_)) {
    absl::StatusOr<AuditEntry> entry = ParseAuditLine(line);
    ASSERT_THAT(entry, IsOk());
    objects.insert(entry->event.object);
  }
  EXPECT_THAT(objects, SizeIs(kThreads * kAppends));
}

TEST_F(AuditLogTest, OpenCutsOffAnInterruptedAppend) {
  WriteLog(3);
  const std::string intact = ReadWholeFile(path_);
  for (const std::string& torn : {std::string("{\"seq\":4,\"time\":\"2025-03-01T09:3"),
                                  std::string("{\"se"), std::string(512, '\0')}) {
    WriteFile(path_, intact + torn);
    {
      std::unique_ptr<AuditLog> log = OpenLog();
      ASSERT_NE(log, nullptr);
      EXPECT_EQ(log->entries(), 3u);
    }
    EXPECT_EQ(ReadWholeFile(path_), intact);
    EXPECT_THAT(log_.Text(),
                HasSubstr(absl::StrCat("event=audit_log_interrupted_entry_removed path=", path_,
                                       " entry=4 bytes=", torn.size())));
  }
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_THAT(log->Append(Submission(clock_.Now(), 400)), IsOk());
  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(path_);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->entries, 4u);
}

TEST_F(AuditLogTest, OpenCutsOffAnInterruptedFirstAppend) {
  WriteFile(path_, "{\"seq\":1,\"ti");
  std::unique_ptr<AuditLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->entries(), 0u);
  EXPECT_EQ(ReadWholeFile(path_), "");
}

TEST_F(AuditLogTest, OpenRefusesADamagedLastEntryWithoutChangingTheFile) {
  WriteLog(3);
  std::vector<std::string> lines = Lines(path_);
  lines[2] = absl::StrReplaceAll(lines[2], {{"\"300\"", "\"301\""}});
  WriteLines(path_, lines);
  const std::string damaged = ReadWholeFile(path_) + "{\"seq\":4";
  WriteFile(path_, damaged);

  EXPECT_THAT(AuditLog::Open(path_, &log_.logger()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(StartsWith(absl::StrCat("audit log ", path_, ":3: hash mismatch")),
                             HasSubstr(absl::StrCat("vroegctl audit verify --file ", path_)),
                             HasSubstr("move it aside"))));
  EXPECT_EQ(ReadWholeFile(path_), damaged);
}

TEST_F(AuditLogTest, OpenRefusesAFileThatIsNotAnAuditLog) {
  const std::string text = "ts=2025-03-01 level=info event=started\nnot a log";
  WriteFile(path_, text);
  EXPECT_THAT(AuditLog::Open(path_, &log_.logger()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       StartsWith(absl::StrCat("audit log ", path_,
                                               ":1: not an audit entry: expected '{'"))));
  std::filesystem::remove(path_);
  WriteLog(1);
  const std::string appended = ReadWholeFile(path_) + "not a log";
  WriteFile(path_, appended);
  EXPECT_THAT(AuditLog::Open(path_, &log_.logger()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       StartsWith(absl::StrCat("audit log ", path_,
                                               ":2: the last line has no newline and is not the "
                                               "start of an entry"))));
  EXPECT_EQ(ReadWholeFile(path_), appended);
}

TEST_F(AuditLogTest, OpenRefusesASecondWriter) {
  std::unique_ptr<AuditLog> log = OpenLog();
  EXPECT_THAT(AuditLog::Open(path_, &log_.logger()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use")));
}

TEST_F(AuditLogTest, OpenNamesAMissingDirectory) {
  const std::string path = temp_.Sub("no-such-dir/audit.jsonl");
  EXPECT_THAT(AuditLog::Open(path, &log_.logger()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST_F(AuditLogTest, FailedWriteIsUndoneAndReportedUnavailable) {
  WriteLog(2);
  std::unique_ptr<AuditLog> log = OpenLog();
  const std::string before = ReadWholeFile(path_);

  // The file size limit makes the write fail half way, as a full disk would.
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = before.size() + 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  const absl::Status failed = log->Append(Submission(clock_.Now(), 300));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);

  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable,
                               AllOf(HasSubstr(path_), HasSubstr("could not be recorded"))));
  EXPECT_EQ(ReadWholeFile(path_), before);
  EXPECT_EQ(log->entries(), 2u);

  ASSERT_THAT(log->Append(Submission(clock_.Now(), 300)), IsOk());
  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(path_);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->entries, 3u);
}

TEST_F(AuditLogTest, RefusesAnEventWithoutATime) {
  std::unique_ptr<AuditLog> log = OpenLog();
  EXPECT_THAT(log->Append(Submission(absl::InfiniteFuture(), 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log->entries(), 0u);
}

TEST_F(AuditLogTest, HostileTextStaysOnOneLineAndReadsBack) {
  AuditEvent event = Submission(clock_.Now(), 1);
  event.identity = "urn:vroeg:provider:1\",\"outcome\":\"accepted";
  event.reason = "line one\nline two\r\n{\"seq\":99}\t\\";
  event.object = std::string("nul\0inside", 10);
  event.peer = "ipv4:\xff\xfe:1";         // not UTF-8
  event.certificate_serial = "\xc0\xaf";  // an overlong '/'
  event.details = {{"\x1b[31mred", "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8 \xe2\x80\xae"}};
  {
    std::unique_ptr<AuditLog> log = OpenLog();
    ASSERT_THAT(log->Append(event), IsOk());
    ASSERT_THAT(log->Append(Submission(clock_.Now(), 2)), IsOk());
  }
  const std::vector<std::string> lines = Lines(path_);
  ASSERT_THAT(lines, SizeIs(2));
  for (char c : lines[0]) {
    EXPECT_TRUE(absl::ascii_isprint(c)) << "byte " << static_cast<int>(c) << " in " << lines[0];
  }
  EXPECT_THAT(lines[0], HasSubstr("\\u0000"));
  EXPECT_THAT(lines[0], HasSubstr("\\u001b[31m"));
  EXPECT_THAT(lines[0], HasSubstr("caf\\u00e9 \\ud83d\\ude00 \\u2028 \\u202e"));

  absl::StatusOr<AuditEntry> entry = ParseAuditLine(lines[0]);
  ASSERT_THAT(entry, IsOk());
  EXPECT_EQ(entry->event.identity, event.identity);
  EXPECT_EQ(entry->event.reason, event.reason);
  EXPECT_EQ(entry->event.object, event.object);
  EXPECT_EQ(entry->event.peer, "ipv4:\xef\xbf\xbd\xef\xbf\xbd:1");
  EXPECT_EQ(entry->event.certificate_serial, "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_THAT(entry->event.details,
              ElementsAre(Pair(event.details[0].first, event.details[0].second)));
  EXPECT_EQ(entry->event.outcome, "accepted");
  EXPECT_THAT(VerifyAuditFile(path_), IsOk());
}

TEST_F(AuditLogTest, VerifyFindsAnEditedEntry) {
  WriteLog(5);
  std::vector<std::string> lines = Lines(path_);
  lines[2] =
      absl::StrReplaceAll(lines[2], {{"\"observations\":\"300\"", "\"observations\":\"301\""}});
  WriteLines(path_, lines);
  EXPECT_THAT(VerifyAuditFile(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(absl::StrCat(path_, ":3: hash mismatch: the entry was edited"))));
}

TEST_F(AuditLogTest, VerifyFindsARemovedEntry) {
  WriteLog(5);
  std::vector<std::string> lines = Lines(path_);
  lines.erase(lines.begin() + 2);
  WriteLines(path_, lines);
  EXPECT_THAT(VerifyAuditFile(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       absl::StrCat(path_,
                                    ":3: sequence gap: expected entry 3, found entry 4 "
                                    "(entry 3 was removed)")));

  lines.erase(lines.begin(), lines.begin() + 2);
  WriteLines(path_, lines);
  EXPECT_THAT(VerifyAuditFile(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       absl::StrCat(path_,
                                    ":1: sequence gap: expected entry 1, found entry 4 "
                                    "(entries 1 to 3 were removed)")));
}

TEST_F(AuditLogTest, VerifyFindsReorderedEntries) {
  WriteLog(5);
  std::vector<std::string> lines = Lines(path_);
  std::swap(lines[1], lines[2]);
  WriteLines(path_, lines);
  EXPECT_THAT(VerifyAuditFile(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       absl::StrCat(path_,
                                    ":2: sequence out of order: entry 3 stands where "
                                    "entry 2 belongs, which is on line 3 (entries were "
                                    "reordered)")));

  std::swap(lines[1], lines[2]);
  lines.push_back(lines[1]);
  WriteLines(path_, lines);
  EXPECT_THAT(VerifyAuditFile(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(absl::StrCat(path_,
                                               ":6: sequence out of order: entry 2 "
                                               "follows entry 5"))));
}

TEST_F(AuditLogTest, VerifyFindsAReplacedEntry) {
  WriteLog(3);
  const std::vector<std::string> original = Lines(path_);
  // An entry with a correct hash of its own, taken from another log.
  std::filesystem::remove(path_);
  clock_.Advance(absl::Hours(1));
  WriteLog(3);
  std::vector<std::string> lines = original;
  lines[1] = Lines(path_)[1];
  WriteLines(path_, lines);
  EXPECT_THAT(VerifyAuditFile(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(absl::StrCat(path_, ":2: prev hash mismatch"))));
}

TEST_F(AuditLogTest, VerifyNamesLinesThatAreNotEntries) {
  WriteLog(3);
  std::vector<std::string> lines = Lines(path_);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not an audit entry: empty line"},
      {"garbage", "not an audit entry: expected '{' at column 1"},
      {"{\"seq\":2}", "not an audit entry: missing field \"time\""},
      {absl::StrReplaceAll(lines[1], {{"\"peer\"", "\"pear\""}}),
       "not an audit entry: unknown field \"pear\" where \"peer\" belongs"},
      {absl::StrReplaceAll(lines[1], {{"\"identity\"", "\"serial\""}}),
       "not an audit entry: missing field \"identity\""},
      {absl::StrReplaceAll(lines[1], {{"\"peer\"", "\"identity\""}}),
       "not an audit entry: field \"identity\" repeated or out of order where \"peer\" "
       "belongs"},
      {absl::StrReplaceAll(lines[1], {{"{\"seq\":2", "{\"seq\":\"2\""}}),
       "not an audit entry: field \"seq\": expected a whole number at column 8"},
      {absl::StrCat(lines[1].substr(0, lines[1].size() - 1), ",\"extra\":\"x\"}"),
       "not an audit entry: fields after \"hash\", which must be the last"},
      {absl::StrReplaceAll(lines[1], {{",\"hash\"", ", \"hash\""}}),
       "not an audit entry: the line does not end in ,\"hash\":\"<hash>\"}"},
      {absl::StrReplaceAll(lines[1], {{"2025-03-01T", "2025-03-01 "}}),
       "not an audit entry: field \"time\": \"2025-03-01 09:30:01.000000Z\" is not an RFC "
       "3339 UTC time"},
  };
  for (const auto& [line, error] : cases) {
    std::vector<std::string> damaged = lines;
    damaged[1] = line;
    WriteLines(path_, damaged);
    EXPECT_THAT(VerifyAuditFile(path_), StatusIs(absl::StatusCode::kDataLoss,
                                                 StartsWith(absl::StrCat(path_, ":2: ", error))))
        << line;
  }
}

TEST_F(AuditLogTest, RemovedLastEntriesAreFoundOnlyAgainstARecordedHead) {
  WriteLog(5);
  std::vector<std::string> lines = Lines(path_);
  absl::StatusOr<AuditEntry> fourth = ParseAuditLine(lines[3]);
  absl::StatusOr<AuditEntry> fifth = ParseAuditLine(lines[4]);
  ASSERT_THAT(fourth, IsOk());
  ASSERT_THAT(fifth, IsOk());
  lines.pop_back();
  WriteLines(path_, lines);

  absl::StatusOr<AuditVerification> plain = VerifyAuditFile(path_);
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->entries, 4u);

  AuditVerifyOptions count;
  count.expect_entries = 5;
  EXPECT_THAT(VerifyAuditFile(path_, count),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(absl::StrCat(path_,
                                               ":5: entry 5 is missing: the log ends "
                                               "after entry 4"))));
  AuditVerifyOptions head;
  head.expect_head = fifth->hash;
  EXPECT_THAT(VerifyAuditFile(path_, head),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(absl::StrCat(path_, ":5: no entry has the recorded head hash ",
                                               fifth->hash))));
  AuditVerifyOptions both;
  both.expect_entries = 4;
  both.expect_head = fifth->hash;
  EXPECT_THAT(VerifyAuditFile(path_, both),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(absl::StrCat(path_, ":4: entry 4 has hash ", fourth->hash,
                                               ", not the recorded head ", fifth->hash))));

  // A head recorded earlier is found in a log that has grown since.
  both.expect_head = fourth->hash;
  absl::StatusOr<AuditVerification> grown = VerifyAuditFile(path_, both);
  ASSERT_THAT(grown, IsOk());
  EXPECT_EQ(grown->expected_head_entry, 4u);
  head.expect_head = fourth->hash;
  grown = VerifyAuditFile(path_, head);
  ASSERT_THAT(grown, IsOk());
  EXPECT_EQ(grown->expected_head_entry, 4u);
}

TEST_F(AuditLogTest, VerifyReportsAnInterruptedAppendWithoutFailing) {
  WriteLog(2);
  WriteFile(path_, ReadWholeFile(path_) + "{\"seq\":3,\"ti");
  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(path_);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->entries, 2u);
  EXPECT_EQ(verified->incomplete_tail_bytes, 12u);
}

TEST_F(AuditLogTest, VerifyReportsProgressAndMissingFiles) {
  WriteLog(1);
  {
    std::unique_ptr<AuditLog> log = OpenLog();
    AuditEvent big = Submission(clock_.Now(), 2);
    big.reason = std::string(3 << 20, 'x');
    ASSERT_THAT(log->Append(big), IsOk());
    ASSERT_THAT(log->Append(Submission(clock_.Now(), 3)), IsOk());
  }
  std::vector<AuditVerifyProgress> reports;
  AuditVerifyOptions options;
  options.progress = [&reports](const AuditVerifyProgress& p) { reports.push_back(p); };
  ASSERT_THAT(VerifyAuditFile(path_, options), IsOk());
  ASSERT_THAT(reports, SizeIs(1));
  EXPECT_EQ(reports[0].entries, 2u);
  EXPECT_EQ(reports[0].bytes_total, std::filesystem::file_size(path_));

  EXPECT_THAT(VerifyAuditFile(temp_.Sub("missing.jsonl")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.jsonl")));
}

}  // namespace
}  // namespace vroeg
