// Fuzzes the submission validator (common/validation.h) against the shipped catalogue and
// region (deploy/). Input: one selector byte, then a serialized vroeg.api.v1.SubmitRequest.
// The selector's low three bits pick the reporter kind (modulo the six kinds, unspecified
// included), bit 3 turns on the region membership check the collector adds.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "agent/sources/csv_reader.h"
#include "common/catalogue.h"
#include "common/identity.h"
#include "common/problem.h"
#include "common/validation.h"
#include "common/yaml_proto.h"
#include "google/protobuf/stubs/logging.h"
#include "tests/fuzz/fuzz_require.h"
#include "vroeg/api/v1/submission.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg::fuzz {
namespace {

// Larger inputs find nothing that smaller ones do not, and slow every run down.
constexpr size_t kMaxInputBytes = size_t{1} << 20;
// Fixed so that runs are reproducible; after the periods the seeds use.
constexpr absl::CivilDay kToday(2026, 10, 1);

struct Reporter {
  type::v1::ReporterKind kind;
  const char* id;
};
constexpr Reporter kReporters[] = {
    {type::v1::REPORTER_KIND_UNSPECIFIED, ""},
    {type::v1::REPORTER_KIND_PROVIDER, "98990012"},
    {type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION, "98990013"},
    {type::v1::REPORTER_KIND_MUNICIPALITY, "GM0034"},
    {type::v1::REPORTER_KIND_REGION, "flevoland"},
    {type::v1::REPORTER_KIND_SUPERVISOR, "nza"},
};

struct Fixture {
  std::shared_ptr<const Catalogue> catalogue;
  config::v1::Region region;
};

void DieUnless(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "cannot set up the validator fuzzer: %s\n", status.ToString().c_str());
  std::abort();
}

const Fixture& LoadFixture() {
  static const Fixture* const fixture = [] {
    // Inputs with invalid UTF-8 fail to parse, as they must; protobuf would also log each one,
    // burying the fuzzer's own output.
    google::protobuf::SetLogHandler(nullptr);
    auto* loaded = new Fixture;
    auto catalogue = Catalogue::LoadFile(VROEG_SOURCE_DIR_PATH "/deploy/catalogue/catalogue.yaml");
    DieUnless(catalogue.status());
    loaded->catalogue = *std::move(catalogue);
    config::v1::CollectorConfig config;
    DieUnless(LoadYamlFile(VROEG_SOURCE_DIR_PATH "/deploy/config/collector.yaml", &config));
    loaded->region = config.region();
    return loaded;
  }();
  return *fixture;
}

std::vector<Problem> Validate(const ValidationContext& context, api::v1::SubmitRequest& request) {
  std::vector<Problem> problems = ValidateObservations(context, request.mutable_observations());
  for (const Problem& problem : problems) {
    Require(!problem.message.empty(), "every problem says what is wrong");
    Require(
        IsValidUtf8(problem.message) && IsValidUtf8(problem.column) && IsValidUtf8(problem.value),
        "problems are UTF-8, as the rejection they go into must be");
    Require(problem.row > 0 || absl::StartsWith(problem.column, "observations["),
            "a problem points at a row or at an observation");
  }
  return problems;
}

}  // namespace
}  // namespace vroeg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vroeg::fuzz::Require;
  if (size == 0 || size > vroeg::fuzz::kMaxInputBytes) return 0;
  const vroeg::fuzz::Fixture& fixture = vroeg::fuzz::LoadFixture();
  const uint8_t selector = data[0];
  vroeg::api::v1::SubmitRequest request;
  if (!request.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;

  const vroeg::fuzz::Reporter& reporter =
      vroeg::fuzz::kReporters[(selector & 7) % std::size(vroeg::fuzz::kReporters)];
  vroeg::ValidationContext context{fixture.catalogue,
                                   {reporter.kind, reporter.id},
                                   vroeg::fuzz::kToday,
                                   {},
                                   fixture.region.code()};
  if (selector & 8) {
    context.municipalities.assign(fixture.region.municipalities().begin(),
                                  fixture.region.municipalities().end());
  }

  const std::vector<vroeg::Problem> problems = vroeg::fuzz::Validate(context, request);
  if (problems.empty()) {
    for (const vroeg::api::v1::Observation& observation : request.observations()) {
      Require(observation.period().granularity() != vroeg::type::v1::GRANULARITY_UNSPECIFIED,
              "valid observations get their granularity");
      Require(observation.municipality().empty() ||
                  vroeg::NormaliseMunicipalityCode(observation.municipality()).value_or("") ==
                      observation.municipality(),
              "valid municipalities are normalised");
    }
  }
  // The agent validates and normalises, the collector validates what the agent sent: both must
  // come to the same conclusion, and the normalised request must still go over the wire.
  std::string wire;
  Require(request.SerializeToString(&wire), "the normalised request serialises");
  vroeg::api::v1::SubmitRequest resent;
  Require(resent.ParseFromString(wire), "the normalised request parses");
  Require(vroeg::fuzz::Validate(context, resent).size() == problems.size(),
          "validating normalised observations again finds the same problems");
  return 0;
}
