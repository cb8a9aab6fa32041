#include "common/retry_policy.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "google/protobuf/duration.pb.h"
#include "gtest/gtest.h"

namespace vroeg {

// Found by gtest through argument-dependent lookup, so outside the unnamed namespace.
void PrintTo(SendOutcome outcome, std::ostream* os) { *os << SendOutcomeName(outcome); }

namespace {

using ::testing::Optional;

struct Classification {
  absl::StatusCode code;
  SendOutcome outcome;
};

class ClassifySendResultCodeTest : public ::testing::TestWithParam<Classification> {};

TEST_P(ClassifySendResultCodeTest, Classifies) {
  const Classification& expected = GetParam();
  EXPECT_EQ(ClassifySendResult(absl::Status(expected.code, "collector says no")), expected.outcome);
}

// Every canonical code, in numeric order.
INSTANTIATE_TEST_SUITE_P(
    EveryCode, ClassifySendResultCodeTest,
    ::testing::Values(
        Classification{absl::StatusCode::kOk, SendOutcome::kAcknowledged},
        Classification{absl::StatusCode::kCancelled, SendOutcome::kRetry},
        Classification{absl::StatusCode::kUnknown, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kInvalidArgument, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kDeadlineExceeded, SendOutcome::kRetry},
        Classification{absl::StatusCode::kNotFound, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kAlreadyExists, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kPermissionDenied, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kResourceExhausted, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kFailedPrecondition, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kAborted, SendOutcome::kRetry},
        Classification{absl::StatusCode::kOutOfRange, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kUnimplemented, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kInternal, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kUnavailable, SendOutcome::kRetry},
        Classification{absl::StatusCode::kDataLoss, SendOutcome::kQuarantine},
        Classification{absl::StatusCode::kUnauthenticated, SendOutcome::kRetry}),
    [](const ::testing::TestParamInfo<Classification>& param_info) {
      return absl::StatusCodeToString(param_info.param.code);
    });

TEST(ClassifySendResultTest, ResourceExhaustedWithARetryHintIsRetried) {
  absl::Status rate_limited = absl::ResourceExhaustedError("too many submissions");
  SetRetryAfterHint(&rate_limited, absl::Seconds(2));
  EXPECT_EQ(ClassifySendResult(rate_limited), SendOutcome::kRetry);
}

TEST(ClassifySendResultTest, CodeOutsideTheCanonicalSetIsQuarantined) {
  EXPECT_EQ(ClassifySendResult(absl::Status(static_cast<absl::StatusCode>(42), "odd")),
            SendOutcome::kQuarantine);
}

TEST(SendOutcomeNameTest, NamesEachOutcome) {
  EXPECT_EQ(SendOutcomeName(SendOutcome::kAcknowledged), "acknowledged");
  EXPECT_EQ(SendOutcomeName(SendOutcome::kRetry), "retry");
  EXPECT_EQ(SendOutcomeName(SendOutcome::kQuarantine), "quarantine");
}

// A serialized google.rpc.RetryInfo whose retry_delay is `seconds` and `nanos`, built without the
// code under test: field 1, length-delimited, holding a google.protobuf.Duration.
std::string RetryInfoBytes(int64_t seconds, int32_t nanos) {
  google::protobuf::Duration delay;
  delay.set_seconds(seconds);
  delay.set_nanos(nanos);
  const std::string duration = delay.SerializeAsString();
  return std::string("\x0a", 1) + static_cast<char>(duration.size()) + duration;
}

absl::Status Overloaded(const std::string& payload) {
  absl::Status status = absl::ResourceExhaustedError("collector is busy");
  status.SetPayload(kRetryInfoTypeUrl, absl::Cord(payload));
  return status;
}

TEST(RetryAfterHintTest, NoneWithoutPayload) {
  EXPECT_EQ(RetryAfterHint(absl::UnavailableError("down")), std::nullopt);
  EXPECT_EQ(RetryAfterHint(absl::OkStatus()), std::nullopt);
}

TEST(RetryAfterHintTest, ReadsRetryInfo) {
  EXPECT_THAT(RetryAfterHint(Overloaded(RetryInfoBytes(2, 500'000'000))),
              Optional(absl::Milliseconds(2500)));
}

TEST(RetryAfterHintTest, ReadsTheWireBytesOfRetryInfo) {
  // RetryInfo{retry_delay: {seconds: 2, nanos: 500000000}} as any protobuf encoder writes it.
  const std::string bytes("\x0a\x08\x08\x02\x10\x80\xca\xb5\xee\x01", 10);
  EXPECT_THAT(RetryAfterHint(Overloaded(bytes)), Optional(absl::Milliseconds(2500)));
}

TEST(RetryAfterHintTest, SkipsUnknownFields) {
  // Field 2 as a varint, then field 3 as a string, around the delay.
  const std::string bytes =
      std::string("\x10\x07", 2) + RetryInfoBytes(3, 0) + std::string("\x1a\x02hi", 4);
  EXPECT_THAT(RetryAfterHint(Overloaded(bytes)), Optional(absl::Seconds(3)));
}

TEST(RetryAfterHintTest, ZeroDelayIsAHint) {
  EXPECT_THAT(RetryAfterHint(Overloaded(RetryInfoBytes(0, 0))), Optional(absl::ZeroDuration()));
}

TEST(RetryAfterHintTest, LongDelayIsCut) {
  EXPECT_THAT(RetryAfterHint(Overloaded(RetryInfoBytes(7200, 0))), Optional(kLongestRetryAfter));
  EXPECT_THAT(RetryAfterHint(Overloaded(RetryInfoBytes(315'576'000'000, 999'999'999))),
              Optional(kLongestRetryAfter));
}

TEST(RetryAfterHintTest, BadHintsAreIgnored) {
  EXPECT_EQ(RetryAfterHint(Overloaded(RetryInfoBytes(-1, 0))), std::nullopt);
  EXPECT_EQ(RetryAfterHint(Overloaded(RetryInfoBytes(0, -5))), std::nullopt);
  EXPECT_EQ(RetryAfterHint(Overloaded(RetryInfoBytes(1, 1'000'000'000))), std::nullopt);
  // An empty RetryInfo, truncated bytes, and field 1 as a varint.
  EXPECT_EQ(RetryAfterHint(Overloaded("")), std::nullopt);
  EXPECT_EQ(RetryAfterHint(Overloaded(RetryInfoBytes(2, 0).substr(0, 3))), std::nullopt);
  EXPECT_EQ(RetryAfterHint(Overloaded(std::string("\x08\x05", 2))), std::nullopt);
  EXPECT_EQ(RetryAfterHint(Overloaded("not a protobuf \xff\xff")), std::nullopt);
}

TEST(SetRetryAfterHintTest, RoundTrips) {
  absl::Status status = absl::ResourceExhaustedError("collector is busy");
  SetRetryAfterHint(&status, absl::Milliseconds(1234));
  EXPECT_THAT(RetryAfterHint(status), Optional(absl::Milliseconds(1234)));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "collector is busy");
}

TEST(SetRetryAfterHintTest, WritesRetryInfoBytes) {
  absl::Status status = absl::UnavailableError("storage down");
  SetRetryAfterHint(&status, absl::Milliseconds(2500));
  auto payload = status.GetPayload(kRetryInfoTypeUrl);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload), RetryInfoBytes(2, 500'000'000));
}

TEST(SetRetryAfterHintTest, ReplacesAnEarlierHint) {
  absl::Status status = absl::UnavailableError("storage down");
  SetRetryAfterHint(&status, absl::Seconds(5));
  SetRetryAfterHint(&status, absl::Seconds(7));
  EXPECT_THAT(RetryAfterHint(status), Optional(absl::Seconds(7)));
}

TEST(SetRetryAfterHintTest, ClampsToTheAcceptedRange) {
  absl::Status status = absl::UnavailableError("storage down");
  SetRetryAfterHint(&status, absl::Seconds(-3));
  EXPECT_THAT(RetryAfterHint(status), Optional(absl::ZeroDuration()));
  SetRetryAfterHint(&status, absl::InfiniteDuration());
  EXPECT_THAT(RetryAfterHint(status), Optional(kLongestRetryAfter));
}

TEST(SetRetryAfterHintTest, OkStatusStaysOk) {
  absl::Status status = absl::OkStatus();
  SetRetryAfterHint(&status, absl::Seconds(1));
  EXPECT_EQ(status, absl::OkStatus());
  EXPECT_EQ(RetryAfterHint(status), std::nullopt);
}

}  // namespace
}  // namespace vroeg
