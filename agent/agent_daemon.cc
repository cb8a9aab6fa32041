#include "agent/agent_daemon.h"

#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/collector_client.h"
#include "agent/drop_folder.h"
#include "agent/file_intake.h"
#include "agent/forwarder.h"
#include "agent/spool/file_spool.h"
#include "common/backoff.h"
#include "common/catalogue.h"
#include "common/period.h"
#include "common/process_lifecycle.h"
#include "common/tls.h"
#include "common/yaml_proto.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vroeg {
namespace {

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help, double value,
                                     prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

// The spool's and folders' state, read at scrape time.
class AgentStateCollectable : public prometheus::Collectable {
 public:
  AgentStateCollectable(const Spool* spool, const Clock* clock,
                        const std::vector<std::unique_ptr<DropFolder>>* folders, absl::Mutex* mu)
      : spool_(spool), clock_(clock), folders_(folders), folders_mu_(mu) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    const SpoolStats stats = spool_->Stats();
    const double age =
        stats.oldest_pending ? absl::ToDoubleSeconds(clock_->Now() - *stats.oldest_pending) : 0;
    size_t waiting = 0;
    {
      absl::MutexLock lock(folders_mu_);
      for (const auto& folder : *folders_) waiting += folder->waiting();
    }
    return {
        GaugeFamily("vroeg_agent_spool_bytes", "Bytes the spool holds on disk.",
                    static_cast<double>(stats.disk_bytes)),
        GaugeFamily("vroeg_agent_spool_submissions",
                    "Submissions in the spool waiting for the collector's acknowledgement.",
                    static_cast<double>(stats.pending_submissions)),
        GaugeFamily("vroeg_agent_spool_oldest_pending_age_seconds",
                    "Age of the oldest unacknowledged submission; 0 when none.", age),
        GaugeFamily("vroeg_agent_spool_corrupt_segments_total",
                    "Spool segments found damaged and set aside since start.",
                    static_cast<double>(stats.corrupt_segments_total),
                    prometheus::MetricType::Counter),
        GaugeFamily("vroeg_agent_drop_folder_files",
                    "Files waiting in the drop folders, complete or not.",
                    static_cast<double>(waiting)),
    };
  }

 private:
  const Spool* spool_;
  const Clock* clock_;
  const std::vector<std::unique_ptr<DropFolder>>* folders_;
  absl::Mutex* folders_mu_;
};

class AgentDaemonImpl : public AgentDaemon {
 public:
  int metrics_port() const override { return metrics_.port; }
  void Wait() override { stopped_.WaitForNotification(); }

  void Shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    // Start may have failed half way; only what was built is stopped.
    if (forwarder_ != nullptr) forwarder_->Stop();
    if (intake_.joinable()) intake_.join();
    if (forwarding_.joinable()) forwarding_.join();
    if (forwarding_started_) {
      logger_->Info("stopped", {{"pending", spool_->Stats().pending_submissions}});
    }
    stopped_.Notify();
  }

  ~AgentDaemonImpl() override { Shutdown(); }

  static absl::StatusOr<std::unique_ptr<AgentDaemon>> Start(const AgentSettings& settings,
                                                            const Clock* clock, Logger* logger) {
    const auto& config = settings.config;
    if (config.drop_folders().empty()) {
      return absl::InvalidArgumentError(
          "drop_folders: `vroeg-agent run` needs at least one folder to watch");
    }
    auto self = std::unique_ptr<AgentDaemonImpl>(new AgentDaemonImpl());
    self->clock_ = clock;
    self->logger_ = logger;
    self->scan_interval_ = absl::Seconds(config.scan_interval_seconds());

    auto client = CollectorClient::Create(settings);
    if (!client.ok()) return client.status();
    self->client_ = *std::move(client);

    const std::string spool_path = ResolvePath(settings.base_dir, config.spool().path());
    FileSpoolOptions options;
    options.max_bytes = config.spool().max_bytes();
    auto spool = FileSpool::Open(spool_path, options, clock, logger);
    if (!spool.ok()) {
      return absl::Status(spool.status().code(),
                          absl::StrCat("spool.path: ", spool.status().message()));
    }
    self->spool_ = *std::move(spool);
    self->catalogue_cache_ = spool_path + ".catalogue.binpb";

    for (int i = 0; i < config.drop_folders_size(); ++i) {
      const auto& folder_config = config.drop_folders(i);
      DropFolderOptions folder_options;
      folder_options.settle = absl::Seconds(folder_config.settle_seconds());
      auto folder = DropFolder::Open(ResolvePath(settings.base_dir, folder_config.path()),
                                     folder_options, clock);
      if (!folder.ok()) {
        return absl::Status(
            folder.status().code(),
            absl::StrCat("drop_folders[", i, "].path: ", folder.status().message()));
      }
      self->folders_.push_back(*std::move(folder));
    }

    self->registry_ = std::make_shared<prometheus::Registry>();
    auto& files = prometheus::BuildCounter()
                      .Name("vroeg_agent_files_total")
                      .Help("Files taken from the drop folders, by outcome.")
                      .Register(*self->registry_);
    for (auto outcome :
         {IntakeOutcome::kSpooled, IntakeOutcome::kRejected, IntakeOutcome::kDeferred}) {
      self->files_[static_cast<int>(outcome)] =
          &files.Add({{"outcome", std::string(IntakeOutcomeName(outcome))}});
    }
    auto& sends = prometheus::BuildCounter()
                      .Name("vroeg_agent_sends_total")
                      .Help("Attempts to deliver a submission to the collector, by outcome.")
                      .Register(*self->registry_);
    for (auto outcome :
         {SendOutcome::kAcknowledged, SendOutcome::kRetry, SendOutcome::kQuarantine}) {
      self->sends_[static_cast<int>(outcome)] =
          &sends.Add({{"outcome", std::string(SendOutcomeName(outcome))}});
    }
    self->state_ = std::make_shared<AgentStateCollectable>(self->spool_.get(), clock,
                                                           &self->folders_, &self->folders_mu_);
    auto metrics = StartMetricsEndpoint("metrics_listen", config.metrics_listen(),
                                        {self->registry_, self->state_});
    if (!metrics.ok()) return metrics.status();
    self->metrics_ = *std::move(metrics);

    self->forwarder_ =
        std::make_unique<Forwarder>(self->spool_.get(), self->client_.get(),
                                    std::make_unique<JitteredExponentialBackoff>(
                                        absl::Milliseconds(config.retry().initial_milliseconds()),
                                        absl::Seconds(config.retry().max_seconds())),
                                    logger);
    AgentDaemonImpl* raw = self.get();
    self->forwarder_->SetOutcomeObserver(
        [raw](SendOutcome outcome) { raw->sends_[static_cast<int>(outcome)]->Increment(); });

    self->LoadCachedCatalogue();
    const std::string metrics_host =
        config.metrics_listen().substr(0, config.metrics_listen().rfind(':'));
    logger->Info(
        "listening",
        {{"reporter", self->client_->reporter().Urn()},
         {"collector", config.collector()},
         {"metrics", absl::StrCat("http://", metrics_host, ":", self->metrics_.port, "/metrics")},
         {"spool", spool_path},
         {"pending", self->spool_->Stats().pending_submissions}});
    self->forwarding_ = std::thread([raw] { raw->forwarder_->Run(); });
    self->forwarding_started_ = true;
    self->intake_ = std::thread([raw] { raw->RunIntake(); });
    return std::unique_ptr<AgentDaemon>(std::move(self));
  }

 private:
  AgentDaemonImpl() = default;

  // A catalogue fetched by an earlier run lets files be taken while the collector is down.
  void LoadCachedCatalogue() {
    std::ifstream in(catalogue_cache_, std::ios::binary);
    catalogue::v1::Catalogue proto;
    if (!in || !proto.ParseFromIstream(&in)) return;
    auto catalogue = Catalogue::FromProto(std::move(proto));
    if (!catalogue.ok()) return;
    catalogue_ = *catalogue;
    logger_->Info("catalogue_cached", {{"version", catalogue_->version()}});
  }

  // Fetches the collector's catalogue, which is authoritative, and keeps a copy for restarts.
  void RefreshCatalogue() {
    auto proto = client_->GetCatalogue();
    if (!proto.ok()) {
      if (catalogue_ == nullptr) {
        logger_->Warning("catalogue_unavailable",
                         {{"reason", proto.status().message()},
                          {"effect", "files wait in their folders until the collector answers"}});
      }
      return;
    }
    auto catalogue = Catalogue::FromProto(*proto);
    if (!catalogue.ok()) {
      logger_->Error("catalogue_invalid", {{"reason", catalogue.status().message()}});
      return;
    }
    const std::string temp = catalogue_cache_ + ".tmp";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      proto->SerializeToOstream(&out);
    }
    std::rename(temp.c_str(), catalogue_cache_.c_str());
    if (catalogue_ == nullptr || catalogue_->version() != (*catalogue)->version()) {
      logger_->Info("catalogue_loaded", {{"version", (*catalogue)->version()}});
    }
    catalogue_ = *catalogue;
    catalogue_fetched_ = true;
  }

  void RunIntake() {
    while (!Stopping(scan_interval_)) {
      if (!catalogue_fetched_) RefreshCatalogue();
      if (catalogue_ == nullptr) continue;
      ValidationContext context{catalogue_, client_->reporter(), DutchDate(clock_->Now()), {}, ""};
      bool spooled = false;
      absl::MutexLock lock(&folders_mu_);
      for (auto& folder : folders_) {
        auto ready = folder->ReadyFiles();
        if (!ready.ok()) {
          logger_->Error("drop_folder_error", {{"reason", ready.status().message()}});
          continue;
        }
        for (const std::string& path : *ready) {
          auto outcome = TakeFile(path, context, *spool_, *folder, *logger_);
          if (!outcome.ok()) {
            logger_->Error("file_intake_error",
                           {{"file", path}, {"reason", outcome.status().message()}});
            continue;
          }
          files_[static_cast<int>(*outcome)]->Increment();
          spooled |= *outcome == IntakeOutcome::kSpooled;
          // A full spool will not take the next file either; try again next scan.
          if (*outcome == IntakeOutcome::kDeferred) break;
        }
      }
      if (spooled) forwarder_->Notify();
    }
  }

  // Waits up to `timeout`; true when shutting down.
  bool Stopping(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), timeout);
    return stopping_;
  }

  const Clock* clock_ = nullptr;
  Logger* logger_ = nullptr;
  absl::Duration scan_interval_;
  std::unique_ptr<CollectorClient> client_;
  std::unique_ptr<Spool> spool_;
  std::string catalogue_cache_;
  std::shared_ptr<const Catalogue> catalogue_;
  bool catalogue_fetched_ = false;
  absl::Mutex folders_mu_;
  std::vector<std::unique_ptr<DropFolder>> folders_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* files_[3] = {};
  prometheus::Counter* sends_[3] = {};
  std::shared_ptr<AgentStateCollectable> state_;
  MetricsEndpoint metrics_;
  std::unique_ptr<Forwarder> forwarder_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification stopped_;
  std::thread intake_;
  std::thread forwarding_;
  bool forwarding_started_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AgentDaemon>> AgentDaemon::Start(const AgentSettings& settings,
                                                                const Clock* clock,
                                                                Logger* logger) {
  return AgentDaemonImpl::Start(settings, clock, logger);
}

}  // namespace vroeg
