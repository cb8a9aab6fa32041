#include "common/digest.h"

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "openssl/sha.h"

namespace vroeg {

std::string ObservationsDigest(
    const google::protobuf::RepeatedPtrField<api::v1::Observation>& observations) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    // Map ordering and unknown fields must not make equal content hash differently.
    coded.SetSerializationDeterministic(true);
    for (const auto& observation : observations) {
      coded.WriteVarint32(static_cast<uint32_t>(observation.ByteSizeLong()));
      observation.SerializeWithCachedSizes(&coded);
    }
  }
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), hash);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash), sizeof(hash)));
}

}  // namespace vroeg
