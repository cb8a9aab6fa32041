// Hostile Submit calls against the real vroeg-collector: bytes that are not a SubmitRequest,
// strings no file reader would produce, values at the edges of a double and sizes far beyond
// what a provider sends. Each case pins the exact status code and message the caller gets (where
// that answer is a poor one, the case says why), and the collector must go on serving and
// accepting good submissions afterwards.
//
// The calls go out as raw bytes through a generic stub, so that requests the generated code
// would refuse to serialise (invalid UTF-8, truncated messages) reach the server as written.
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/support/raw_call.h"
#include "tests/support/test_region.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";
constexpr char kSubmitMethod[] = "/vroeg.api.v1.SubmissionService/Submit";
// SubmitRequest field numbers, for requests written by hand.
constexpr int kSubmissionIdField = 1;
constexpr int kObservationsField = 3;
constexpr int kIndicatorField = 1;
constexpr char kNotASubmitRequest[] = "is not a vroeg.api.v1.SubmitRequest";

api::v1::Observation Waiting(double value) {
  api::v1::Observation observation;
  observation.set_indicator("wachtenden");
  observation.set_care_form("verblijf");
  observation.set_municipality("GM0034");
  observation.mutable_period()->set_start("2026-09-01");
  observation.mutable_period()->set_end("2026-09-30");
  observation.set_value(value);
  return observation;
}

api::v1::SubmitRequest Request(const std::string& id,
                               const std::vector<api::v1::Observation>& observations) {
  api::v1::SubmitRequest request;
  request.set_submission_id(id);
  for (const api::v1::Observation& observation : observations) {
    *request.add_observations() = observation;
  }
  return request;
}

// A request with one observation changed by `change`.
template <typename Change>
std::string WaitingRequest(const std::string& id, Change change) {
  api::v1::Observation observation = Waiting(12);
  change(observation);
  return Request(id, {observation}).SerializeAsString();
}

std::string WaitingInPeriod(const std::string& id, const std::string& start,
                            const std::string& end) {
  return WaitingRequest(id, [&](api::v1::Observation& o) {
    o.mutable_period()->set_start(start);
    o.mutable_period()->set_end(end);
  });
}

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// One length-delimited field in protobuf wire format.
std::string LengthDelimited(int field, absl::string_view bytes) {
  std::string out;
  AppendVarint(out, static_cast<uint64_t>(field) << 3 | 2);
  AppendVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
  return out;
}

struct HostileRpc {
  std::string name;
  // The request exactly as it goes over the wire.
  std::string body;
  grpc::StatusCode code;
  // For an acceptance, the submission id the response must carry; for a refusal, a part of the
  // status message that says what is wrong.
  std::string expected;
};

// gtest prints parameters of failing tests; the bodies run to megabytes.
void PrintTo(const HostileRpc& rpc, std::ostream* os) { *os << rpc.name; }

std::vector<HostileRpc> HostileRpcs() {
  const std::string good = Request("good-1", {Waiting(12)}).SerializeAsString();
  const std::string nul(1, '\0');
  std::vector<api::v1::Observation> duplicates(5000, Waiting(3));
  // One a month from January 2020, for Amsterdam, which is not in the test region.
  std::vector<api::v1::Observation> outside_region;
  for (int month = 0; month < 80; ++month) {
    api::v1::Observation observation = Waiting(1);
    observation.set_municipality("GM0363");
    const absl::CivilMonth start = absl::CivilMonth(2020, 1) + month;
    observation.mutable_period()->set_start(absl::FormatCivilTime(absl::CivilDay(start)));
    observation.mutable_period()->set_end(absl::FormatCivilTime(absl::CivilDay(start + 1) - 1));
    outside_region.push_back(observation);
  }
  api::v1::SubmitRequest someone_else = Request("other-1", {Waiting(12)});
  someone_else.set_reporter("urn:vroeg:provider:98990013");
  // Field 99 is in no version of the API.
  const std::string unknown_field = absl::StrCat(
      Request("unknown-field-1", {Waiting(12)}).SerializeAsString(), LengthDelimited(99, "x"));

  return {
      // Requests that do not parse: the collector reads the bytes itself and says what is wrong.
      {"NotAProtobuf", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
       grpc::StatusCode::INVALID_ARGUMENT, kNotASubmitRequest},
      {"TruncatedRequest", good.substr(0, good.size() / 2), grpc::StatusCode::INVALID_ARGUMENT,
       kNotASubmitRequest},
      // submission_id claims 127 bytes; one follows.
      {"LengthBeyondTheMessage", "\x0a\x7fx", grpc::StatusCode::INVALID_ARGUMENT,
       kNotASubmitRequest},
      // proto3 strings must be UTF-8.
      {"InvalidUtf8InSubmissionId", LengthDelimited(kSubmissionIdField, "id-\xc3\x28"),
       grpc::StatusCode::INVALID_ARGUMENT, kNotASubmitRequest},
      {"InvalidUtf8InIndicator",
       LengthDelimited(kSubmissionIdField, "utf8-1") +
           LengthDelimited(kObservationsField, LengthDelimited(kIndicatorField, "wacht\xffnden")),
       grpc::StatusCode::INVALID_ARGUMENT, kNotASubmitRequest},

      // Strings that parse but no file reader would produce.
      {"NulInIndicator",
       WaitingRequest("nul-1", [&](auto& o) { o.set_indicator(absl::StrCat("wacht", nul, "en")); }),
       grpc::StatusCode::INVALID_ARGUMENT, "unknown indicator 'wacht"},
      {"NulInCareForm",
       WaitingRequest("nul-2",
                      [&](auto& o) { o.set_care_form(absl::StrCat("verbl", nul, "ijf")); }),
       grpc::StatusCode::INVALID_ARGUMENT, "unknown care form 'verbl"},
      {"NulInMunicipality",
       WaitingRequest("nul-3", [&](auto& o) { o.set_municipality(absl::StrCat("GM", nul, "34")); }),
       grpc::StatusCode::INVALID_ARGUMENT, "column observations[0].municipality: "},
      {"SubmissionId64KiB", Request(std::string(64 << 10, 'a'), {Waiting(12)}).SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "submission_id: must be 1 to 128 characters"},
      // Quoted text is cut short, so the refusal fits in the metadata a gRPC client accepts
      // (8 KiB by default) and the log line stays small.
      {"IndicatorOf5MB",
       WaitingRequest("big-1", [](auto& o) { o.set_indicator(std::string(5 << 20, 'w')); }),
       grpc::StatusCode::INVALID_ARGUMENT, "more bytes)"},

      // Values.
      {"NaN",
       Request("nan-1", {Waiting(std::numeric_limits<double>::quiet_NaN())}).SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "value is not a finite number"},
      {"PlusInfinity",
       Request("inf-1", {Waiting(std::numeric_limits<double>::infinity())}).SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "value is not a finite number"},
      // -0 is accepted and stored as 0.
      {"NegativeZero", Request("zero-1", {Waiting(-0.0)}).SerializeAsString(), grpc::StatusCode::OK,
       "zero-1"},
      {"OutOfRange1e308", Request("e308-1", {Waiting(1e308)}).SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "1e+308 is above the maximum 100000 for wachtenden"},

      // Catalogue and calendar.
      {"UnknownIndicator",
       WaitingRequest("unknown-1", [](auto& o) { o.set_indicator("wachtlijst"); }),
       grpc::StatusCode::INVALID_ARGUMENT, "unknown indicator 'wachtlijst'"},
      {"EndBeforeStart", WaitingInPeriod("order-1", "2026-09-30", "2026-09-01"),
       grpc::StatusCode::INVALID_ARGUMENT, "period ends 2026-09-01, before it starts 2026-09-30"},
      {"YearZero", WaitingInPeriod("year-0", "0000-01-01", "0000-01-31"),
       grpc::StatusCode::INVALID_ARGUMENT,
       "'0000-01-01' is not a valid date (expected YYYY-MM-DD)"},
      {"Year99999", WaitingInPeriod("year-99999", "99999-01-01", "99999-01-31"),
       grpc::StatusCode::INVALID_ARGUMENT,
       "'99999-01-01' is not a valid date (expected YYYY-MM-DD)"},

      // Shape of the submission.
      // The rejection lists as many problems as fit in 4 KiB and says that there are more.
      {"FiveThousandDuplicates", Request("dup-1", duplicates).SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "4999 of the submission's observations are invalid"},
      {"EightyRowsOutsideTheRegion", Request("outside-1", outside_region).SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "80 of the submission's observations are invalid"},
      {"FortyRowsOutsideTheRegion",
       Request("outside-2", {outside_region.begin(), outside_region.begin() + 40})
           .SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT,
       "40 of the submission's observations are invalid; first: column "
       "observations[0].municipality: municipality GM0363 is not part of region flevoland"},
      {"EmptyRequest", "", grpc::StatusCode::INVALID_ARGUMENT,
       "submission_id: must be 1 to 128 characters"},
      // A batch with nothing in it is acknowledged like any other.
      {"NoObservations", Request("empty-1", {}).SerializeAsString(), grpc::StatusCode::OK,
       "empty-1"},
      {"ReporterIsSomeoneElse", someone_else.SerializeAsString(),
       grpc::StatusCode::PERMISSION_DENIED, "not those of urn:vroeg:provider:98990013"},
      // proto3 keeps fields it does not know; the collector ignores them.
      {"UnknownFieldNumber", unknown_field, grpc::StatusCode::OK, "unknown-field-1"},
  };
}

class MalformedRpcFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto collector =
        RunningCollector::Start(region_.CollectorConfig(), region_.dir() + "/collector.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
    stub_ =
        std::make_unique<grpc::GenericStub>(region_.Channel(collector_->grpc_port(), kProvider));
  }

  grpc::Status Call(const std::string& method, const std::string& body, std::string* response) {
    return CallRaw(*stub_, method, body, response);
  }

  // The collector still serves: its health service says SERVING and a good submission is
  // stored.
  void ExpectHealthy(const std::string& submission_id) {
    std::string reply;
    grpc::Status health = Call(kHealthCheckMethod, "", &reply);
    EXPECT_TRUE(health.ok()) << health.error_message();
    EXPECT_EQ(reply, kHealthServing);

    api::v1::Observation observation = Waiting(7);
    observation.mutable_period()->set_start("2026-08-01");
    observation.mutable_period()->set_end("2026-08-31");
    grpc::Status submit =
        Call(kSubmitMethod, Request(submission_id, {observation}).SerializeAsString(), &reply);
    ASSERT_TRUE(submit.ok()) << submit.error_code() << ": " << submit.error_message();
    api::v1::SubmitResponse response;
    ASSERT_TRUE(response.ParseFromString(reply));
    EXPECT_EQ(response.submission_id(), submission_id);
    EXPECT_EQ(response.stored(), 1u);
  }

  // Checks one hostile call's answer against the table.
  void ExpectAnswer(const HostileRpc& rpc) {
    std::string reply;
    grpc::Status status = Call(kSubmitMethod, rpc.body, &reply);
    EXPECT_EQ(status.error_code(), rpc.code) << status.error_message();
    if (rpc.code == grpc::StatusCode::OK) {
      api::v1::SubmitResponse response;
      ASSERT_TRUE(response.ParseFromString(reply));
      EXPECT_EQ(response.submission_id(), rpc.expected);
    } else {
      EXPECT_THAT(status.error_message(), HasSubstr(rpc.expected));
      // What a gRPC client accepts in trailing metadata by default.
      EXPECT_LT(status.error_message().size() + status.error_details().size(), 8192u);
    }
  }

  TestRegion region_;
  std::unique_ptr<RunningCollector> collector_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

class MalformedRpcTest : public MalformedRpcFixture,
                         public ::testing::WithParamInterface<HostileRpc> {};

TEST_P(MalformedRpcTest, GetsItsOwnStatusAndLeavesTheCollectorServing) {
  ExpectAnswer(GetParam());
  ExpectHealthy("good-after");
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedRpcTest, ::testing::ValuesIn(HostileRpcs()),
                         [](const ::testing::TestParamInfo<HostileRpc>& param) {
                           return param.param.name;
                         });

// The whole table against one collector, as an attacker would send it.
TEST_F(MalformedRpcFixture, WholeTableInARowLeavesTheCollectorServing) {
  for (const HostileRpc& rpc : HostileRpcs()) {
    SCOPED_TRACE(rpc.name);
    ExpectAnswer(rpc);
  }
  ExpectHealthy("good-after-all");
}

}  // namespace
}  // namespace vroeg::testing
