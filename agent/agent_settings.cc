#include "agent/agent_settings.h"

#include "absl/strings/str_cat.h"
#include "common/config_file.h"
#include "common/metrics_security.h"
#include "common/status_macros.h"

namespace vroeg {
namespace {

constexpr uint32_t kDefaultTimeoutSeconds = 30;
constexpr char kDefaultSpoolPath[] = "/var/lib/vroeg/agent/spool";
constexpr uint64_t kDefaultSpoolBytes = uint64_t{1} << 30;
constexpr char kDefaultMetricsListen[] = "127.0.0.1:9465";
constexpr uint32_t kDefaultScanIntervalSeconds = 2;
constexpr uint32_t kDefaultSettleSeconds = 2;
constexpr uint32_t kDefaultRetryInitialMilliseconds = 500;
constexpr uint32_t kDefaultRetryMaxSeconds = 300;

absl::Status ApplyDefaults(config::v1::AgentConfig* config) {
  if (config->collector().empty()) {
    return absl::InvalidArgumentError(
        "collector is required: the regional collector's host:port, e.g. "
        "vroeg.flevoland.example:7443");
  }
  VROEG_RETURN_IF_ERROR(CheckHostPort("collector", config->collector()));
  if (config->timeout_seconds() == 0) config->set_timeout_seconds(kDefaultTimeoutSeconds);
  if (config->tls().certificate().empty() || config->tls().private_key().empty() ||
      config->tls().ca_certificate().empty()) {
    return absl::InvalidArgumentError(
        "tls.certificate, tls.private_key and tls.ca_certificate are required: the region "
        "issues them (vroegctl pki issue)");
  }
  auto* spool = config->mutable_spool();
  if (spool->path().empty()) spool->set_path(kDefaultSpoolPath);
  if (spool->max_bytes() == 0) spool->set_max_bytes(kDefaultSpoolBytes);
  if (config->metrics_listen().empty()) config->set_metrics_listen(kDefaultMetricsListen);
  VROEG_RETURN_IF_ERROR(CheckHostPort("metrics_listen", config->metrics_listen()));
  VROEG_RETURN_IF_ERROR(CheckMetricsSecurity(config->metrics_listen(), config->metrics_security()));
  if (config->scan_interval_seconds() == 0) {
    config->set_scan_interval_seconds(kDefaultScanIntervalSeconds);
  }
  for (int i = 0; i < config->drop_folders_size(); ++i) {
    auto* folder = config->mutable_drop_folders(i);
    if (folder->path().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("drop_folders[", i, "].path is required"));
    }
    if (folder->settle_seconds() == 0) folder->set_settle_seconds(kDefaultSettleSeconds);
  }
  return ApplyRetryDefaults("retry", config->mutable_retry());
}

}  // namespace

absl::Status ApplyRetryDefaults(absl::string_view key, config::v1::RetryConfig* retry) {
  if (retry->initial_milliseconds() == 0) {
    retry->set_initial_milliseconds(kDefaultRetryInitialMilliseconds);
  }
  if (retry->max_seconds() == 0) retry->set_max_seconds(kDefaultRetryMaxSeconds);
  if (absl::Milliseconds(retry->initial_milliseconds()) > absl::Seconds(retry->max_seconds())) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ".initial_milliseconds is longer than ", key, ".max_seconds"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AgentSettings> LoadAgentSettings(const std::string& path) {
  AgentSettings settings;
  VROEG_ASSIGN_OR_RETURN(settings.base_dir, LoadConfigFile(path, &settings.config, [&] {
                           return ApplyDefaults(&settings.config);
                         }));
  return settings;
}

}  // namespace vroeg
