#include "server/upstream.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/agent_settings.h"
#include "agent/spool_metrics.h"
#include "common/backoff.h"
#include "common/retry_policy.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "prometheus/family.h"

namespace vroeg {
namespace {

// The spool's state on the collector's /metrics, read at every scrape.
class UpstreamSpoolCollectable : public prometheus::Collectable {
 public:
  UpstreamSpoolCollectable(const Spool* spool, const Clock* clock) : spool_(spool), clock_(clock) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    return SpoolMetricFamilies("vroeg_upstream_spool", "the national collector", spool_->Stats(),
                               clock_->Now());
  }

 private:
  const Spool* spool_;
  const Clock* clock_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Upstream>> Upstream::Start(const config::v1::Upstream& config,
                                                          const config::v1::Region& region,
                                                          const std::string& base_dir,
                                                          const Clock* clock, Logger* logger,
                                                          prometheus::Registry* registry) {
  auto self = std::unique_ptr<Upstream>(new Upstream());
  self->target_ = config.collector();
  // The agent's client, configured as an agent whose collector is the national one.
  AgentSettings client_settings;
  client_settings.base_dir = base_dir;
  client_settings.config.set_collector(config.collector());
  client_settings.config.set_collector_name(config.collector_name());
  *client_settings.config.mutable_tls() = config.tls();
  client_settings.config.set_timeout_seconds(config.timeout_seconds());
  *client_settings.config.mutable_retry() = config.retry();
  auto client = CollectorClient::Create(client_settings);
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("upstream.", client.status().message()));
  }
  self->client_ = *std::move(client);
  const ReporterId own{type::v1::REPORTER_KIND_REGION, region.code()};
  if (self->client_->reporter().Urn() != own.Urn()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "upstream.tls.certificate is for ", self->client_->reporter().Urn(),
        ", but a regional collector forwards as its region, ", own.Urn(),
        "; ask the national collector's operator for a certificate for that identity"));
  }

  const std::string spool_path = ResolvePath(base_dir, config.spool().path());
  FileSpoolOptions options;
  options.max_bytes = config.spool().max_bytes();
  auto spool = FileSpool::Open(spool_path, options, clock, logger);
  if (!spool.ok()) {
    return absl::Status(spool.status().code(),
                        absl::StrCat("upstream.spool.path: ", spool.status().message()));
  }
  self->spool_ = *std::move(spool);
  self->collectable_ = std::make_shared<UpstreamSpoolCollectable>(self->spool_.get(), clock);

  auto& sends = prometheus::BuildCounter()
                    .Name("vroeg_upstream_sends_total")
                    .Help("Attempts to deliver a submission to the national collector, by outcome.")
                    .Register(*registry);
  std::vector<prometheus::Counter*> by_outcome;
  for (auto outcome : {SendOutcome::kAcknowledged, SendOutcome::kRetry, SendOutcome::kQuarantine}) {
    by_outcome.push_back(&sends.Add({{"outcome", std::string(SendOutcomeName(outcome))}}));
  }
  self->forwarder_ =
      std::make_unique<Forwarder>(self->spool_.get(), self->client_.get(),
                                  std::make_unique<JitteredExponentialBackoff>(
                                      absl::Milliseconds(config.retry().initial_milliseconds()),
                                      absl::Seconds(config.retry().max_seconds())),
                                  logger);
  self->forwarder_->SetObserver([by_outcome](const SendReport& report) {
    by_outcome[static_cast<int>(report.outcome)]->Increment();
  });
  logger->Info("upstream_started", {{"collector", config.collector()},
                                    {"identity", own.Urn()},
                                    {"spool", spool_path},
                                    {"pending", self->spool_->Stats().pending_submissions}});
  self->thread_ = std::thread([raw = self->forwarder_.get()] { raw->Run(); });
  return self;
}

Upstream::~Upstream() {
  if (forwarder_ != nullptr) forwarder_->Stop();
  if (thread_.joinable()) thread_.join();
}

absl::Status Upstream::Enqueue(const api::v1::SubmitRequest& request) {
  auto appended = spool_->Append(request, request.reporter());
  if (!appended.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the submission is stored, but it could not be queued for the national collector at ",
        target_, ": ", appended.status().message(),
        "; send it again (it is then queued, and stored once)"));
  }
  forwarder_->Notify();
  return absl::OkStatus();
}

}  // namespace vroeg
