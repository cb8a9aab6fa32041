#include "common/grpc_status.h"

#include <string>

namespace vroeg {
namespace {

constexpr char kRejectionUrl[] = "type.googleapis.com/vroeg.api.v1.SubmissionRejection";

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string details;
  if (auto payload = status.GetPayload(kRejectionUrl)) details = std::string(*payload);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (!status.error_details().empty()) {
    result.SetPayload(kRejectionUrl, absl::Cord(status.error_details()));
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
