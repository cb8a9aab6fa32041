#ifndef VROEG_COMMON_DIGEST_H_
#define VROEG_COMMON_DIGEST_H_

#include <string>

#include "google/protobuf/repeated_ptr_field.h"
#include "vroeg/api/v1/observation.pb.h"

namespace vroeg {

// Lower-case hex SHA-256 over the deterministic encoding of the observations: equal for a
// byte-identical retry, different for any change of content. Thread-safe.
std::string ObservationsDigest(
    const google::protobuf::RepeatedPtrField<api::v1::Observation>& observations);

}  // namespace vroeg

#endif  // VROEG_COMMON_DIGEST_H_
