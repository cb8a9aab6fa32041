#include "common/identity.h"

#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace vroeg {

// Lets gMock print identities in failure messages.
void PrintTo(const ReporterId& id, std::ostream* os) {
  *os << "{" << type::v1::ReporterKind_Name(id.kind) << ", \"" << id.id << "\"}";
}

namespace {

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;

using vroeg::testing::IsOk;
using vroeg::testing::IsOkAndHolds;
using vroeg::testing::StatusIs;

constexpr char kAcceptedKinds[] =
    "expected one of provider, certified_institution, municipality, region, supervisor";

struct UrnCase {
  const char* urn;
  types::ReporterKind kind;
  const char* id;
};

void PrintTo(const UrnCase& c, std::ostream* os) { *os << c.urn; }

class ParseReporterUrnTest : public ::testing::TestWithParam<UrnCase> {};

TEST_P(ParseReporterUrnTest, ParsesAndNormalises) {
  EXPECT_THAT(ParseReporterUrn(GetParam().urn),
              IsOkAndHolds(ReporterId{GetParam().kind, GetParam().id}));
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, ParseReporterUrnTest,
    ::testing::Values(
        UrnCase{"urn:vroeg:provider:12345678", types::REPORTER_KIND_PROVIDER, "12345678"},
        UrnCase{"urn:vroeg:provider:00000001", types::REPORTER_KIND_PROVIDER, "00000001"},
        UrnCase{"urn:vroeg:certified_institution:87654321",
                types::REPORTER_KIND_CERTIFIED_INSTITUTION, "87654321"},
        UrnCase{"urn:vroeg:municipality:GM0171", types::REPORTER_KIND_MUNICIPALITY, "GM0171"},
        UrnCase{"urn:vroeg:municipality:0171", types::REPORTER_KIND_MUNICIPALITY, "GM0171"},
        UrnCase{"urn:vroeg:municipality:gm0171", types::REPORTER_KIND_MUNICIPALITY, "GM0171"},
        UrnCase{"urn:vroeg:region:flevoland", types::REPORTER_KIND_REGION, "flevoland"},
        UrnCase{"urn:vroeg:region:noord-holland_noord", types::REPORTER_KIND_REGION,
                "noord-holland_noord"},
        UrnCase{"urn:vroeg:supervisor:nza", types::REPORTER_KIND_SUPERVISOR, "nza"}));

struct RefusedUrn {
  const char* urn;
  std::string message;
};

void PrintTo(const RefusedUrn& c, std::ostream* os) { *os << c.urn; }

class ParseReporterUrnRefusesTest : public ::testing::TestWithParam<RefusedUrn> {};

TEST_P(ParseReporterUrnRefusesTest, WithTheRuleThatFailed) {
  EXPECT_THAT(ParseReporterUrn(GetParam().urn),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ParseReporterUrnRefusesTest,
    ::testing::Values(
        RefusedUrn{"urn:vroeg:provider:1234567",
                   "'urn:vroeg:provider:1234567': '1234567' is not an AGB code: expected exactly "
                   "8 digits"},
        RefusedUrn{"urn:vroeg:provider:123456789",
                   "'urn:vroeg:provider:123456789': '123456789' is not an AGB code: expected "
                   "exactly 8 digits"},
        RefusedUrn{"urn:vroeg:provider:1234567a",
                   "'urn:vroeg:provider:1234567a': '1234567a' is not an AGB code: expected "
                   "exactly 8 digits"},
        RefusedUrn{"urn:vroeg:certified_institution:AB345678",
                   "'urn:vroeg:certified_institution:AB345678': 'AB345678' is not an AGB code: "
                   "expected exactly 8 digits"},
        RefusedUrn{"urn:vroeg:provider:",
                   "'urn:vroeg:provider:': '' is not an AGB code: expected exactly 8 digits"},
        RefusedUrn{"urn:vroeg:municipality:GM171",
                   "'urn:vroeg:municipality:GM171': 'GM171' is not a CBS municipality code: "
                   "expected GM followed by 4 digits"},
        RefusedUrn{"urn:vroeg:municipality:Gm0171",
                   "'urn:vroeg:municipality:Gm0171': 'Gm0171' is not a CBS municipality code: "
                   "expected GM followed by 4 digits"},
        RefusedUrn{"urn:vroeg:municipality:almere",
                   "'urn:vroeg:municipality:almere': 'almere' is not a CBS municipality code: "
                   "expected GM followed by 4 digits"},
        RefusedUrn{"urn:vroeg:region:Flevoland",
                   "'urn:vroeg:region:Flevoland': name 'Flevoland' may contain only lower-case "
                   "letters, digits, '-' and '_'"},
        RefusedUrn{"urn:vroeg:region:flevo land",
                   "'urn:vroeg:region:flevo land': name 'flevo land' may contain only lower-case "
                   "letters, digits, '-' and '_'"},
        RefusedUrn{"urn:vroeg:supervisor:",
                   "'urn:vroeg:supervisor:': name '' must be 1 to 64 characters long"},
        RefusedUrn{"urn:vroeg:hospital:12345678",
                   absl::StrCat("unknown reporter kind 'hospital'; ", kAcceptedKinds)},
        RefusedUrn{"urn:vroeg:Provider:12345678",
                   absl::StrCat("unknown reporter kind 'Provider'; ", kAcceptedKinds)},
        RefusedUrn{"urn:vroeg::12345678",
                   absl::StrCat("unknown reporter kind ''; ", kAcceptedKinds)},
        RefusedUrn{"urn:vroeg:provider",
                   "'urn:vroeg:provider' has no id: expected urn:vroeg:<kind>:<id>"},
        RefusedUrn{"urn:vroeg:", "'urn:vroeg:' has no id: expected urn:vroeg:<kind>:<id>"},
        RefusedUrn{"urn:other:provider:12345678",
                   "'urn:other:provider:12345678' is not a reporter identity: expected "
                   "urn:vroeg:<kind>:<id>"},
        RefusedUrn{"URN:VROEG:provider:12345678",
                   "'URN:VROEG:provider:12345678' is not a reporter identity: expected "
                   "urn:vroeg:<kind>:<id>"},
        RefusedUrn{"", "'' is not a reporter identity: expected urn:vroeg:<kind>:<id>"}));

TEST(ParseReporterUrnTest, NameLengthLimitIs64) {
  const std::string longest(64, 'a');
  EXPECT_THAT(ParseReporterUrn("urn:vroeg:region:" + longest),
              IsOkAndHolds(ReporterId{types::REPORTER_KIND_REGION, longest}));
  const std::string too_long(65, 'a');
  EXPECT_THAT(ParseReporterUrn("urn:vroeg:region:" + too_long),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("'urn:vroeg:region:", too_long, "': name '", too_long,
                                    "' must be 1 to 64 characters long")));
}

TEST(ReporterIdTest, UrnRoundTrips) {
  for (const ReporterId& id : {ReporterId{types::REPORTER_KIND_PROVIDER, "12345678"},
                               ReporterId{types::REPORTER_KIND_CERTIFIED_INSTITUTION, "87654321"},
                               ReporterId{types::REPORTER_KIND_MUNICIPALITY, "GM0034"},
                               ReporterId{types::REPORTER_KIND_REGION, "flevoland"},
                               ReporterId{types::REPORTER_KIND_SUPERVISOR, "nza"}}) {
    EXPECT_THAT(ParseReporterUrn(id.Urn()), IsOkAndHolds(id)) << id.Urn();
  }
}

TEST(ReporterIdTest, UrnSpellsKindAndId) {
  EXPECT_EQ((ReporterId{types::REPORTER_KIND_PROVIDER, "12345678"}.Urn()),
            "urn:vroeg:provider:12345678");
  EXPECT_EQ((ReporterId{types::REPORTER_KIND_CERTIFIED_INSTITUTION, "87654321"}.Urn()),
            "urn:vroeg:certified_institution:87654321");
  EXPECT_EQ((ReporterId{types::REPORTER_KIND_MUNICIPALITY, "GM0034"}.Urn()),
            "urn:vroeg:municipality:GM0034");
}

TEST(ReporterIdTest, OrdersByKindThenId) {
  EXPECT_LT((ReporterId{types::REPORTER_KIND_PROVIDER, "99999999"}),
            (ReporterId{types::REPORTER_KIND_MUNICIPALITY, "GM0001"}));
  EXPECT_LT((ReporterId{types::REPORTER_KIND_PROVIDER, "11111111"}),
            (ReporterId{types::REPORTER_KIND_PROVIDER, "22222222"}));
  EXPECT_NE((ReporterId{types::REPORTER_KIND_PROVIDER, "11111111"}),
            (ReporterId{types::REPORTER_KIND_CERTIFIED_INSTITUTION, "11111111"}));
}

TEST(KindTest, NamesRoundTrip) {
  for (types::ReporterKind kind :
       {types::REPORTER_KIND_PROVIDER, types::REPORTER_KIND_CERTIFIED_INSTITUTION,
        types::REPORTER_KIND_MUNICIPALITY, types::REPORTER_KIND_REGION,
        types::REPORTER_KIND_SUPERVISOR}) {
    EXPECT_THAT(ParseKind(KindName(kind)), IsOkAndHolds(kind)) << KindName(kind);
  }
  EXPECT_EQ(KindName(types::REPORTER_KIND_CERTIFIED_INSTITUTION), "certified_institution");
  EXPECT_EQ(KindName(types::REPORTER_KIND_UNSPECIFIED), "unspecified");
}

TEST(KindTest, UnknownKindListsTheAcceptedOnes) {
  EXPECT_THAT(ParseKind("gemeente"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("unknown reporter kind 'gemeente'; ", kAcceptedKinds)));
  EXPECT_THAT(ParseKind("unspecified"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NormaliseReporterIdTest, UnspecifiedKindIsRefused) {
  EXPECT_THAT(NormaliseReporterId(types::REPORTER_KIND_UNSPECIFIED, "12345678"),
              StatusIs(absl::StatusCode::kInvalidArgument, "reporter kind is unspecified"));
}

TEST(NormaliseReporterIdTest, ReturnsTheNormalForm) {
  EXPECT_THAT(NormaliseReporterId(types::REPORTER_KIND_MUNICIPALITY, "0363"),
              IsOkAndHolds(std::string("GM0363")));
  EXPECT_THAT(NormaliseReporterId(types::REPORTER_KIND_PROVIDER, "12345678"),
              IsOkAndHolds(std::string("12345678")));
  EXPECT_THAT(NormaliseReporterId(types::REPORTER_KIND_REGION, "flevoland"),
              IsOkAndHolds(std::string("flevoland")));
}

TEST(ValidateAgbCodeTest, ExactlyEightDigits) {
  EXPECT_THAT(ValidateAgbCode("12345678"), IsOk());
  EXPECT_THAT(ValidateAgbCode("1234 5678"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "'1234 5678' is not an AGB code: expected exactly 8 digits"));
  EXPECT_THAT(ValidateAgbCode("-1234567"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NormaliseMunicipalityCodeTest, AcceptsPrefixedAndBareCodes) {
  EXPECT_THAT(NormaliseMunicipalityCode("GM0034"), IsOkAndHolds(std::string("GM0034")));
  EXPECT_THAT(NormaliseMunicipalityCode("gm0034"), IsOkAndHolds(std::string("GM0034")));
  EXPECT_THAT(NormaliseMunicipalityCode("0034"), IsOkAndHolds(std::string("GM0034")));
}

TEST(NormaliseMunicipalityCodeTest, RefusesOtherShapes) {
  for (const char* code :
       {"34", "034", "00034", "GM034", "GM00034", "GM 0034", "GX0034", "gM0034", "", "GM003a"}) {
    EXPECT_THAT(NormaliseMunicipalityCode(code),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("'", code,
                                      "' is not a CBS municipality code: expected GM followed "
                                      "by 4 digits")));
  }
}

}  // namespace
}  // namespace vroeg
