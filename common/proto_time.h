#ifndef VROEG_COMMON_PROTO_TIME_H_
#define VROEG_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace vroeg {

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& proto);

}  // namespace vroeg

#endif  // VROEG_COMMON_PROTO_TIME_H_
