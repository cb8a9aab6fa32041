// Fuzzes configuration loading: YAML text into a CollectorConfig (ParseYamlToMessage, then
// ApplyCollectorDefaults) and into an AgentConfig (LoadAgentSettings). The agent's loader takes
// only a path, so its text goes through one scratch file per process.

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "agent/agent_settings.h"
#include "common/identity.h"
#include "common/yaml_proto.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/collector.h"
#include "tests/fuzz/fuzz_require.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg::fuzz {
namespace {

// Larger inputs find nothing that smaller ones do not, and slow every run down.
constexpr size_t kMaxInputBytes = size_t{1} << 20;
constexpr absl::string_view kCollectorSource = "collector.yaml";

// A file under $TMPDIR (default /tmp) that each input overwrites; removed when the process
// exits normally.
class ScratchFile {
 public:
  ScratchFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp",
                         "/vroeg-fuzz-agent-XXXXXX.yaml");
    const int fd = mkstemps(path_.data(), /*suffixlen=*/5);
    Require(fd >= 0, "a scratch file can be made in $TMPDIR");
    close(fd);
  }
  ~ScratchFile() { unlink(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  void Write(absl::string_view content) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    Require(!out.fail(), "the scratch file can be written");
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void FuzzCollectorConfig(absl::string_view yaml) {
  config::v1::CollectorConfig config;
  const absl::Status parsed = ParseYamlToMessage(yaml, kCollectorSource, &config);
  if (!parsed.ok()) {
    Require(absl::IsInvalidArgument(parsed), "YAML errors are INVALID_ARGUMENT");
    Require(absl::StartsWith(parsed.message(), kCollectorSource), "YAML errors name the source");
    return;
  }
  const absl::Status applied = ApplyCollectorDefaults(&config);
  if (!applied.ok()) {
    Require(absl::IsInvalidArgument(applied), "bad settings are INVALID_ARGUMENT");
    Require(!applied.message().empty(), "a bad setting is named");
    return;
  }
  Require(!config.listen().empty() && !config.metrics_listen().empty() &&
              !config.catalogue().empty() &&
              (!config.storage().sqlite().path().empty() ||
               !config.storage().postgres().host().empty()),
          "defaults fill every address and path");
  for (const config::v1::RegionMember& member : config.region().municipalities()) {
    const absl::StatusOr<std::string> code = NormaliseMunicipalityCode(member.code());
    Require(code.ok() && *code == member.code(), "member codes are normalised to GM + 4 digits");
  }
  // Defaults are applied in one place and once: a second pass must find nothing to change.
  config::v1::CollectorConfig again = config;
  Require(ApplyCollectorDefaults(&again).ok(), "a checked config passes the check again");
  Require(google::protobuf::util::MessageDifferencer::Equals(config, again),
          "applying defaults twice changes nothing");
}

void FuzzAgentConfig(absl::string_view yaml) {
  // A static object rather than a leaked pointer, so that its destructor removes the file.
  static ScratchFile file;
  file.Write(yaml);
  const absl::StatusOr<AgentSettings> settings = LoadAgentSettings(file.path());
  if (!settings.ok()) {
    Require(absl::IsInvalidArgument(settings.status()), "config errors are INVALID_ARGUMENT");
    Require(absl::StartsWith(settings.status().message(), file.path()),
            "config errors name the file");
    return;
  }
  const config::v1::AgentConfig& config = settings->config;
  Require(config.timeout_seconds() > 0 && config.scan_interval_seconds() > 0 &&
              !config.spool().path().empty() && config.spool().max_bytes() > 0 &&
              !config.metrics_listen().empty() && config.retry().initial_milliseconds() > 0 &&
              config.retry().max_seconds() > 0,
          "defaults fill every setting left out");
  for (const config::v1::DropFolderConfig& folder : config.drop_folders()) {
    Require(!folder.path().empty() && folder.settle_seconds() > 0,
            "every drop folder has a path and a settle time");
  }
  Require(!settings->base_dir.empty() && absl::StartsWith(file.path(), settings->base_dir),
          "relative paths resolve against the file's directory");
}

}  // namespace
}  // namespace vroeg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > vroeg::fuzz::kMaxInputBytes) return 0;
  const absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  vroeg::fuzz::FuzzCollectorConfig(yaml);
  vroeg::fuzz::FuzzAgentConfig(yaml);
  return 0;
}
