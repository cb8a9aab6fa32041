#include "tools/vroegctl/export/export_rows.h"

#include <string>
#include <utility>
#include <vector>

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/tools/export/export_test_catalogue.h"

namespace vroeg::export_format {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vroeg::disclosure::Suppression;
using ::vroeg::testing::ExportTestCatalogue;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::StatusIs;

// Keeps what it is given, checked against the columns as every writer checks it.
class RecordingTableWriter : public TableWriter {
 public:
  explicit RecordingTableWriter(std::vector<Column> columns) : columns_(std::move(columns)) {}
  absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) override {
    if (absl::Status status = CheckRow(columns_, cells); !status.ok()) return status;
    rows.emplace_back(std::string(sheet), std::vector<Cell>(cells.begin(), cells.end()));
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }

  // The cell of `column` in row `row`.
  const Cell& At(size_t row, const std::string& column) const {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].name == column) return rows[row].second[i];
    }
    ADD_FAILURE() << "no column " << column;
    static const Cell kNone;
    return kNone;
  }

  std::vector<std::pair<std::string, std::vector<Cell>>> rows;

 private:
  std::vector<Column> columns_;
};

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

std::vector<std::string> Names(const std::vector<Column>& columns) {
  std::vector<std::string> names;
  for (const Column& column : columns) names.push_back(column.name);
  return names;
}

const char kCorrected[] = R"pb(
  region: "flevoland"
  reporter: "urn:vroeg:provider:12345678"
  observation {
    indicator: "wachtenden"
    care_form: "verblijf"
    municipality: "GM0034"
    period { start: "2026-09-01" end: "2026-09-30" granularity: GRANULARITY_MONTH }
    value: 12
  }
  submission_id: "2026-09-a"
  received_at { seconds: 1790000000 }
  current: false
  superseded_by_submission_id: "2026-09-b"
  superseded_at { seconds: 1790003600 }
)pb";

TEST(ObservationRowsTest, CurrentValuesHaveTheBaseColumns) {
  ObservationRows rows(ExportTestCatalogue(), RowOptions{});
  EXPECT_THAT(Names(rows.columns()),
              ElementsAre("dataset", "region", "reporter", "indicator", "unit", "care_form",
                          "municipality", "period_start", "period_end", "granularity", "value",
                          "submission_id", "received_at"));
  RecordingTableWriter out(rows.columns());
  auto row = Parse<api::v1::ExportedObservation>(kCorrected);
  row.mutable_observation()->mutable_period()->clear_granularity();
  ASSERT_THAT(rows.Write(row, Suppression::kNone, out), IsOk());
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].first, "availability");
  EXPECT_EQ(out.At(0, "dataset"), Cell{std::string("availability")});
  EXPECT_EQ(out.At(0, "unit"), Cell{std::string("count")});
  EXPECT_EQ(out.At(0, "period_start"), Cell{absl::CivilDay(2026, 9, 1)});
  // Derived from the dates when the row does not say.
  EXPECT_EQ(out.At(0, "granularity"), Cell{std::string("month")});
  EXPECT_EQ(out.At(0, "value"), Cell{12.0});
  EXPECT_EQ(out.At(0, "received_at"), Cell{absl::FromUnixSeconds(1790000000)});
}

TEST(ObservationRowsTest, HistoryShowsWhatSupersededAValue) {
  ObservationRows rows(ExportTestCatalogue(), RowOptions{.history = true});
  RecordingTableWriter out(rows.columns());
  ASSERT_THAT(rows.Write(Parse<api::v1::ExportedObservation>(kCorrected), Suppression::kNone, out),
              IsOk());
  EXPECT_EQ(out.At(0, "current"), Cell{false});
  EXPECT_EQ(out.At(0, "superseded_by_submission_id"), Cell{std::string("2026-09-b")});
  EXPECT_EQ(out.At(0, "superseded_at"), Cell{absl::FromUnixSeconds(1790003600)});

  auto current = Parse<api::v1::ExportedObservation>(kCorrected);
  current.set_current(true);
  current.clear_superseded_by_submission_id();
  current.clear_superseded_at();
  ASSERT_THAT(rows.Write(current, Suppression::kNone, out), IsOk());
  EXPECT_EQ(out.At(1, "current"), Cell{true});
  EXPECT_EQ(out.At(1, "superseded_by_submission_id"), Cell{});
  EXPECT_EQ(out.At(1, "superseded_at"), Cell{});
}

TEST(ObservationRowsTest, SuppressedValueIsEmptyWithItsReason) {
  ObservationRows rows(ExportTestCatalogue(), RowOptions{.suppression = true});
  EXPECT_EQ(rows.columns().back().name, "suppressed");
  RecordingTableWriter out(rows.columns());
  const auto row = Parse<api::v1::ExportedObservation>(kCorrected);
  ASSERT_THAT(rows.Write(row, Suppression::kPrimary, out), IsOk());
  ASSERT_THAT(rows.Write(row, Suppression::kNone, out), IsOk());
  EXPECT_EQ(out.At(0, "value"), Cell{});
  EXPECT_EQ(out.At(0, "suppressed"), Cell{std::string("primary")});
  EXPECT_EQ(out.At(1, "value"), Cell{12.0});
  EXPECT_EQ(out.At(1, "suppressed"), Cell{});

  ObservationRows complete(ExportTestCatalogue(), RowOptions{});
  RecordingTableWriter complete_out(complete.columns());
  EXPECT_THAT(complete.Write(row, Suppression::kPrimary, complete_out),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ObservationRowsTest, RefusesWhatItCannotPlace) {
  ObservationRows rows(ExportTestCatalogue(), RowOptions{});
  RecordingTableWriter out(rows.columns());
  auto unknown = Parse<api::v1::ExportedObservation>(kCorrected);
  unknown.mutable_observation()->set_indicator("nieuw");
  EXPECT_THAT(rows.Write(unknown, Suppression::kNone, out),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("test.1")));
  auto bad_date = Parse<api::v1::ExportedObservation>(kCorrected);
  bad_date.mutable_observation()->mutable_period()->set_end("30-09-2026");
  EXPECT_THAT(rows.Write(bad_date, Suppression::kNone, out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2026-09-a")));
  EXPECT_TRUE(out.rows.empty());
}

TEST(AggregateRowsTest, RoutesByDatasetAndShowsWeightsOfMeansOnly) {
  AggregateRows rows(ExportTestCatalogue(), RowOptions{.suppression = true});
  EXPECT_THAT(Names(rows.columns()),
              ElementsAre("dataset", "region", "scope", "municipality", "period_start",
                          "period_end", "granularity", "indicator", "unit", "care_form",
                          "aggregation", "value", "weight", "reporters", "suppressed"));
  RecordingTableWriter out(rows.columns());
  ASSERT_THAT(rows.Write(Parse<api::v1::AggregateFigure>(R"pb(
                           region: "flevoland"
                           scope: AGGREGATE_SCOPE_MUNICIPALITY
                           municipality: "GM0034"
                           period { start: "2026-09-01" end: "2026-09-30" }
                           indicator: "wachttijd_intake_weken"
                           care_form: "verblijf"
                           aggregation: AGGREGATION_WEIGHTED_MEAN
                           value: 5.5
                           weight: 40
                           reporters: 3
                         )pb"),
                         Suppression::kNone, out),
              IsOk());
  ASSERT_THAT(rows.Write(Parse<api::v1::AggregateFigure>(R"pb(
                           region: "flevoland"
                           scope: AGGREGATE_SCOPE_REGION
                           period { start: "2026-09-07" end: "2026-09-13" }
                           indicator: "plaatsen_bezet"
                           care_form: "verblijf"
                           aggregation: AGGREGATION_SUM
                           value: 18
                           weight: 99
                           reporters: 2
                         )pb"),
                         Suppression::kComplementary, out),
              IsOk());
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].first, "availability");
  EXPECT_EQ(out.At(0, "scope"), Cell{std::string("municipality")});
  EXPECT_EQ(out.At(0, "aggregation"), Cell{std::string("weighted_mean")});
  EXPECT_EQ(out.At(0, "unit"), Cell{std::string("weeks")});
  EXPECT_EQ(out.At(0, "value"), Cell{5.5});
  EXPECT_EQ(out.At(0, "weight"), Cell{40.0});
  EXPECT_EQ(out.At(0, "reporters"), Cell{3.0});
  EXPECT_EQ(out.rows[1].first, "capacity");
  EXPECT_EQ(out.At(1, "granularity"), Cell{std::string("week")});
  EXPECT_EQ(out.At(1, "municipality"), Cell{});
  EXPECT_EQ(out.At(1, "value"), Cell{});
  EXPECT_EQ(out.At(1, "weight"), Cell{});
  EXPECT_EQ(out.At(1, "suppressed"), Cell{std::string("complementary")});
}

TEST(ComplianceRowsTest, OneRowPerReporterDatasetAndPeriod) {
  ComplianceRows rows;
  RecordingTableWriter out(rows.columns());
  ASSERT_THAT(rows.Write(Parse<api::v1::ComplianceRecord>(R"pb(
                           region: "flevoland"
                           reporter: "urn:vroeg:provider:12345678"
                           dataset: DATASET_FINANCE
                           cadence: GRANULARITY_QUARTER
                           period { start: "2026-07-01" end: "2026-09-30" }
                           due { seconds: 1794000000 }
                           status: COMPLIANCE_STATUS_OVERDUE
                           last_period_received { start: "2026-04-01" end: "2026-06-30" }
                         )pb"),
                         out),
              IsOk());
  EXPECT_EQ(out.rows[0].first, "finance");
  EXPECT_EQ(out.At(0, "cadence"), Cell{std::string("quarter")});
  EXPECT_EQ(out.At(0, "status"), Cell{std::string("overdue")});
  EXPECT_EQ(out.At(0, "first_received_at"), Cell{});
  EXPECT_EQ(out.At(0, "due"), Cell{absl::FromUnixSeconds(1794000000)});
  EXPECT_EQ(out.At(0, "last_period_end"), Cell{absl::CivilDay(2026, 6, 30)});
}

TEST(DatasetSheetsTest, EveryDatasetInSchemaOrder) {
  EXPECT_THAT(DatasetSheets(),
              ElementsAre("availability", "capacity", "staff", "finance", "events", "municipal"));
}

}  // namespace
}  // namespace vroeg::export_format
