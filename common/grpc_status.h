#ifndef VROEG_COMMON_GRPC_STATUS_H_
#define VROEG_COMMON_GRPC_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// The one place where absl::Status and grpc::Status meet. Codes map one to one (both are the
// canonical codes). The payloads the API documents (a SubmissionRejection, a RetryInfo hint)
// travel each as a google.protobuf.Any in the google.rpc.Status of the binary error details, as
// gRPC's richer error model has it, so that any gRPC client can read them.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Attaches / extracts the validation problems of a refused submission.
void SetRejection(absl::Status* status, const api::v1::SubmissionRejection& rejection);
std::optional<api::v1::SubmissionRejection> GetRejection(const absl::Status& status);

}  // namespace vroeg

#endif  // VROEG_COMMON_GRPC_STATUS_H_
