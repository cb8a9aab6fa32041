#ifndef VROEG_TESTS_SUPPORT_RAW_CALL_H_
#define VROEG_TESTS_SUPPORT_RAW_CALL_H_

#include <string>

#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/status.h"

namespace vroeg::testing {

// Full names of methods tests call without generated stubs.
inline constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";
// The bytes of HealthCheckResponse{status: SERVING}: field 1, varint 1.
inline constexpr char kHealthServing[] = "\x08\x01";

// Sends `body` as the serialized request of `method` (e.g. "/pkg.Service/Method") and blocks
// until the call ends, at the latest after `timeout`. On success `response` holds the reply's
// bytes; otherwise it is empty. Lets tests send what a generated stub would refuse to build.
grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& method, const std::string& body,
                     std::string* response, absl::Duration timeout = absl::Seconds(60));

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_RAW_CALL_H_
