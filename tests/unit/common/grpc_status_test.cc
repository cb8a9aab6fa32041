#include "common/grpc_status.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "common/retry_policy.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace vroeg {
namespace {

using ::testing::Optional;
using vroeg::testing::IsOk;
using vroeg::testing::StatusIs;

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;

// Compares by content; protobuf messages have no operator==.
MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  return arg.SerializeAsString() == expected.SerializeAsString();
}

api::SubmissionRejection SampleRejection() {
  api::SubmissionRejection rejection;
  api::ValidationProblem* problem = rejection.add_problems();
  problem->set_index(3);
  problem->set_source_row(14);
  problem->set_source_column("wachtenden");
  problem->set_field("value");
  problem->set_value("-3");
  problem->set_message("-3 is below the minimum 0 for wachtenden");
  problem = rejection.add_problems();
  problem->set_index(5);
  problem->set_field("period.start");
  problem->set_value("2026-13-01");
  problem->set_message("'2026-13-01' is not a valid date (expected YYYY-MM-DD)");
  rejection.set_truncated(true);
  return rejection;
}

TEST(GrpcStatusTest, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_THAT(FromGrpcStatus(grpc::Status::OK), IsOk());
}

class GrpcStatusCodeTest : public ::testing::TestWithParam<absl::StatusCode> {};

TEST_P(GrpcStatusCodeTest, CodeAndMessageSurviveBothWays) {
  const absl::StatusCode code = GetParam();
  const std::string message = "collector says: " + absl::StatusCodeToString(code);

  const grpc::Status on_wire = ToGrpcStatus(absl::Status(code, message));
  EXPECT_EQ(static_cast<int>(on_wire.error_code()), static_cast<int>(code));
  EXPECT_EQ(on_wire.error_message(), message);
  EXPECT_EQ(on_wire.error_details(), "");

  const absl::Status back = FromGrpcStatus(grpc::Status(on_wire.error_code(), message));
  EXPECT_THAT(back, StatusIs(code, message));
  EXPECT_EQ(back, absl::Status(code, message));
  EXPECT_EQ(GetRejection(back), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(
    EveryErrorCode, GrpcStatusCodeTest,
    ::testing::Values(absl::StatusCode::kCancelled, absl::StatusCode::kUnknown,
                      absl::StatusCode::kInvalidArgument, absl::StatusCode::kDeadlineExceeded,
                      absl::StatusCode::kNotFound, absl::StatusCode::kAlreadyExists,
                      absl::StatusCode::kPermissionDenied, absl::StatusCode::kResourceExhausted,
                      absl::StatusCode::kFailedPrecondition, absl::StatusCode::kAborted,
                      absl::StatusCode::kOutOfRange, absl::StatusCode::kUnimplemented,
                      absl::StatusCode::kInternal, absl::StatusCode::kUnavailable,
                      absl::StatusCode::kDataLoss, absl::StatusCode::kUnauthenticated),
    [](const ::testing::TestParamInfo<absl::StatusCode>& param_info) {
      return absl::StatusCodeToString(param_info.param);
    });

TEST(GrpcStatusTest, GrpcCodesMapToTheSameAbslCodes) {
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no certificate")),
              StatusIs(absl::StatusCode::kUnauthenticated, "no certificate"));
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage down")),
              StatusIs(absl::StatusCode::kUnavailable, "storage down"));
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy")),
              StatusIs(absl::StatusCode::kResourceExhausted, "busy"));
}

TEST(GrpcStatusTest, ARetryHintTravelsWithARejection) {
  absl::Status status = absl::ResourceExhaustedError("slow down");
  SetRetryAfterHint(&status, absl::Seconds(7));
  SetRejection(&status, SampleRejection());
  const grpc::Status on_wire = ToGrpcStatus(status);
  const absl::Status received = FromGrpcStatus(
      grpc::Status(on_wire.error_code(), on_wire.error_message(), on_wire.error_details()));
  EXPECT_EQ(RetryAfterHint(received), absl::Seconds(7));
  EXPECT_TRUE(GetRejection(received).has_value());
}

TEST(GrpcStatusTest, RejectionSurvivesTheRoundTrip) {
  const api::SubmissionRejection rejection = SampleRejection();
  absl::Status status = absl::InvalidArgumentError("2 observations refused");
  SetRejection(&status, rejection);
  ASSERT_THAT(GetRejection(status), Optional(EqualsProto(rejection)));

  const grpc::Status on_wire = ToGrpcStatus(status);
  EXPECT_EQ(on_wire.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(on_wire.error_message(), "2 observations refused");
  // A google.rpc.Status, as any gRPC client expects the binary details to be.
  google::protobuf::UnknownFieldSet rpc_status;
  ASSERT_TRUE(rpc_status.ParseFromString(on_wire.error_details()));
  ASSERT_EQ(rpc_status.field_count(), 3);
  EXPECT_EQ(rpc_status.field(0).varint(), 3u);
  EXPECT_EQ(rpc_status.field(1).length_delimited(), "2 observations refused");
  google::protobuf::Any detail;
  ASSERT_TRUE(detail.ParseFromString(rpc_status.field(2).length_delimited()));
  EXPECT_EQ(detail.type_url(), "type.googleapis.com/vroeg.api.v1.SubmissionRejection");
  EXPECT_EQ(detail.value(), rejection.SerializeAsString());

  // What a client sees: a fresh grpc::Status built from the wire fields.
  const absl::Status received = FromGrpcStatus(
      grpc::Status(on_wire.error_code(), on_wire.error_message(), on_wire.error_details()));
  EXPECT_THAT(received, StatusIs(absl::StatusCode::kInvalidArgument, "2 observations refused"));
  const std::optional<api::SubmissionRejection> got = GetRejection(received);
  ASSERT_THAT(got, Optional(EqualsProto(rejection)));
  ASSERT_EQ(got->problems_size(), 2);
  EXPECT_EQ(got->problems(0).message(), "-3 is below the minimum 0 for wachtenden");
  EXPECT_EQ(got->problems(1).field(), "period.start");
  EXPECT_TRUE(got->truncated());
}

TEST(GrpcStatusTest, EmptyRejectionIsStillARejection) {
  absl::Status status = absl::InvalidArgumentError("refused");
  SetRejection(&status, api::SubmissionRejection());
  EXPECT_THAT(GetRejection(status), Optional(EqualsProto(api::SubmissionRejection())));
}

TEST(GrpcStatusTest, NoRejectionWithoutPayload) {
  EXPECT_EQ(GetRejection(absl::InvalidArgumentError("refused")), std::nullopt);
  EXPECT_EQ(GetRejection(absl::OkStatus()), std::nullopt);
}

TEST(GrpcStatusTest, UnparsableDetailsAreNoRejection) {
  // Field 1, length 5, but only two bytes follow.
  const absl::Status received =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "refused",
                                  std::string("\x0a\x05"
                                              "ab")));
  EXPECT_THAT(received, StatusIs(absl::StatusCode::kInvalidArgument, "refused"));
  EXPECT_EQ(GetRejection(received), std::nullopt);
}

TEST(GrpcStatusTest, OtherPayloadsAreNotSent) {
  absl::Status status = absl::UnavailableError("storage down");
  status.SetPayload("type.googleapis.com/example.Other", absl::Cord("x"));
  EXPECT_EQ(ToGrpcStatus(status).error_details(), "");
}

}  // namespace
}  // namespace vroeg
