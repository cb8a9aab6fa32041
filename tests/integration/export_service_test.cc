// ExportObservations against the real vroeg-collector, with certificates from the real PKI:
// who may export, what the stream holds, and what the audit log records of it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"
#include "vroeg/api/v1/export.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";
constexpr char kOtherProvider[] = "urn:vroeg:provider:98990013";
constexpr char kSupervisor[] = "urn:vroeg:supervisor:nza";
constexpr char kRegionOperator[] = "urn:vroeg:region:flevoland";
constexpr char kOtherRegion[] = "urn:vroeg:region:utrecht";

api::v1::Observation Waiting(const std::string& start, const std::string& end, double value,
                             const std::string& municipality) {
  api::v1::Observation o;
  o.set_indicator("wachtenden");
  o.set_care_form("verblijf");
  o.set_municipality(municipality);
  o.mutable_period()->set_start(start);
  o.mutable_period()->set_end(end);
  o.set_value(value);
  return o;
}

// What a test reads of one stream.
struct Export {
  grpc::Status status;
  int responses = 0;
  bool header_first = false;
  bool header_later = false;
  api::v1::ExportHeader header;
  // "reporter municipality start..end value submission current|>superseded_by"
  std::vector<std::string> rows;
};

class ExportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = region_.CollectorConfig();
    WriteFile(config, ReadWholeFile(config) + "export_readers: [" + kRegionOperator + "]\n");
    auto collector = RunningCollector::Start(config, region_.dir() + "/collector.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }

  void Submit(const std::string& caller, const std::string& id,
              const std::vector<api::v1::Observation>& observations) {
    auto stub =
        api::v1::SubmissionService::NewStub(region_.Channel(collector_->grpc_port(), caller));
    api::v1::SubmitRequest request;
    request.set_submission_id(id);
    for (const api::v1::Observation& o : observations) *request.add_observations() = o;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    api::v1::SubmitResponse response;
    grpc::Status status = stub->Submit(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << collector_->process().Log();
  }

  Export Read(const std::string& caller, const api::v1::ExportObservationsRequest& request) {
    auto stub = api::v1::ExportService::NewStub(region_.Channel(collector_->grpc_port(), caller));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto reader = stub->ExportObservations(&context, request);
    Export result;
    api::v1::ExportObservationsResponse response;
    while (reader->Read(&response)) {
      if (response.has_header()) {
        (result.responses == 0 ? result.header_first : result.header_later) = true;
        result.header = response.header();
      }
      ++result.responses;
      for (const api::v1::ExportedObservation& row : response.observations()) {
        const api::v1::Observation& o = row.observation();
        result.rows.push_back(absl::StrCat(
            row.reporter(), " ", o.municipality(), " ", o.period().start(), "..", o.period().end(),
            " ", o.value(), " ", row.submission_id(), " ",
            row.current() ? "current" : absl::StrCat(">", row.superseded_by_submission_id())));
        EXPECT_EQ(row.region(), "flevoland");
        EXPECT_EQ(row.has_superseded_at(), !row.current());
      }
    }
    result.status = reader->Finish();
    return result;
  }

  // Two providers, one correction.
  void SubmitFigures() {
    Submit(kProvider, "p-1",
           {Waiting("2026-09-01", "2026-09-30", 12, "GM0034"),
            Waiting("2026-10-01", "2026-10-31", 14, "GM0303")});
    Submit(kOtherProvider, "o-1", {Waiting("2026-09-01", "2026-09-30", 7, "GM0034")});
    Submit(kProvider, "p-2", {Waiting("2026-09-01", "2026-09-30", 13, "GM0034")});
  }

  std::string AuditLog() { return ReadWholeFile(region_.dir() + "/collector.audit.log"); }

  TestRegion region_;
  std::unique_ptr<RunningCollector> collector_;
};

TEST_F(ExportServiceTest, OnlyTheSupervisorAndListedRegionOperatorsMayExport) {
  SubmitFigures();
  for (const char* caller : {kProvider, kOtherRegion}) {
    Export refused = Read(caller, api::v1::ExportObservationsRequest());
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << caller;
    EXPECT_THAT(refused.status.error_message(), HasSubstr("(rule export_not_allowed)"));
    EXPECT_TRUE(refused.rows.empty());
    EXPECT_EQ(refused.responses, 0);
  }
  for (const char* caller : {kSupervisor, kRegionOperator}) {
    Export allowed = Read(caller, api::v1::ExportObservationsRequest());
    EXPECT_TRUE(allowed.status.ok()) << caller << ": " << allowed.status.error_message();
    EXPECT_EQ(allowed.rows.size(), 3u) << caller;
  }
  auto metrics = collector_->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(
      SampleValue(*metrics, "vroeg_authorization_refusals_total{rule=\"export_not_allowed\"}"), 2);
}

TEST_F(ExportServiceTest, SupervisorGetsExactlyTheStoredRowsWithHeaderFirst) {
  SubmitFigures();
  Export current = Read(kSupervisor, api::v1::ExportObservationsRequest());
  ASSERT_TRUE(current.status.ok()) << current.status.error_message();
  EXPECT_TRUE(current.header_first);
  EXPECT_FALSE(current.header_later);
  EXPECT_EQ(current.header.collector_region(), "flevoland");
  EXPECT_FALSE(current.header.catalogue_version().empty());
  EXPECT_GT(current.header.audit_seq(), 0u);
  EXPECT_THAT(
      current.rows,
      ElementsAre(absl::StrCat(kProvider, " GM0034 2026-09-01..2026-09-30 13 p-2 current"),
                  absl::StrCat(kOtherProvider, " GM0034 2026-09-01..2026-09-30 7 o-1 current"),
                  absl::StrCat(kProvider, " GM0303 2026-10-01..2026-10-31 14 p-1 current")));

  api::v1::ExportObservationsRequest filtered;
  filtered.mutable_filter()->mutable_period_end()->set_end("2026-09-30");
  filtered.mutable_filter()->add_reporters(kProvider);
  Export september = Read(kSupervisor, filtered);
  ASSERT_TRUE(september.status.ok()) << september.status.error_message();
  EXPECT_THAT(september.rows, ElementsAre(absl::StrCat(
                                  kProvider, " GM0034 2026-09-01..2026-09-30 13 p-2 current")));

  api::v1::ExportObservationsRequest by_municipality;
  by_municipality.mutable_filter()->add_municipalities("GM0303");
  EXPECT_THAT(
      Read(kSupervisor, by_municipality).rows,
      ElementsAre(absl::StrCat(kProvider, " GM0303 2026-10-01..2026-10-31 14 p-1 current")));

  // Nothing matches: the header still comes, alone.
  api::v1::ExportObservationsRequest none;
  none.mutable_filter()->mutable_period_end()->set_start("2027-01-01");
  Export empty = Read(kSupervisor, none);
  ASSERT_TRUE(empty.status.ok()) << empty.status.error_message();
  EXPECT_TRUE(empty.header_first);
  EXPECT_EQ(empty.responses, 1);
  EXPECT_TRUE(empty.rows.empty());
}

TEST_F(ExportServiceTest, HistoryShowsTheCorrectionWithWhatSupersededIt) {
  SubmitFigures();
  api::v1::ExportObservationsRequest request;
  request.set_mode(api::v1::EXPORT_MODE_HISTORY);
  request.mutable_filter()->add_reporters(kProvider);
  Export history = Read(kSupervisor, request);
  ASSERT_TRUE(history.status.ok()) << history.status.error_message();
  EXPECT_THAT(
      history.rows,
      ElementsAre(absl::StrCat(kProvider, " GM0034 2026-09-01..2026-09-30 12 p-1 >p-2"),
                  absl::StrCat(kProvider, " GM0034 2026-09-01..2026-09-30 13 p-2 current"),
                  absl::StrCat(kProvider, " GM0303 2026-10-01..2026-10-31 14 p-1 current")));
}

TEST_F(ExportServiceTest, ManyRowsComeInSeveralResponsesInOrder) {
  // More rows than one response holds: 6 municipalities x 96 months, from 2017.
  const std::vector<std::string> municipalities = {"GM0034", "GM0050", "GM0171",
                                                   "GM0184", "GM0303", "GM0995"};
  std::vector<api::v1::Observation> observations;
  for (int month = 0; month < 96; ++month) {
    const absl::CivilMonth start = absl::CivilMonth(2017, 1) + month;
    const std::string first = absl::FormatCivilTime(absl::CivilDay(start));
    const std::string last = absl::FormatCivilTime(absl::CivilDay(start + 1) - 1);
    for (size_t m = 0; m < municipalities.size(); ++m) {
      observations.push_back(Waiting(first, last, month * 10 + m, municipalities[m]));
    }
  }
  Submit(kProvider, "bulk", observations);
  Export all = Read(kSupervisor, api::v1::ExportObservationsRequest());
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  ASSERT_EQ(all.rows.size(), observations.size());
  EXPECT_GT(all.responses, 1);
  EXPECT_TRUE(all.header_first);
  EXPECT_FALSE(all.header_later);
  for (size_t i = 0; i < observations.size(); ++i) {
    const api::v1::Observation& o = observations[i];
    EXPECT_EQ(all.rows[i], absl::StrCat(kProvider, " ", o.municipality(), " ", o.period().start(),
                                        "..", o.period().end(), " ", o.value(), " bulk current"));
  }
}

TEST_F(ExportServiceTest, AFilterThatCannotMatchIsInvalidAndNamesTheField) {
  api::v1::ExportObservationsRequest reversed;
  reversed.mutable_filter()->mutable_period_end()->set_start("2026-10-01");
  reversed.mutable_filter()->mutable_period_end()->set_end("2026-09-01");
  Export a = Read(kSupervisor, reversed);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("filter.period_end"));

  api::v1::ExportObservationsRequest unknown;
  unknown.mutable_filter()->add_indicators("wachtende");
  Export b = Read(kSupervisor, unknown);
  EXPECT_EQ(b.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(b.status.error_message(), HasSubstr("filter.indicators: 'wachtende'"));
}

TEST_F(ExportServiceTest, EveryExportIsAuditedAndTheChainVerifies) {
  SubmitFigures();
  Export refused = Read(kProvider, api::v1::ExportObservationsRequest());
  ASSERT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  api::v1::ExportObservationsRequest request;
  request.set_mode(api::v1::EXPORT_MODE_HISTORY);
  request.mutable_filter()->add_municipalities("GM0034");
  Export exported = Read(kSupervisor, request);
  ASSERT_TRUE(exported.status.ok()) << exported.status.error_message();
  ASSERT_EQ(exported.rows.size(), 3u);

  const std::string audit = AuditLog();
  EXPECT_THAT(audit, HasSubstr(absl::StrCat("\"identity\":\"", kProvider, "\",\"serial\"")));
  std::vector<std::string> exports;
  for (absl::string_view line : absl::StrSplit(audit, '\n')) {
    if (absl::StrContains(line, "\"action\":\"export_observations\"")) {
      exports.emplace_back(line);
    }
  }
  ASSERT_EQ(exports.size(), 3u) << audit;
  EXPECT_THAT(exports[0], HasSubstr("\"outcome\":\"refused\""));
  EXPECT_THAT(exports[0], HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(exports[1], HasSubstr(absl::StrCat("{\"seq\":", exported.header.audit_seq(), ",")));
  EXPECT_THAT(exports[1], HasSubstr(kSupervisor));
  EXPECT_THAT(exports[1], HasSubstr("\"mode\":\"history\""));
  EXPECT_THAT(exports[1], HasSubstr("\"municipalities\":\"GM0034\""));
  EXPECT_THAT(exports[2], HasSubstr(absl::StrCat("\"object\":\"audit_seq ",
                                                 exported.header.audit_seq(), "\"")));
  EXPECT_THAT(exports[2], HasSubstr("\"rows\":\"3\""));
  EXPECT_THAT(exports[2], HasSubstr("\"outcome\":\"read\""));

  auto verified = RunCommand(
      {VroegctlBinary(), "audit", "verify", "--file", region_.dir() + "/collector.audit.log"});
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->exit_code, 0) << verified->out << verified->err;
}

// The real vroegctl against the real collector, as the supervisor runs it.
class VroegctlExportTest : public ExportServiceTest {
 protected:
  CommandResult Export(const std::string& caller, const std::vector<std::string>& options) {
    const std::string stem = region_.Issue(caller);
    std::vector<std::string> argv = {VroegctlBinary(),
                                     "export",
                                     "observations",
                                     "--collector",
                                     absl::StrCat("127.0.0.1:", collector_->grpc_port()),
                                     "--certificate",
                                     stem + ".crt",
                                     "--key",
                                     stem + ".key",
                                     "--ca",
                                     region_.ca_dir() + "/ca.crt"};
    argv.insert(argv.end(), options.begin(), options.end());
    auto result = RunCommand(argv);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : CommandResult{};
  }

  std::string Out(const std::string& name) { return region_.dir() + "/" + name; }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, absl::ByAnyChar("\r\n"), absl::SkipEmpty());
  return lines;
}

TEST_F(VroegctlExportTest, WritesTheStoredRowsAsCsvJsonLinesAndXlsx) {
  SubmitFigures();
  CommandResult csv = Export(kSupervisor, {"--format", "csv", "--history", "--out", Out("h.csv")});
  ASSERT_EQ(csv.exit_code, 0) << csv.out << csv.err;
  EXPECT_THAT(csv.out, HasSubstr("exported 4 observations from region flevoland"));
  const std::vector<std::string> rows = Lines(ReadWholeFile(Out("h.csv")));
  ASSERT_EQ(rows.size(), 5u) << ReadWholeFile(Out("h.csv"));
  EXPECT_THAT(rows[0], ::testing::StartsWith("dataset,region,reporter,indicator"));
  EXPECT_THAT(rows[1], HasSubstr(absl::StrCat(kProvider, ",wachtenden")));
  EXPECT_THAT(rows[1], HasSubstr(",12,p-1,"));
  EXPECT_THAT(rows[1], HasSubstr("p-2"));
  EXPECT_THAT(rows[2], HasSubstr(",13,p-2,"));
  EXPECT_THAT(rows[3], HasSubstr(absl::StrCat(kOtherProvider, ",wachtenden")));
  EXPECT_THAT(rows[4], HasSubstr("GM0303"));

  CommandResult jsonl = Export(
      kSupervisor, {"--format", "jsonl", "--reporter", kOtherProvider, "--out", Out("o.jsonl")});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.out << jsonl.err;
  const std::vector<std::string> objects = Lines(ReadWholeFile(Out("o.jsonl")));
  ASSERT_EQ(objects.size(), 1u) << ReadWholeFile(Out("o.jsonl"));
  EXPECT_THAT(objects[0], HasSubstr(absl::StrCat("\"reporter\":\"", kOtherProvider, "\"")));
  EXPECT_THAT(objects[0], HasSubstr("\"value\":7"));

  CommandResult xlsx = Export(kRegionOperator, {"--format", "xlsx", "--out", Out("c.xlsx")});
  ASSERT_EQ(xlsx.exit_code, 0) << xlsx.out << xlsx.err;
  EXPECT_THAT(xlsx.out, HasSubstr("exported 3 observations"));
  const std::string workbook = ReadWholeFile(Out("c.xlsx"));
  EXPECT_EQ(workbook.substr(0, 2), "PK");
  EXPECT_FALSE(std::filesystem::exists(Out("c.xlsx.partial")));
}

TEST_F(VroegctlExportTest, SuppressBelowWithholdsSmallCounts) {
  SubmitFigures();
  CommandResult plain = Export(kSupervisor, {"--out", Out("plain.csv")});
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_THAT(ReadWholeFile(Out("plain.csv")), HasSubstr(",7,o-1,"));

  CommandResult released =
      Export(kSupervisor, {"--suppress-below", "10", "--out", Out("release.csv")});
  ASSERT_EQ(released.exit_code, 0) << released.out << released.err;
  const std::vector<std::string> rows = Lines(ReadWholeFile(Out("release.csv")));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_THAT(rows[0], ::testing::EndsWith(",suppressed"));
  EXPECT_THAT(rows[1], HasSubstr(",13,p-2,"));
  EXPECT_THAT(rows[2], HasSubstr(kOtherProvider));
  EXPECT_THAT(rows[2], ::testing::Not(HasSubstr(",7,")));
  EXPECT_THAT(rows[2], ::testing::EndsWith(",primary"));
  EXPECT_THAT(rows[3], HasSubstr(",14,p-1,"));
}

TEST_F(VroegctlExportTest, AProviderIsRefusedAndToldWhatToDo) {
  CommandResult refused = Export(kProvider, {"--out", Out("nope.csv")});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("(rule export_not_allowed)"));
  EXPECT_THAT(refused.err, HasSubstr("exports need a supervisor certificate"));
  EXPECT_FALSE(std::filesystem::exists(Out("nope.csv")));
}

}  // namespace
}  // namespace vroeg::testing
