// ExportService against the real vroeg-collector, with certificates from the real PKI: who may
// export, what the streams of observations, aggregates and compliance hold, and what the audit
// log records of them.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
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
// Listed under early_warning.expected_reporters; never reports.
constexpr char kExpected[] = "urn:vroeg:provider:98990014";
constexpr char kOtherRegion[] = "urn:vroeg:region:utrecht";

api::v1::Observation Observe(const std::string& indicator, const std::string& care_form,
                             const std::string& start, const std::string& end, double value,
                             const std::string& municipality) {
  api::v1::Observation o;
  o.set_indicator(indicator);
  o.set_care_form(care_form);
  o.set_municipality(municipality);
  o.mutable_period()->set_start(start);
  o.mutable_period()->set_end(end);
  o.set_value(value);
  return o;
}

api::v1::Observation Waiting(const std::string& start, const std::string& end, double value,
                             const std::string& municipality) {
  return Observe("wachtenden", "verblijf", start, end, value, municipality);
}

// What a test reads of an aggregates or compliance stream.
template <typename Row>
struct Rows {
  grpc::Status status;
  int responses = 0;
  bool header_first = false;
  bool header_later = false;
  api::v1::ExportHeader header;
  std::vector<Row> rows;
};

template <typename Row, typename Response, typename RowsOf>
Rows<Row> Drain(grpc::ClientReader<Response>& reader, RowsOf rows_of) {
  Rows<Row> result;
  Response response;
  while (reader.Read(&response)) {
    if (response.has_header()) {
      (result.responses == 0 ? result.header_first : result.header_later) = true;
      result.header = response.header();
    }
    ++result.responses;
    for (const Row& row : rows_of(response)) result.rows.push_back(row);
  }
  result.status = reader.Finish();
  return result;
}

// "SCOPE municipality start..end indicator care_form value [wWEIGHT] rREPORTERS"
std::string Describe(const api::v1::AggregateFigure& f) {
  return absl::StrCat(api::v1::AggregateScope_Name(f.scope()).substr(16), " ", f.municipality(),
                      " ", f.period().start(), "..", f.period().end(), " ", f.indicator(), " ",
                      f.care_form(), " ", f.value(),
                      f.aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN
                          ? absl::StrCat(" w", f.weight())
                          : "",
                      " r", f.reporters());
}

// "reporter dataset start..end STATUS [last END]"
std::string Describe(const api::v1::ComplianceRecord& r) {
  std::string text = absl::StrCat(r.reporter(), " ", catalogue::v1::Dataset_Name(r.dataset()), " ",
                                  r.period().start(), "..", r.period().end(), " ",
                                  api::v1::ComplianceStatus_Name(r.status()).substr(18));
  if (r.has_last_period_received())
    absl::StrAppend(&text, " last ", r.last_period_received().end());
  return text;
}

google::protobuf::Timestamp Timestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
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
    WriteFile(config, absl::StrCat(ReadWholeFile(config), "export_readers: [", kRegionOperator,
                                   "]\nearly_warning: {expected_reporters: [", kExpected,
                                   "], grace: {quarter_days: 30}}\n"));
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

  Rows<api::v1::AggregateFigure> Aggregates(const std::string& caller,
                                            const api::v1::ExportAggregatesRequest& request) {
    auto stub = api::v1::ExportService::NewStub(region_.Channel(collector_->grpc_port(), caller));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto reader = stub->ExportAggregates(&context, request);
    return Drain<api::v1::AggregateFigure>(
        *reader, [](const api::v1::ExportAggregatesResponse& r) { return r.figures(); });
  }

  Rows<api::v1::ComplianceRecord> Compliance(const std::string& caller,
                                             const api::v1::ExportComplianceRequest& request) {
    auto stub = api::v1::ExportService::NewStub(region_.Channel(collector_->grpc_port(), caller));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto reader = stub->ExportCompliance(&context, request);
    return Drain<api::v1::ComplianceRecord>(
        *reader, [](const api::v1::ExportComplianceResponse& r) { return r.records(); });
  }

  // The audit entries of one action.
  std::vector<std::string> AuditEntries(absl::string_view action) {
    std::vector<std::string> entries;
    for (absl::string_view line : absl::StrSplit(AuditLog(), '\n')) {
      if (absl::StrContains(line, absl::StrCat("\"action\":\"", action, "\""))) {
        entries.emplace_back(line);
      }
    }
    return entries;
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

TEST_F(ExportServiceTest, AggregatesAreOnlyForThoseWhoMayExportAndAreAudited) {
  SubmitFigures();
  Rows<api::v1::AggregateFigure> refused =
      Aggregates(kProvider, api::v1::ExportAggregatesRequest());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("(rule export_not_allowed)"));
  EXPECT_EQ(refused.responses, 0);
  Rows<api::v1::AggregateFigure> operator_figures =
      Aggregates(kRegionOperator, api::v1::ExportAggregatesRequest());
  EXPECT_TRUE(operator_figures.status.ok()) << operator_figures.status.error_message();

  api::v1::ExportAggregatesRequest request;
  request.set_by_municipality(true);
  request.mutable_filter()->add_municipalities("GM0303");
  Rows<api::v1::AggregateFigure> allowed = Aggregates(kSupervisor, request);
  ASSERT_TRUE(allowed.status.ok()) << allowed.status.error_message();
  EXPECT_TRUE(allowed.header_first);
  EXPECT_FALSE(allowed.header_later);
  EXPECT_EQ(allowed.header.collector_region(), "flevoland");
  ASSERT_EQ(allowed.rows.size(), 3u);

  std::vector<std::string> entries = AuditEntries("export_aggregates");
  ASSERT_EQ(entries.size(), 5u) << AuditLog();
  EXPECT_THAT(entries[0], HasSubstr("\"outcome\":\"refused\""));
  EXPECT_THAT(entries[0], HasSubstr(kProvider));
  EXPECT_THAT(entries[3], HasSubstr(absl::StrCat("{\"seq\":", allowed.header.audit_seq(), ",")));
  EXPECT_THAT(entries[3], HasSubstr("\"by_municipality\":\"true\""));
  EXPECT_THAT(entries[3], HasSubstr("\"municipalities\":\"GM0303\""));
  EXPECT_THAT(entries[4],
              HasSubstr(absl::StrCat("\"object\":\"audit_seq ", allowed.header.audit_seq(), "\"")));
  EXPECT_THAT(entries[4], HasSubstr("\"rows\":\"3\""));
  EXPECT_THAT(entries[4], HasSubstr("\"outcome\":\"read\""));
}

TEST_F(ExportServiceTest, AggregatesAreComputedFromTheCurrentValuesInOrder) {
  SubmitFigures();
  // September, as SubmitFigures left it: the provider 13 (corrected from 12) and the other 7
  // in Almere; now also waiting weeks there and 3 youths of the other without a municipality.
  const double provider_waiting = 13, other_waiting = 7, other_unplaced = 3;
  const double provider_weeks = 4, other_weeks = 10;
  Submit(kProvider, "p-3",
         {Observe("wachttijd_intake_weken", "verblijf", "2026-09-01", "2026-09-30", provider_weeks,
                  "GM0034")});
  Submit(kOtherProvider, "o-2",
         {Observe("wachttijd_intake_weken", "verblijf", "2026-09-01", "2026-09-30", other_weeks,
                  "GM0034"),
          Waiting("2026-09-01", "2026-09-30", other_unplaced, "")});
  const double almere = provider_waiting + other_waiting;
  const double mean = (provider_waiting * provider_weeks + other_waiting * other_weeks) / almere;

  api::v1::ExportAggregatesRequest request;
  request.set_by_municipality(true);
  Rows<api::v1::AggregateFigure> all = Aggregates(kSupervisor, request);
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  std::vector<std::string> figures;
  for (const api::v1::AggregateFigure& f : all.rows) {
    figures.push_back(Describe(f));
    EXPECT_EQ(f.region(), "flevoland");
  }
  const std::string september = "2026-09-01..2026-09-30";
  EXPECT_THAT(
      figures,
      ElementsAre(
          absl::StrCat("REGION  ", september, " wachtenden verblijf ", almere + other_unplaced,
                       " r2"),
          absl::StrCat("MUNICIPALITY GM0034 ", september, " wachtenden verblijf ", almere, " r2"),
          absl::StrCat("NO_MUNICIPALITY  ", september, " wachtenden verblijf ", other_unplaced,
                       " r1"),
          absl::StrCat("REGION  ", september, " wachttijd_intake_weken verblijf ", mean, " w",
                       almere, " r2"),
          absl::StrCat("MUNICIPALITY GM0034 ", september, " wachttijd_intake_weken verblijf ", mean,
                       " w", almere, " r2"),
          "REGION  2026-10-01..2026-10-31 wachtenden verblijf 14 r1",
          "MUNICIPALITY GM0303 2026-10-01..2026-10-31 wachtenden verblijf 14 r1"));

  // The mean alone: its weights are read all the same.
  api::v1::ExportAggregatesRequest means;
  means.mutable_filter()->add_indicators("wachttijd_intake_weken");
  Rows<api::v1::AggregateFigure> weeks = Aggregates(kSupervisor, means);
  ASSERT_TRUE(weeks.status.ok()) << weeks.status.error_message();
  ASSERT_EQ(weeks.rows.size(), 1u);
  EXPECT_EQ(Describe(weeks.rows[0]),
            absl::StrCat("REGION  ", september, " wachttijd_intake_weken verblijf ", mean, " w",
                         almere, " r2"));

  // Organisation figures have no aggregate: the header comes alone.
  api::v1::ExportAggregatesRequest finance;
  finance.mutable_filter()->add_indicators("omzet_totaal");
  Rows<api::v1::AggregateFigure> none = Aggregates(kSupervisor, finance);
  ASSERT_TRUE(none.status.ok()) << none.status.error_message();
  EXPECT_TRUE(none.header_first);
  EXPECT_EQ(none.responses, 1);
  EXPECT_TRUE(none.rows.empty());
}

TEST_F(ExportServiceTest, ComplianceSaysWhatCameLateAndWhatNeverCame) {
  // Staff figures of two quarters of 2020, sent now: long after they were due.
  Submit(kProvider, "staff-1",
         {Observe("fte_bezet", "", "2020-01-01", "2020-03-31", 12, ""),
          Observe("fte_bezet", "", "2020-07-01", "2020-09-30", 11, "")});
  api::v1::ExportComplianceRequest request;
  request.mutable_filter()->mutable_period_end()->set_start("2020-01-01");
  request.mutable_filter()->mutable_period_end()->set_end("2020-12-31");
  request.mutable_filter()->add_datasets(catalogue::v1::DATASET_STAFF);
  Rows<api::v1::ComplianceRecord> staff = Compliance(kSupervisor, request);
  ASSERT_TRUE(staff.status.ok()) << staff.status.error_message();
  EXPECT_TRUE(staff.header_first);
  std::vector<std::string> records;
  for (const api::v1::ComplianceRecord& r : staff.rows) {
    records.push_back(Describe(r));
    EXPECT_EQ(r.region(), "flevoland");
    EXPECT_EQ(r.cadence(), type::v1::GRANULARITY_QUARTER);
  }
  // By period end, then reporter: the provider, then the expected one that never reported.
  const std::string provider = absl::StrCat(kProvider, " DATASET_STAFF ");
  const std::string expected = absl::StrCat(kExpected, " DATASET_STAFF ");
  EXPECT_THAT(records, ElementsAre(provider + "2020-01-01..2020-03-31 LATE last 2020-09-30",
                                   expected + "2020-01-01..2020-03-31 OVERDUE",
                                   provider + "2020-04-01..2020-06-30 OVERDUE last 2020-09-30",
                                   expected + "2020-04-01..2020-06-30 OVERDUE",
                                   provider + "2020-07-01..2020-09-30 LATE last 2020-09-30",
                                   expected + "2020-07-01..2020-09-30 OVERDUE",
                                   provider + "2020-10-01..2020-12-31 OVERDUE last 2020-09-30",
                                   expected + "2020-10-01..2020-12-31 OVERDUE"));
  ASSERT_EQ(staff.rows.size(), 8u);
  // Due the first of April plus the 30 days of quarter grace the configuration sets.
  EXPECT_EQ(staff.rows[0].due(),
            Timestamp(absl::FromCivil(absl::CivilDay(2020, 5, 1), absl::UTCTimeZone())));
  EXPECT_GT(staff.rows[0].first_received_at(), staff.rows[0].due());
  EXPECT_FALSE(staff.rows[1].has_first_received_at());

  // As it stood on 2020-06-01, before anything came: only the expected reporter owed, and the
  // quarters not yet due are NOT_DUE.
  *request.mutable_as_of() =
      Timestamp(absl::FromCivil(absl::CivilDay(2020, 6, 1), absl::UTCTimeZone()));
  Rows<api::v1::ComplianceRecord> then = Compliance(kSupervisor, request);
  ASSERT_TRUE(then.status.ok()) << then.status.error_message();
  records.clear();
  for (const api::v1::ComplianceRecord& r : then.rows) records.push_back(Describe(r));
  EXPECT_THAT(records, ElementsAre(expected + "2020-01-01..2020-03-31 OVERDUE",
                                   expected + "2020-04-01..2020-06-30 NOT_DUE",
                                   expected + "2020-07-01..2020-09-30 NOT_DUE",
                                   expected + "2020-10-01..2020-12-31 NOT_DUE"));

  std::vector<std::string> entries = AuditEntries("export_compliance");
  ASSERT_EQ(entries.size(), 4u) << AuditLog();
  EXPECT_THAT(entries[2], HasSubstr("\"as_of\":\"2020-06-01T00:00:00Z\""));
  EXPECT_THAT(entries[2], HasSubstr(absl::StrCat("{\"seq\":", then.header.audit_seq(), ",")));
  EXPECT_THAT(entries[3], HasSubstr("\"rows\":\"4\""));

  EXPECT_EQ(Compliance(kOtherRegion, request).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ExportServiceTest, AggregatesAndComplianceRefuseFiltersThatCannotMatch) {
  api::v1::ExportAggregatesRequest unknown;
  unknown.mutable_filter()->add_indicators("wachtende");
  Rows<api::v1::AggregateFigure> a = Aggregates(kSupervisor, unknown);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(a.status.error_message(), HasSubstr("filter.indicators: 'wachtende'"));

  api::v1::ExportComplianceRequest reversed;
  reversed.mutable_filter()->mutable_period_end()->set_start("2026-10-01");
  reversed.mutable_filter()->mutable_period_end()->set_end("2026-09-01");
  Rows<api::v1::ComplianceRecord> b = Compliance(kSupervisor, reversed);
  EXPECT_EQ(b.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(b.status.error_message(), HasSubstr("filter.period_end"));

  api::v1::ExportComplianceRequest future;
  *future.mutable_as_of() = Timestamp(absl::Now() + absl::Hours(24));
  Rows<api::v1::ComplianceRecord> c = Compliance(kSupervisor, future);
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(c.status.error_message(), HasSubstr("as_of"));
  EXPECT_EQ(c.responses, 0);
}

// The real vroegctl against the real collector, as the supervisor runs it.
class VroegctlExportTest : public ExportServiceTest {
 protected:
  CommandResult Export(const std::string& caller, const std::vector<std::string>& options) {
    return Run(caller, "observations", options);
  }

  // `vroegctl export <what> ...` with the caller's certificate.
  CommandResult Run(const std::string& caller, const std::string& what,
                    const std::vector<std::string>& options) {
    const std::string stem = region_.Issue(caller);
    std::vector<std::string> argv = {VroegctlBinary(),
                                     "export",
                                     what,
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

TEST_F(VroegctlExportTest, AggregatesAsCsvWithSuppressionAndAsXlsx) {
  SubmitFigures();
  // October: 14 youths of the provider in Dronten, 3 of the other in Almere.
  Submit(kOtherProvider, "o-2", {Waiting("2026-10-01", "2026-10-31", 3, "GM0034")});
  CommandResult csv = Run(kSupervisor, "aggregates", {"--by-municipality", "--out", Out("a.csv")});
  ASSERT_EQ(csv.exit_code, 0) << csv.out << csv.err;
  EXPECT_THAT(csv.out, HasSubstr("exported 5 figures from region flevoland"));
  std::vector<std::string> rows = Lines(ReadWholeFile(Out("a.csv")));
  ASSERT_EQ(rows.size(), 6u) << ReadWholeFile(Out("a.csv"));
  EXPECT_THAT(rows[0], ::testing::StartsWith("dataset,region,scope,municipality,period_start"));
  // September: 13 + 7 in Almere.
  EXPECT_THAT(rows[1], ::testing::StartsWith("availability,flevoland,region,,2026-09-01"));
  EXPECT_THAT(rows[1], HasSubstr(",wachtenden,"));
  EXPECT_THAT(rows[1], HasSubstr(",20,"));
  EXPECT_THAT(rows[2], HasSubstr("municipality,GM0034,2026-09-01"));
  EXPECT_THAT(rows[3], HasSubstr("region,,2026-10-01"));
  EXPECT_THAT(rows[3], HasSubstr(",17,"));
  EXPECT_THAT(rows[4], HasSubstr("GM0034,2026-10-01"));
  EXPECT_THAT(rows[4], HasSubstr(",3,"));

  CommandResult released = Run(kSupervisor, "aggregates",
                               {"--by-municipality", "--suppress-below", "10", "--dialect", "nl",
                                "--out", Out("release.csv")});
  ASSERT_EQ(released.exit_code, 0) << released.out << released.err;
  rows = Lines(ReadWholeFile(Out("release.csv")));
  ASSERT_EQ(rows.size(), 6u) << ReadWholeFile(Out("release.csv"));
  EXPECT_THAT(rows[0], ::testing::EndsWith(";suppressed"));
  EXPECT_THAT(rows[1], ::testing::EndsWith(";"));
  // The 3 is withheld, and so is Dronten's 14, which would give it away (17 - 14).
  EXPECT_THAT(rows[4], HasSubstr("GM0034"));
  EXPECT_THAT(rows[4], ::testing::Not(HasSubstr(";3;")));
  EXPECT_THAT(rows[4], ::testing::EndsWith(";primary"));
  EXPECT_THAT(rows[5], HasSubstr("GM0303"));
  EXPECT_THAT(rows[5], ::testing::EndsWith(";complementary"));

  CommandResult xlsx =
      Run(kRegionOperator, "aggregates", {"--format", "xlsx", "--out", Out("a.xlsx")});
  ASSERT_EQ(xlsx.exit_code, 0) << xlsx.out << xlsx.err;
  EXPECT_THAT(xlsx.out, HasSubstr("exported 2 figures"));
  EXPECT_EQ(ReadWholeFile(Out("a.xlsx")).substr(0, 2), "PK");
  EXPECT_FALSE(std::filesystem::exists(Out("a.xlsx.partial")));
}

TEST_F(VroegctlExportTest, ComplianceAsJsonLinesAndAsOf) {
  Submit(kProvider, "staff-1", {Observe("fte_bezet", "", "2020-01-01", "2020-03-31", 12, "")});
  CommandResult jsonl = Run(kSupervisor, "compliance",
                            {"--format", "jsonl", "--from", "2020-01-01", "--to", "2020-06-30",
                             "--reporter", kProvider, "--out", Out("c.jsonl")});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.out << jsonl.err;
  const std::string text = ReadWholeFile(Out("c.jsonl"));
  std::vector<std::string> staff;
  for (const std::string& line : Lines(text)) {
    EXPECT_THAT(line, HasSubstr(absl::StrCat("\"reporter\":\"", kProvider, "\"")));
    if (absl::StrContains(line, "\"dataset\":\"staff\"")) staff.push_back(line);
  }
  // The provider reported staff figures, so it owes every quarter; and the week and month
  // datasets it never sent are not its duty.
  ASSERT_EQ(staff.size(), 2u) << text;
  EXPECT_THAT(staff[0], HasSubstr("\"period_start\":\"2020-01-01\""));
  EXPECT_THAT(staff[0], HasSubstr("\"status\":\"late\""));
  EXPECT_THAT(staff[1], HasSubstr("\"period_start\":\"2020-04-01\""));
  EXPECT_THAT(staff[1], HasSubstr("\"status\":\"overdue\""));
  EXPECT_EQ(Lines(text).size(), 2u) << text;

  CommandResult before = Run(kSupervisor, "compliance",
                             {"--as-of", "2020-01-15T00:00:00Z", "--from", "2020-01-01", "--to",
                              "2020-06-30", "--reporter", kProvider, "--out", Out("c.csv")});
  ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
  EXPECT_THAT(before.out, HasSubstr("exported 0 records"));

  CommandResult wrong =
      Run(kSupervisor, "compliance", {"--as-of", "yesterday", "--out", Out("wrong.csv")});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("--as-of"));
  EXPECT_FALSE(std::filesystem::exists(Out("wrong.csv")));
}

}  // namespace
}  // namespace vroeg::testing
