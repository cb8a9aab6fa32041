#include "server/authorizer.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

const ReporterId kProvider{type::v1::REPORTER_KIND_PROVIDER, "12345678"};
const ReporterId kInstitution{type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION, "23456789"};
const ReporterId kAlmere{type::v1::REPORTER_KIND_MUNICIPALITY, "GM0034"};
const ReporterId kSupervisor{type::v1::REPORTER_KIND_SUPERVISOR, "nza"};
const ReporterId kGooi{type::v1::REPORTER_KIND_REGION, "gooi-en-vechtstreek"};
const ReporterId kUtrecht{type::v1::REPORTER_KIND_REGION, "utrecht-stad"};

struct Case {
  std::string name;
  ReporterId caller;
  // urn the request names, empty for none.
  std::string reporter;
  std::string indicator;
  std::string municipality;
  // Empty when allowed; otherwise the rule and the whole message.
  std::string rule;
  std::string message;
};

class AuthorizerTest : public ::testing::TestWithParam<Case> {
 protected:
  AuthorizerTest() {
    auto catalogue = Catalogue::LoadFile(std::string(std::getenv("VROEG_SOURCE_DIR")) +
                                         "/deploy/catalogue/catalogue.yaml");
    EXPECT_TRUE(catalogue.ok()) << catalogue.status();
    config::v1::Region flevoland;
    flevoland.set_code("flevoland");
    flevoland.add_municipalities()->set_code("GM0034");
    config::v1::Region gooi;
    gooi.set_code("gooi-en-vechtstreek");
    gooi.add_municipalities()->set_code("GM0406");
    gooi.add_municipalities()->set_code("GM0402");
    authorizer_ = std::make_unique<Authorizer>(*catalogue, flevoland,
                                               std::vector<config::v1::Region>{gooi}, &registry_);
  }

  double Refusals(const std::string& rule) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "vroeg_authorization_refusals_total") continue;
      for (const auto& metric : family.metric) {
        if (metric.label.size() == 1 && metric.label[0].value == rule) return metric.counter.value;
      }
    }
    return -1;
  }

  prometheus::Registry registry_;
  std::unique_ptr<Authorizer> authorizer_;
};

// The same authorizer, for calls that take no Case.
class AuthorizerExportTest : public ::testing::Test {
 protected:
  AuthorizerExportTest() {
    auto catalogue = Catalogue::LoadFile(std::string(std::getenv("VROEG_SOURCE_DIR")) +
                                         "/deploy/catalogue/catalogue.yaml");
    EXPECT_TRUE(catalogue.ok()) << catalogue.status();
    config::v1::Region flevoland;
    flevoland.set_code("flevoland");
    authorizer_ = std::make_unique<Authorizer>(*catalogue, flevoland,
                                               std::vector<config::v1::Region>{}, &registry_);
  }

  double Refusals(const std::string& rule) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "vroeg_authorization_refusals_total") continue;
      for (const auto& metric : family.metric) {
        if (metric.label.size() == 1 && metric.label[0].value == rule) return metric.counter.value;
      }
    }
    return -1;
  }

  prometheus::Registry registry_;
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_P(AuthorizerTest, DecidesByRole) {
  const Case& c = GetParam();
  api::v1::SubmitRequest request;
  request.set_submission_id("s-1");
  request.set_reporter(c.reporter);
  auto* observation = request.add_observations();
  observation->set_indicator(c.indicator);
  observation->set_municipality(c.municipality);
  auto scope = authorizer_->AuthorizeSubmission(c.caller, request);
  if (c.rule.empty()) {
    ASSERT_TRUE(scope.ok()) << scope.status();
    EXPECT_EQ(scope->reporter.Urn(), c.reporter.empty() ? c.caller.Urn() : c.reporter);
    return;
  }
  EXPECT_EQ(scope.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(scope.status().message(), c.message);
  EXPECT_EQ(Refusals(c.rule), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Roles, AuthorizerTest,
    ::testing::Values(
        Case{"ProviderForItself", kProvider, "", "wachtenden", "GM0034", "", ""},
        Case{"ProviderNamingItself", kProvider, "urn:vroeg:provider:12345678", "wachtenden", "", "",
             ""},
        Case{"InstitutionForItself", kInstitution, "", "wachtenden", "", "", ""},
        Case{"MunicipalityForItself", kAlmere, "", "verwijzingen_huisarts", "GM0034", "", ""},
        Case{"MunicipalityBareCodeIsItself", kAlmere, "", "verwijzingen_huisarts", "0034", "", ""},
        Case{"ProviderForAnother", kProvider, "urn:vroeg:provider:87654321", "wachtenden", "",
             "other_reporter",
             "urn:vroeg:provider:12345678 is not allowed this: a provider submits only its own "
             "figures, not those of urn:vroeg:provider:87654321 (rule other_reporter)"},
        Case{"MunicipalityForAnother", kAlmere, "urn:vroeg:municipality:GM0050",
             "verwijzingen_huisarts", "", "other_reporter",
             "urn:vroeg:municipality:GM0034 is not allowed this: a municipality submits only its "
             "own figures, not those of urn:vroeg:municipality:GM0050 (rule other_reporter)"},
        Case{"ProviderSendsMunicipalIndicator", kProvider, "", "verwijzingen_huisarts", "",
             "indicator_for_kind",
             "urn:vroeg:provider:12345678 is not allowed this: observation 1: the catalogue lets "
             "only municipality report verwijzingen_huisarts, not a provider (rule "
             "indicator_for_kind)"},
        Case{"MunicipalitySendsProviderIndicator", kAlmere, "", "wachtenden", "",
             "indicator_for_kind",
             "urn:vroeg:municipality:GM0034 is not allowed this: observation 1: the catalogue lets "
             "only provider, certified_institution report wachtenden, not a municipality (rule "
             "indicator_for_kind)"},
        Case{"MunicipalityForAnotherMunicipality", kAlmere, "", "verwijzingen_huisarts", "GM0050",
             "other_municipality",
             "urn:vroeg:municipality:GM0034 is not allowed this: observation 1: municipality "
             "GM0034 reports only for itself, not for GM0050 (rule other_municipality)"},
        Case{"SupervisorSubmits", kSupervisor, "", "wachtenden", "", "supervisor_submits",
             "urn:vroeg:supervisor:nza is not allowed this: a supervisor certificate reads "
             "exports and submits nothing (rule supervisor_submits)"},
        Case{"RegionForwardsItsMunicipality", kGooi, "urn:vroeg:municipality:GM0406",
             "verwijzingen_huisarts", "GM0406", "", ""},
        Case{"RegionForwardsAProviderInItsMunicipality", kGooi, "urn:vroeg:provider:12345678",
             "wachtenden", "GM0402", "", ""},
        Case{"RegionForwardsAnotherRegionsMunicipality", kGooi, "urn:vroeg:municipality:GM0034",
             "verwijzingen_huisarts", "GM0034", "region_outside_own",
             "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: "
             "urn:vroeg:municipality:GM0034 is not a municipality of region gooi-en-vechtstreek "
             "(rule region_outside_own)"},
        Case{"RegionForwardsAProviderOutsideIt", kGooi, "urn:vroeg:provider:12345678", "wachtenden",
             "GM0034", "region_outside_own",
             "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: observation 1: "
             "municipality GM0034 is not part of region gooi-en-vechtstreek (rule "
             "region_outside_own)"},
        // The paying municipality of revenue says who paid, not where the provider works.
        Case{"RegionForwardsAProvidersRevenuePaidFromOutsideIt", kGooi,
             "urn:vroeg:provider:12345678", "omzet_jeugdzorg_gemeente", "GM0344", "", ""},
        Case{"RegionForwardsAProvidersRevenuePaidByItsMember", kGooi, "urn:vroeg:provider:12345678",
             "omzet_jeugdzorg_gemeente", "GM0406", "", ""},
        Case{"RegionForwardsTheWrongIndicatorForTheReporter", kGooi, "urn:vroeg:provider:12345678",
             "verwijzingen_huisarts", "", "indicator_for_kind",
             "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: observation 1: the "
             "catalogue lets only municipality report verwijzingen_huisarts, not a provider "
             "(rule indicator_for_kind)"},
        Case{"RegionSubmitsAsItself", kGooi, "", "wachtenden", "", "region_names_no_reporter",
             "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: a region certificate "
             "forwards the figures of a provider, certified institution or municipality of its "
             "region; set reporter to that reporter's URN (rule region_names_no_reporter)"},
        Case{"RegionForwardsForARegion", kGooi, "urn:vroeg:region:utrecht-stad", "wachtenden", "",
             "region_names_no_reporter",
             "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: a region certificate "
             "forwards the figures of a provider, certified institution or municipality of its "
             "region; set reporter to that reporter's URN (rule region_names_no_reporter)"},
        Case{"RegionNotAMember", kUtrecht, "urn:vroeg:municipality:GM0344", "wachtenden", "",
             "region_not_member",
             "urn:vroeg:region:utrecht-stad is not allowed this: region utrecht-stad may not "
             "forward to the collector of flevoland, which does not list it under member_regions "
             "(rule region_not_member)"}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

TEST_F(AuthorizerExportTest, SupervisorAndListedRegionOperatorsMayExport) {
  const std::vector<std::string> readers = {kGooi.Urn()};
  EXPECT_TRUE(authorizer_->AuthorizeExport(kSupervisor, {}).ok());
  EXPECT_TRUE(authorizer_->AuthorizeExport(kSupervisor, readers).ok());
  EXPECT_TRUE(authorizer_->AuthorizeExport(kGooi, readers).ok());
  EXPECT_EQ(Refusals("export_not_allowed"), 0);
}

TEST_F(AuthorizerExportTest, EveryoneElseIsDenied) {
  const std::vector<std::string> readers = {kGooi.Urn(), kProvider.Urn()};
  int refused = 0;
  for (const ReporterId& caller : {kUtrecht, kProvider, kInstitution, kAlmere}) {
    absl::Status status = authorizer_->AuthorizeExport(caller, readers);
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << caller.Urn();
    EXPECT_EQ(status.message(),
              caller.Urn() +
                  " is not allowed this: exports are for the supervisor and the region operators "
                  "that the collector of flevoland lists under export_readers (rule "
                  "export_not_allowed)");
    EXPECT_EQ(Refusals("export_not_allowed"), ++refused);
  }
  EXPECT_EQ(authorizer_->AuthorizeExport(kGooi, {}).code(), absl::StatusCode::kPermissionDenied);
}

TEST(AuthorizerReporterTest, AMalformedReporterIsInvalidNotDenied) {
  auto catalogue = Catalogue::LoadFile(std::string(std::getenv("VROEG_SOURCE_DIR")) +
                                       "/deploy/catalogue/catalogue.yaml");
  ASSERT_TRUE(catalogue.ok());
  prometheus::Registry registry;
  Authorizer authorizer(*catalogue, config::v1::Region(), {}, &registry);
  api::v1::SubmitRequest request;
  request.set_reporter("urn:vroeg:provider:123");
  EXPECT_EQ(authorizer.AuthorizeSubmission(kProvider, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vroeg
