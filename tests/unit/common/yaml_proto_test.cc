#include "common/yaml_proto.h"

#include <unistd.h>

#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "vroeg/api/v1/observation.pb.h"
#include "vroeg/api/v1/submission.pb.h"
#include "vroeg/catalogue/v1/catalogue.pb.h"
#include "vroeg/config/v1/agent.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using vroeg::testing::IsOk;
using vroeg::testing::IsOkAndHolds;
using vroeg::testing::StatusIs;
using vroeg::testing::TempDir;

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;
namespace cat = ::vroeg::catalogue::v1;
namespace config = ::vroeg::config::v1;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// ---------------------------------------------------------------------------------------------
// Well-formed input.

TEST(ParseYamlToMessageTest, FillsNestedMessagesAndRepeatedMessages) {
  config::CollectorConfig config;
  ASSERT_THAT(ParseYamlToMessage(R"(
region:
  code: flevoland
  name: Flevoland
  municipalities:
    - {code: GM0034, name: Almere}
    - code: GM0303
      name: Dronten
      valid_to: "2020-01-01"
listen: "127.0.0.1:0"
tls:
  certificate: certs/collector.pem
storage: {sqlite: {path: /var/lib/vroeg/collector.db}}
)",
                                 "collector.yaml", &config),
              IsOk());
  EXPECT_EQ(config.region().code(), "flevoland");
  EXPECT_EQ(config.region().name(), "Flevoland");
  ASSERT_EQ(config.region().municipalities_size(), 2);
  EXPECT_EQ(config.region().municipalities(0).code(), "GM0034");
  EXPECT_EQ(config.region().municipalities(0).name(), "Almere");
  EXPECT_EQ(config.region().municipalities(1).code(), "GM0303");
  EXPECT_EQ(config.region().municipalities(1).valid_to(), "2020-01-01");
  EXPECT_EQ(config.listen(), "127.0.0.1:0");
  EXPECT_EQ(config.tls().certificate(), "certs/collector.pem");
  EXPECT_TRUE(config.has_storage());
  EXPECT_EQ(config.storage().sqlite().path(), "/var/lib/vroeg/collector.db");
  EXPECT_EQ(config.catalogue(), "");
}

TEST(ParseYamlToMessageTest, FillsRepeatedScalarsAndEnums) {
  cat::Indicator indicator;
  ASSERT_THAT(ParseYamlToMessage(R"(
code: wachtenden
unit: COUNT
reporter_kinds: [PROVIDER, CERTIFIED_INSTITUTION]
cadence: MONTH
)",
                                 "indicator.yaml", &indicator),
              IsOk());
  EXPECT_EQ(indicator.code(), "wachtenden");
  EXPECT_EQ(indicator.unit(), cat::UNIT_COUNT);
  EXPECT_THAT(indicator.reporter_kinds(), ElementsAre(types::REPORTER_KIND_PROVIDER,
                                                      types::REPORTER_KIND_CERTIFIED_INSTITUTION));
  EXPECT_EQ(indicator.cadence(), types::GRANULARITY_MONTH);

  cat::ProductCategory category;
  ASSERT_THAT(
      ParseYamlToMessage("code: \"44\"\ncare_forms:\n  - verblijf\n  - kortdurend_verblijf\n",
                         "category.yaml", &category),
      IsOk());
  EXPECT_EQ(category.code(), "44");
  EXPECT_THAT(category.care_forms(), ElementsAre("verblijf", "kortdurend_verblijf"));
}

TEST(ParseYamlToMessageTest, FillsMapFields) {
  cat::Metric metric;
  ASSERT_THAT(
      ParseYamlToMessage("name: jeugdzorg_referrals\nlabels: {route: medical, source: gp}\n",
                         "metric.yaml", &metric),
      IsOk());
  EXPECT_THAT(metric.labels(),
              UnorderedElementsAre(Pair("route", "medical"), Pair("source", "gp")));

  ASSERT_THAT(ParseYamlToMessage("labels:\n", "metric.yaml", &metric), IsOk());
  EXPECT_THAT(metric.labels(), IsEmpty());
}

TEST(ParseYamlToMessageTest, OptionalDoubleHasPresence) {
  cat::Indicator indicator;
  ASSERT_THAT(ParseYamlToMessage("code: a\nmax: 10\n", "indicator.yaml", &indicator), IsOk());
  EXPECT_FALSE(indicator.has_min());
  EXPECT_TRUE(indicator.has_max());
  EXPECT_EQ(indicator.max(), 10);

  ASSERT_THAT(ParseYamlToMessage("min: 0\nmax: -1e11\n", "indicator.yaml", &indicator), IsOk());
  EXPECT_TRUE(indicator.has_min());
  EXPECT_EQ(indicator.min(), 0);
  EXPECT_EQ(indicator.max(), -1e11);
}

TEST(ParseYamlToMessageTest, ParsesNumbersOfEveryWidth) {
  google::protobuf::Timestamp timestamp;
  ASSERT_THAT(ParseYamlToMessage("seconds: 1795000000\nnanos: -5\n", "ts.yaml", &timestamp),
              IsOk());
  EXPECT_EQ(timestamp.seconds(), 1795000000);
  EXPECT_EQ(timestamp.nanos(), -5);

  config::AgentConfig agent;
  ASSERT_THAT(ParseYamlToMessage("timeout_seconds: +30\n", "agent.yaml", &agent), IsOk());
  EXPECT_EQ(agent.timeout_seconds(), 30u);

  api::Observation observation;
  ASSERT_THAT(ParseYamlToMessage("value: 6.5e-2\nsource_row: 14\n", "obs.yaml", &observation),
              IsOk());
  EXPECT_EQ(observation.value(), 0.065);
  EXPECT_EQ(observation.source_row(), 14u);
}

TEST(ParseYamlToMessageTest, ParsesBooleansInAnyCase) {
  api::SubmissionRejection rejection;
  ASSERT_THAT(ParseYamlToMessage("truncated: true\n", "r.yaml", &rejection), IsOk());
  EXPECT_TRUE(rejection.truncated());
  ASSERT_THAT(ParseYamlToMessage("truncated: False\n", "r.yaml", &rejection), IsOk());
  EXPECT_FALSE(rejection.truncated());
  ASSERT_THAT(ParseYamlToMessage("truncated: TRUE\n", "r.yaml", &rejection), IsOk());
  EXPECT_TRUE(rejection.truncated());
}

TEST(ParseYamlToMessageTest, ScalarsKeepTheirTextForStrings) {
  cat::Catalogue catalogue;
  ASSERT_THAT(ParseYamlToMessage("version: 2026.10\n", "c.yaml", &catalogue), IsOk());
  EXPECT_EQ(catalogue.version(), "2026.10");
  config::RegionMember member;
  ASSERT_THAT(ParseYamlToMessage("code: 0034\n", "m.yaml", &member), IsOk());
  EXPECT_EQ(member.code(), "0034");
}

TEST(ParseYamlToMessageTest, EmptyDocumentsAreEmptyMessages) {
  for (const char* yaml : {"", "\n", "# nothing configured yet\n", "~\n", "---\n"}) {
    config::CollectorConfig config;
    config.set_listen("stale");
    EXPECT_THAT(ParseYamlToMessage(yaml, "empty.yaml", &config), IsOk()) << yaml;
    EXPECT_EQ(config.listen(), "") << yaml;
  }
}

TEST(ParseYamlToMessageTest, ClearsTheMessageFirst) {
  config::CollectorConfig config;
  config.set_listen("0.0.0.0:7443");
  config.mutable_region()->set_code("utrecht");
  ASSERT_THAT(ParseYamlToMessage("catalogue: /etc/vroeg/catalogue.yaml\n", "c.yaml", &config),
              IsOk());
  EXPECT_EQ(config.listen(), "");
  EXPECT_FALSE(config.has_region());
  EXPECT_EQ(config.catalogue(), "/etc/vroeg/catalogue.yaml");
}

TEST(ParseYamlToMessageTest, NullMessageAndListFieldsAreLeftEmpty) {
  config::CollectorConfig config;
  ASSERT_THAT(ParseYamlToMessage("tls:\nregion:\n  municipalities:\n", "c.yaml", &config), IsOk());
  EXPECT_EQ(config.tls().certificate(), "");
  EXPECT_EQ(config.region().municipalities_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Errors: "<source>:<line>:<column>: <field path>: <what is wrong>".

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string message;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class CollectorConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CollectorConfigErrorTest, NamesPlaceAndRule) {
  config::CollectorConfig config;
  EXPECT_THAT(ParseYamlToMessage(GetParam().yaml, "collector.yaml", &config),
              StatusIs(kInvalid, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, CollectorConfigErrorTest,
    ::testing::Values(
        ErrorCase{"UnknownKeyWithSuggestion", "regoin:\n  code: flevoland\n",
                  "collector.yaml:1:1: regoin: unknown key (did you mean 'region'?)"},
        ErrorCase{"NestedUnknownKeyWithSuggestion", "region:\n  code: flevoland\n  cdoe: x\n",
                  "collector.yaml:3:3: region.cdoe: unknown key (did you mean 'code'?)"},
        ErrorCase{"UnknownKeyInListItem",
                  "region:\n  municipalities:\n    - {code: GM0034, valid_fro: \"2020-01-01\"}\n",
                  "collector.yaml:3:22: region.municipalities[0].valid_fro: unknown key (did "
                  "you mean 'valid_from'?)"},
        ErrorCase{"UnknownKeyListsValidKeys", "database: sqlite\n",
                  "collector.yaml:1:1: database: unknown key; valid keys: region, listen, tls, "
                  "metrics_listen, catalogue, storage, limits, audit_log, member_regions, "
                  "early_warning, export_readers, upstream, metrics_security"},
        ErrorCase{"DuplicateKey", "listen: a\ncatalogue: c\nlisten: b\n",
                  "collector.yaml:3:1: listen: key appears twice"},
        ErrorCase{"DuplicateNestedKey", "tls:\n  certificate: a\n  certificate: b\n",
                  "collector.yaml:3:3: tls.certificate: key appears twice"},
        ErrorCase{"ListForScalar", "listen: [a, b]\n",
                  "collector.yaml:1:9: listen: expected a single value, found a list"},
        ErrorCase{"MappingForScalar", "listen: {host: a}\n",
                  "collector.yaml:1:9: listen: expected a single value, found a mapping"},
        ErrorCase{"ScalarForMessage", "tls: /etc/vroeg/tls\n",
                  "collector.yaml:1:6: tls: expected a mapping of Tls fields, found "
                  "'/etc/vroeg/tls'"},
        ErrorCase{"ScalarForList", "region:\n  municipalities: GM0034\n",
                  "collector.yaml:2:19: region.municipalities: expected a list, found 'GM0034'"},
        ErrorCase{"ScalarForListItemMessage", "region:\n  municipalities: [GM0034]\n",
                  "collector.yaml:2:20: region.municipalities[0]: expected a mapping of "
                  "RegionMember fields, found 'GM0034'"},
        ErrorCase{"TopLevelList", "- listen: a\n",
                  "collector.yaml:1:1: expected a mapping of CollectorConfig fields, found a "
                  "list"},
        ErrorCase{"TopLevelScalar", "hello\n",
                  "collector.yaml:1:1: expected a mapping of CollectorConfig fields, found "
                  "'hello'"},
        ErrorCase{"NonScalarKey", "? [a, b]\n: c\n",
                  "collector.yaml:1:3: keys must be plain names"}),
    [](const ::testing::TestParamInfo<ErrorCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ParseYamlToMessageErrorTest, WrongNumbers) {
  config::AgentConfig agent;
  EXPECT_THAT(ParseYamlToMessage("timeout_seconds: soon\n", "agent.yaml", &agent),
              StatusIs(kInvalid,
                       "agent.yaml:1:18: timeout_seconds: 'soon' is not a non-negative whole "
                       "number"));
  EXPECT_THAT(ParseYamlToMessage("timeout_seconds: -5\n", "agent.yaml", &agent),
              StatusIs(kInvalid,
                       "agent.yaml:1:18: timeout_seconds: '-5' is not a non-negative whole "
                       "number"));
  EXPECT_THAT(ParseYamlToMessage("timeout_seconds: 1.5\n", "agent.yaml", &agent),
              StatusIs(kInvalid,
                       "agent.yaml:1:18: timeout_seconds: '1.5' is not a non-negative whole "
                       "number"));
  EXPECT_THAT(ParseYamlToMessage("timeout_seconds: 4294967296\n", "agent.yaml", &agent),
              StatusIs(kInvalid,
                       "agent.yaml:1:18: timeout_seconds: '4294967296' is not a non-negative "
                       "whole number"));
  EXPECT_THAT(ParseYamlToMessage("timeout_seconds: 0x10\n", "agent.yaml", &agent),
              StatusIs(kInvalid,
                       "agent.yaml:1:18: timeout_seconds: '0x10' is not a non-negative whole "
                       "number"));

  google::protobuf::Timestamp timestamp;
  EXPECT_THAT(ParseYamlToMessage("nanos: 1e3\n", "ts.yaml", &timestamp),
              StatusIs(kInvalid, "ts.yaml:1:8: nanos: '1e3' is not a whole number"));

  cat::Indicator indicator;
  EXPECT_THAT(ParseYamlToMessage("code: a\nmin: zero\n", "indicator.yaml", &indicator),
              StatusIs(kInvalid, "indicator.yaml:2:6: min: 'zero' is not a number"));
  EXPECT_THAT(ParseYamlToMessage("max: 10 000\n", "indicator.yaml", &indicator),
              StatusIs(kInvalid, "indicator.yaml:1:6: max: '10 000' is not a number"));
  EXPECT_THAT(ParseYamlToMessage("max: \"\"\n", "indicator.yaml", &indicator),
              StatusIs(kInvalid, "indicator.yaml:1:6: max: '' is not a number"));
}

TEST(ParseYamlToMessageErrorTest, WrongBoolean) {
  api::SubmissionRejection rejection;
  EXPECT_THAT(ParseYamlToMessage("truncated: yes\n", "r.yaml", &rejection),
              StatusIs(kInvalid, "r.yaml:1:12: truncated: 'yes' is not true or false"));
}

TEST(ParseYamlToMessageErrorTest, BadEnumListsTheValidNames) {
  api::Observation observation;
  EXPECT_THAT(ParseYamlToMessage("period:\n  granularity: WEEKLY\n", "obs.yaml", &observation),
              StatusIs(kInvalid,
                       "obs.yaml:2:16: period.granularity: 'WEEKLY' is not one of DAY, WEEK, "
                       "MONTH, QUARTER, YEAR"));
  EXPECT_THAT(ParseYamlToMessage("period: {granularity: week}\n", "obs.yaml", &observation),
              StatusIs(kInvalid,
                       "obs.yaml:1:23: period.granularity: 'week' is not one of DAY, WEEK, "
                       "MONTH, QUARTER, YEAR"));
  // The zero value means "not set" and cannot be written.
  EXPECT_THAT(
      ParseYamlToMessage("period: {granularity: GRANULARITY_UNSPECIFIED}\n", "obs.yaml",
                         &observation),
      StatusIs(kInvalid,
               "obs.yaml:1:23: period.granularity: 'GRANULARITY_UNSPECIFIED' is not one of DAY, "
               "WEEK, MONTH, QUARTER, YEAR"));
}

TEST(ParseYamlToMessageErrorTest, BadRepeatedEnumNamesTheItem) {
  cat::Indicator indicator;
  EXPECT_THAT(ParseYamlToMessage("reporter_kinds: [PROVIDER, GEMEENTE]\n", "i.yaml", &indicator),
              StatusIs(kInvalid,
                       "i.yaml:1:28: reporter_kinds[1]: 'GEMEENTE' is not one of PROVIDER, "
                       "CERTIFIED_INSTITUTION, MUNICIPALITY, REGION, SUPERVISOR"));
  EXPECT_THAT(ParseYamlToMessage("reporter_kinds: PROVIDER\n", "i.yaml", &indicator),
              StatusIs(kInvalid, "i.yaml:1:17: reporter_kinds: expected a list, found 'PROVIDER'"));
}

TEST(ParseYamlToMessageErrorTest, MapFieldErrors) {
  cat::Metric metric;
  EXPECT_THAT(ParseYamlToMessage("labels: [route]\n", "m.yaml", &metric),
              StatusIs(kInvalid, "m.yaml:1:9: labels: expected a mapping"));
  EXPECT_THAT(ParseYamlToMessage("labels:\n  route: a\n  route: b\n", "m.yaml", &metric),
              StatusIs(kInvalid, "m.yaml:3:3: labels.route: key appears twice"));
  EXPECT_THAT(
      ParseYamlToMessage("labels: {route: [a, b]}\n", "m.yaml", &metric),
      StatusIs(kInvalid, "m.yaml:1:17: labels.route: expected a single value, found a list"));
}

TEST(ParseYamlToMessageErrorTest, InvalidYamlSyntax) {
  config::CollectorConfig config;
  EXPECT_THAT(
      ParseYamlToMessage("region: [flevoland\n", "collector.yaml", &config),
      StatusIs(kInvalid, "collector.yaml:2:1: not valid YAML: end of sequence flow not found"));
  EXPECT_THAT(ParseYamlToMessage("listen: {a: b\n", "collector.yaml", &config),
              StatusIs(kInvalid, "collector.yaml:2:1: not valid YAML: end of map flow not found"));
  EXPECT_THAT(
      ParseYamlToMessage("listen: a\n\tcatalogue: b\n", "collector.yaml", &config),
      StatusIs(kInvalid,
               "collector.yaml:2:1: not valid YAML: illegal tab when looking for indentation"));
  EXPECT_THAT(ParseYamlToMessage("region:\n  code: a\n    name: b\n", "collector.yaml", &config),
              StatusIs(kInvalid, "collector.yaml:3:9: not valid YAML: illegal map value"));
}

// ---------------------------------------------------------------------------------------------
// Files.

TEST(LoadYamlFileTest, MissingFileIsNotFoundNamingThePath) {
  TempDir dir;
  const std::string path = dir.Sub("collector.yaml");
  config::CollectorConfig config;
  EXPECT_THAT(LoadYamlFile(path, &config),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("cannot read ", path, ": No such file or directory")));
}

TEST(LoadYamlFileTest, ErrorsNameTheFile) {
  TempDir dir;
  const std::string path = dir.WriteFile("collector.yaml", "listen: a\nlisten: b\n");
  config::CollectorConfig config;
  EXPECT_THAT(LoadYamlFile(path, &config),
              StatusIs(kInvalid, path + ":2:1: listen: key appears twice"));
}

TEST(LoadYamlFileTest, LoadsAFile) {
  TempDir dir;
  const std::string path = dir.WriteFile("agent.yaml",
                                         "collector: collector.flevoland.example:7443\n"
                                         "timeout_seconds: 20\n");
  config::AgentConfig agent;
  ASSERT_THAT(LoadYamlFile(path, &agent), IsOk());
  EXPECT_EQ(agent.collector(), "collector.flevoland.example:7443");
  EXPECT_EQ(agent.timeout_seconds(), 20u);
}

TEST(ReadFileToStringTest, ReadsBytesAsWritten) {
  TempDir dir;
  const std::string contents("a\0b\r\nc", 6);
  const std::string path = dir.WriteFile("data.bin", contents);
  EXPECT_THAT(ReadFileToString(path), IsOkAndHolds(contents));
  EXPECT_THAT(ReadFileToString(dir.WriteFile("empty", "")), IsOkAndHolds(std::string()));
}

TEST(ReadFileToStringTest, MissingFileIsNotFound) {
  TempDir dir;
  const std::string path = dir.Sub("nested/absent.pem");
  EXPECT_THAT(ReadFileToString(path),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("cannot read ", path, ": No such file or directory")));
}

TEST(ReadFileToStringTest, UnreadableFileIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file; cannot test permissions";
  TempDir dir;
  const std::string path = dir.WriteFile("secret.pem", "x", 0000);
  EXPECT_THAT(ReadFileToString(path),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("cannot read ", path, ": Permission denied")));
}

// A path that names a directory (a common slip in configuration, e.g. "tls/") must not read as
// an empty file: an empty YAML config is valid and would start a daemon with all defaults.
TEST(ReadFileToStringTest, DirectoryIsNotAFile) {
  TempDir dir;
  EXPECT_THAT(ReadFileToString(dir.path()), Not(IsOk()));
}

}  // namespace
}  // namespace vroeg
