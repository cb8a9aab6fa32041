#include "common/grpc_status.h"

#include <string>

#include "common/retry_policy.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/unknown_field_set.h"

namespace vroeg {
namespace {

constexpr char kRejectionUrl[] = "type.googleapis.com/vroeg.api.v1.SubmissionRejection";

// Field numbers of google.rpc.Status, the message gRPC's richer error model carries in the
// binary error details: { int32 code = 1; string message = 2; repeated Any details = 3; }.
constexpr int kRpcStatusCode = 1;
constexpr int kRpcStatusMessage = 2;
constexpr int kRpcStatusDetails = 3;

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::protobuf::UnknownFieldSet rpc_status;
  rpc_status.AddVarint(kRpcStatusCode, static_cast<uint64_t>(status.code()));
  rpc_status.AddLengthDelimited(kRpcStatusMessage, std::string(status.message()));
  bool any_detail = false;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& value) {
    // Only what the API documents leaves the process; any other payload is internal.
    if (type_url != kRejectionUrl && type_url != kRetryInfoTypeUrl) return;
    google::protobuf::Any detail;
    detail.set_type_url(std::string(type_url));
    detail.set_value(std::string(value));
    rpc_status.AddLengthDelimited(kRpcStatusDetails, detail.SerializeAsString());
    any_detail = true;
  });
  std::string details;
  if (any_detail) rpc_status.SerializeToString(&details);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::protobuf::UnknownFieldSet rpc_status;
  // Details come from the network: whatever does not parse is dropped, the code and message
  // stand on their own.
  if (status.error_details().empty() || !rpc_status.ParseFromString(status.error_details())) {
    return result;
  }
  for (int i = 0; i < rpc_status.field_count(); ++i) {
    const google::protobuf::UnknownField& field = rpc_status.field(i);
    if (field.number() != kRpcStatusDetails ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    google::protobuf::Any detail;
    if (detail.ParseFromString(field.length_delimited()) && !detail.type_url().empty()) {
      result.SetPayload(detail.type_url(), absl::Cord(detail.value()));
    }
  }
  return result;
}

void SetRejection(absl::Status* status, const api::v1::SubmissionRejection& rejection) {
  status->SetPayload(kRejectionUrl, absl::Cord(rejection.SerializeAsString()));
}

std::optional<api::v1::SubmissionRejection> GetRejection(const absl::Status& status) {
  auto payload = status.GetPayload(kRejectionUrl);
  if (!payload) return std::nullopt;
  api::v1::SubmissionRejection rejection;
  if (!rejection.ParseFromString(std::string(*payload))) return std::nullopt;
  return rejection;
}

}  // namespace vroeg
