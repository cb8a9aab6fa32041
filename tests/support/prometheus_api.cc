#include "tests/support/prometheus_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/http_get.h"

namespace vroeg::testing {
namespace {

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PromSample>> PrometheusQuery(int port, const std::string& query) {
  auto response = HttpGet(port, "/api/v1/query?query=" + UrlEncode(query));
  if (!response.ok()) return response.status();
  google::protobuf::Struct body;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &body).ok()) {
    return absl::DataLossError(absl::StrCat("not JSON: ", response->body.substr(0, 300)));
  }
  const auto& fields = body.fields();
  if (response->status != 200 || fields.at("status").string_value() != "success") {
    return absl::InvalidArgumentError(absl::StrCat(
        "query ", query,
        " failed: ", fields.count("error") ? fields.at("error").string_value() : response->body));
  }
  const auto& data = fields.at("data").struct_value().fields();
  if (data.at("resultType").string_value() != "vector") {
    return absl::InvalidArgumentError(absl::StrCat("query ", query, " is not an instant vector"));
  }
  std::vector<PromSample> samples;
  for (const auto& element : data.at("result").list_value().values()) {
    const auto& result = element.struct_value().fields();
    PromSample sample;
    for (const auto& [name, value] : result.at("metric").struct_value().fields()) {
      sample.labels[name] = value.string_value();
    }
    const auto& pair = result.at("value").list_value().values();
    if (pair.size() != 2 || !absl::SimpleAtod(pair[1].string_value(), &sample.value)) {
      return absl::DataLossError("malformed sample in Prometheus' answer");
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vroeg::testing
