#include "common/retry_policy.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/unknown_field_set.h"

namespace vroeg {
namespace {

// google.rpc.RetryInfo.retry_delay. The build has no generated code for google/rpc, so RetryInfo
// is read and written through UnknownFieldSet; its only field is an ordinary Duration message.
constexpr int kRetryDelayField = 1;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

SendOutcome ClassifySendResult(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return SendOutcome::kAcknowledged;
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnauthenticated:
      return SendOutcome::kRetry;
    case absl::StatusCode::kResourceExhausted:
      return RetryAfterHint(status).has_value() ? SendOutcome::kRetry : SendOutcome::kQuarantine;
    default:
      return SendOutcome::kQuarantine;
  }
}

absl::string_view SendOutcomeName(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::kAcknowledged:
      return "acknowledged";
    case SendOutcome::kRetry:
      return "retry";
    case SendOutcome::kQuarantine:
      return "quarantine";
  }
  return "unknown";
}

std::optional<absl::Duration> RetryAfterHint(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoTypeUrl);
  if (!payload) return std::nullopt;
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(std::string(*payload))) return std::nullopt;
  google::protobuf::Duration delay;
  bool present = false;
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.number() != kRetryDelayField) continue;
    if (field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) return std::nullopt;
    // Merging each occurrence in order is what a generated parser does with a repeated
    // singular message field.
    if (!delay.MergeFromString(field.length_delimited())) return std::nullopt;
    present = true;
  }
  if (!present) return std::nullopt;
  if (delay.seconds() < 0 || delay.nanos() < 0 || delay.nanos() >= kNanosPerSecond) {
    return std::nullopt;
  }
  // Compared in seconds first so that an absurd seconds value cannot saturate the sum.
  if (delay.seconds() >= absl::ToInt64Seconds(kLongestRetryAfter)) return kLongestRetryAfter;
  return absl::Seconds(delay.seconds()) + absl::Nanoseconds(delay.nanos());
}

void SetRetryAfterHint(absl::Status* status, absl::Duration retry_after) {
  retry_after = std::clamp(retry_after, absl::ZeroDuration(), kLongestRetryAfter);
  absl::Duration below_a_second;
  google::protobuf::Duration delay;
  delay.set_seconds(absl::IDivDuration(retry_after, absl::Seconds(1), &below_a_second));
  delay.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(below_a_second)));
  google::protobuf::UnknownFieldSet fields;
  fields.AddLengthDelimited(kRetryDelayField, delay.SerializeAsString());
  std::string bytes;
  fields.SerializeToString(&bytes);
  status->SetPayload(kRetryInfoTypeUrl, absl::Cord(bytes));
}

}  // namespace vroeg
