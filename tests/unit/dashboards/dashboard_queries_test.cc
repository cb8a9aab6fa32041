#include "tests/support/dashboard_queries.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace vroeg::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A dashboard with a panel of two targets, a collapsed row holding a panel, and one template
// variable of every kind the loader must tell apart.
constexpr char kDashboard[] = R"json({
  "uid": "test-uid",
  "title": "Test",
  "panels": [
    {"type": "timeseries", "title": "Plaatsen", "targets": [
      {"refId": "A", "expr": "jeugdzorg_region_places_available{region=\"$region\"}"},
      {"refId": "B", "expr": "sum(rate(x_total[$__rate_interval]))", "instant": true}]},
    {"type": "row", "title": "Rij", "collapsed": true, "panels": [
      {"type": "table", "title": "Genest", "targets": [{"refId": "C", "expr": "up"}]}]},
    {"type": "text", "title": "Geen query"}
  ],
  "templating": {"list": [
    {"name": "datasource", "type": "datasource", "query": "prometheus"},
    {"name": "region", "type": "query",
     "query": {"query": "label_values(jeugdzorg_region_places_contracted, region)", "refId": "V"}},
    {"name": "care_form", "type": "query",
     "query": "label_values(m{region=\"$region\", a=\"x,y\"}, care_form)"},
    {"name": "top", "type": "query", "query": "query_result(topk(3, m))"},
    {"name": "labels", "type": "query", "query": "label_values(reporter)"},
    {"name": "names", "type": "query", "query": "metrics(jeugdzorg_.*)"},
    {"name": "series", "type": "query", "query": "up{job=\"vroeg-collector\"}"},
    {"name": "fixed", "type": "custom", "query": "a,b"}
  ]}
})json";

TEST(LoadDashboardQueriesTest, ReturnsEveryTargetAndQueryVariable) {
  TempDir dir;
  dir.WriteFile("a.json", kDashboard);
  // Only dashboards directly in the directory count: provisioning files and notes do not.
  dir.WriteFile("provisioning/dashboards.yaml", "apiVersion: 1\n");
  dir.WriteFile("README.md", "# dashboards\n");

  auto queries = LoadDashboardQueries(dir.path());
  ASSERT_THAT(queries, IsOk());
  ASSERT_THAT(*queries, SizeIs(9));

  const DashboardQuery& a = (*queries)[0];
  EXPECT_EQ(a.dashboard_uid, "test-uid");
  EXPECT_EQ(a.panel_title, "Plaatsen");
  EXPECT_EQ(a.ref_id, "A");
  EXPECT_EQ(a.expr, "jeugdzorg_region_places_available{region=\"$region\"}");
  EXPECT_EQ(a.query, a.expr);
  EXPECT_THAT(a.variable, IsEmpty());
  EXPECT_FALSE(a.instant);
  EXPECT_TRUE((*queries)[1].instant);
  EXPECT_EQ((*queries)[1].ref_id, "B");

  const DashboardQuery& nested = (*queries)[2];
  EXPECT_EQ(nested.panel_title, "Genest");
  EXPECT_EQ(nested.ref_id, "C");
  EXPECT_EQ(nested.expr, "up");

  const DashboardQuery& region = (*queries)[3];
  EXPECT_EQ(region.variable, "region");
  EXPECT_THAT(region.panel_title, IsEmpty());
  EXPECT_EQ(region.expr, "label_values(jeugdzorg_region_places_contracted, region)");
  EXPECT_EQ(region.query, "jeugdzorg_region_places_contracted");
  EXPECT_EQ(region.label, "region");

  const DashboardQuery& care_form = (*queries)[4];
  EXPECT_EQ(care_form.query, "m{region=\"$region\", a=\"x,y\"}");
  EXPECT_EQ(care_form.label, "care_form");

  EXPECT_EQ((*queries)[5].query, "topk(3, m)");
  EXPECT_THAT((*queries)[5].label, IsEmpty());

  // label_values without a selector and metrics() send no PromQL query.
  EXPECT_THAT((*queries)[6].query, IsEmpty());
  EXPECT_EQ((*queries)[6].label, "reporter");
  EXPECT_EQ((*queries)[7].variable, "names");
  EXPECT_THAT((*queries)[7].query, IsEmpty());

  // Any other text is a series selector.
  EXPECT_EQ((*queries)[8].query, "up{job=\"vroeg-collector\"}");
}

TEST(LoadDashboardQueriesTest, ReadsFilesInNameOrder) {
  TempDir dir;
  dir.WriteFile("b.json", R"({"uid": "b", "panels": [{"type": "stat", "title": "t",
                               "targets": [{"refId": "A", "expr": "up"}]}]})");
  dir.WriteFile("a.json", R"({"uid": "a", "panels": [{"type": "stat", "title": "t",
                               "targets": [{"refId": "A", "expr": "up"}]}]})");
  auto queries = LoadDashboardQueries(dir.path());
  ASSERT_THAT(queries, IsOk());
  ASSERT_THAT(*queries, SizeIs(2));
  EXPECT_EQ((*queries)[0].dashboard_uid, "a");
  EXPECT_EQ((*queries)[1].dashboard_uid, "b");
}

TEST(LoadDashboardQueriesTest, TargetWithoutExprHasAnEmptyOne) {
  TempDir dir;
  dir.WriteFile("a.json", R"({"uid": "a", "panels": [{"type": "stat", "title": "t",
                               "targets": [{"refId": "A"}]}]})");
  auto queries = LoadDashboardQueries(dir.path());
  ASSERT_THAT(queries, IsOk());
  ASSERT_THAT(*queries, SizeIs(1));
  EXPECT_THAT((*queries)[0].expr, IsEmpty());
}

TEST(LoadDashboardQueriesTest, ExprThatIsNotAStringNamesDashboardAndPanel) {
  TempDir dir;
  dir.WriteFile("a.json", R"({"uid": "a", "panels": [{"type": "stat", "title": "Bezetting",
                               "targets": [{"refId": "A", "expr": 3}]}]})");
  EXPECT_THAT(LoadDashboardQueries(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("dashboard a"), HasSubstr("Bezetting"))));
}

TEST(LoadDashboardQueriesTest, InvalidJsonNamesTheFile) {
  TempDir dir;
  dir.WriteFile("good.json", R"({"uid": "a", "panels": []})");
  const std::string bad = dir.WriteFile("bad.json", R"({"uid": "a", "panels": [})");
  EXPECT_THAT(LoadDashboardQueries(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad)));
}

TEST(LoadDashboardQueriesTest, JsonThatIsNotAnObjectIsRefused) {
  TempDir dir;
  dir.WriteFile("list.json", "[1, 2]");
  EXPECT_THAT(LoadDashboardFiles(dir.path()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadDashboardQueriesTest, MissingOrEmptyDirectoryIsNotFound) {
  TempDir dir;
  EXPECT_THAT(LoadDashboardQueries(dir.Sub("absent")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LoadDashboardQueries(dir.path()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no *.json")));
}

TEST(AllPanelsTest, ListsRowsFollowedByTheirPanels) {
  TempDir dir;
  dir.WriteFile("a.json", kDashboard);
  auto files = LoadDashboardFiles(dir.path());
  ASSERT_THAT(files, IsOk());
  ASSERT_THAT(*files, SizeIs(1));
  std::vector<std::string> titles;
  for (const auto* panel : AllPanels((*files)[0].json)) {
    titles.push_back(panel->fields().at("title").string_value());
  }
  EXPECT_THAT(titles, ElementsAre("Plaatsen", "Rij", "Genest", "Geen query"));
}

TEST(SubstituteVariablesTest, ReplacesEveryReferenceForm) {
  const std::map<std::string, std::string> values = {{"region", "flevoland"},
                                                     {"care_form", "verblijf"}};
  EXPECT_EQ(SubstituteVariables("m{region=\"$region\"}", values), "m{region=\"flevoland\"}");
  EXPECT_EQ(SubstituteVariables("m{region=\"${region}\"}", values), "m{region=\"flevoland\"}");
  EXPECT_EQ(SubstituteVariables("m{region=~\"${region:regex}\"}", values),
            "m{region=~\"flevoland\"}");
  EXPECT_EQ(SubstituteVariables("$region/$care_form", values), "flevoland/verblijf");
  EXPECT_EQ(SubstituteVariables("${region}x", values), "flevolandx");
}

TEST(SubstituteVariablesTest, ReplacesBuiltInsByTheirLongestName) {
  const std::map<std::string, std::string> values = {
      {"__rate_interval", "2m"}, {"__interval", "30s"}, {"__range", "1d"}, {"__range_s", "86400"}};
  EXPECT_EQ(SubstituteVariables("rate(x[$__rate_interval]) + rate(y[$__interval])", values),
            "rate(x[2m]) + rate(y[30s])");
  EXPECT_EQ(SubstituteVariables("increase(x[$__range]) / $__range_s", values),
            "increase(x[1d]) / 86400");
}

TEST(SubstituteVariablesTest, LeavesUnknownReferencesAndPlainDollarsAlone) {
  const std::map<std::string, std::string> values = {{"region", "flevoland"}};
  EXPECT_EQ(SubstituteVariables("$regions", values), "$regions");
  EXPECT_EQ(SubstituteVariables("${provider}", values), "${provider}");
  EXPECT_EQ(SubstituteVariables("label_replace(m, \"a\", \"$1\", \"b\", \"(.*)\")", values),
            "label_replace(m, \"a\", \"$1\", \"b\", \"(.*)\")");
  EXPECT_EQ(SubstituteVariables("cost $ and ${region", values), "cost $ and ${region");
  EXPECT_EQ(SubstituteVariables("end $", values), "end $");
}

TEST(ReferencedVariablesTest, NamesEachVariableOnce) {
  EXPECT_THAT(ReferencedVariables("m{a=\"$region\", b=\"${care_form:csv}\"}[$__rate_interval] "
                                  "$region ${x.y}"),
              ElementsAre("region", "care_form", "__rate_interval", "x"));
  EXPECT_THAT(ReferencedVariables("no variables {{reporter}}"), IsEmpty());
}

TEST(MetricNamesTest, FindsSelectedMetricsOnly) {
  EXPECT_THAT(MetricNames("jeugdzorg_region_places_available{region=\"$region\"}"),
              ElementsAre("jeugdzorg_region_places_available"));
  EXPECT_THAT(MetricNames("sum by (reporter) (rate(vroeg_x_total{a=\"up\"}[$__rate_interval]))"),
              ElementsAre("vroeg_x_total"));
  EXPECT_THAT(MetricNames("sum(x) without (le, instance) / on (region) group_left (care_form) y"),
              ElementsAre("x", "y"));
  EXPECT_THAT(MetricNames("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))"),
              ElementsAre("h_bucket"));
  EXPECT_THAT(MetricNames("(time() - due_seconds) / 86400 and on (reporter) overdue == 1"),
              ElementsAre("due_seconds", "overdue"));
  EXPECT_THAT(MetricNames("a > bool 1e-3 or b offset 5m unless c @ 1609746000"),
              ElementsAre("a", "b", "c"));
  EXPECT_THAT(MetricNames("ALERTS{alertstate=\"firing\"} or up"), ElementsAre("ALERTS", "up"));
  EXPECT_THAT(MetricNames("x + x * 2 - $threshold"), ElementsAre("x"));
  EXPECT_THAT(MetricNames("max_over_time(x[1h:5m]) AND y"), ElementsAre("x", "y"));
  EXPECT_THAT(MetricNames("label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")"),
              ElementsAre("x"));
  EXPECT_THAT(MetricNames("vector(1) + 0x1F + .5 + Inf"), IsEmpty());
}

}  // namespace
}  // namespace vroeg::testing
