#ifndef VROEG_COMMON_GRPC_STATUS_H_
#define VROEG_COMMON_GRPC_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// The one place where absl::Status and grpc::Status meet. Codes map one to one (both are the
// canonical codes); a SubmissionRejection travels as the payload of an absl::Status and as the
// binary error details of a grpc::Status.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Attaches / extracts the validation problems of a refused submission.
void SetRejection(absl::Status* status, const api::v1::SubmissionRejection& rejection);
std::optional<api::v1::SubmissionRejection> GetRejection(const absl::Status& status);

}  // namespace vroeg

#endif  // VROEG_COMMON_GRPC_STATUS_H_
