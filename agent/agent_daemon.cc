#include "agent/agent_daemon.h"

#include <malloc.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "agent/agent_status.h"
#include "agent/catalogue_cache.h"
#include "agent/collector_client.h"
#include "agent/drop_folder.h"
#include "agent/file_intake.h"
#include "agent/forwarder.h"
#include "agent/spool/file_spool.h"
#include "agent/spool_metrics.h"
#include "common/backoff.h"
#include "common/config_file.h"
#include "common/period.h"
#include "common/process_lifecycle.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "google/protobuf/util/message_differencer.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vroeg {
namespace {

// How long the intake waits for a connection before fetching the catalogue; the scan interval
// is waited out anyway.
constexpr absl::Duration kCatalogueConnectWait = absl::Seconds(1);

// The drop folders, replaced whole on reload.
struct Folders {
  absl::Mutex mu;
  std::vector<std::unique_ptr<DropFolder>> list ABSL_GUARDED_BY(mu);

  size_t Waiting() {
    absl::MutexLock lock(&mu);
    size_t waiting = 0;
    for (const auto& folder : list) waiting += folder->waiting();
    return waiting;
  }
};

// The spool's and folders' state, read at scrape time.
class AgentStateCollectable : public prometheus::Collectable {
 public:
  AgentStateCollectable(const Spool* spool, const Clock* clock, Folders* folders)
      : spool_(spool), clock_(clock), folders_(folders) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families =
        SpoolMetricFamilies("vroeg_agent_spool", "the collector", spool_->Stats(), clock_->Now());
    families.push_back(SingleValueFamily("vroeg_agent_drop_folder_files",
                                         "Files waiting in the drop folders, complete or not.",
                                         static_cast<double>(folders_->Waiting())));
    return families;
  }

 private:
  const Spool* spool_;
  const Clock* clock_;
  Folders* folders_;
};

// The collector connection in force; a reload swaps it while calls on the old one finish.
class CurrentCollector : public SubmissionSender {
 public:
  std::shared_ptr<CollectorClient> Get() const {
    absl::MutexLock lock(&mu_);
    return client_;
  }
  void Set(std::shared_ptr<CollectorClient> client) {
    absl::MutexLock lock(&mu_);
    client_ = std::move(client);
  }
  absl::StatusOr<api::v1::SubmitResponse> Submit(const api::v1::SubmitRequest& request) override {
    return Get()->Submit(request);
  }
  bool AwaitConnected(absl::Duration timeout) override { return Get()->AwaitConnected(timeout); }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<CollectorClient> client_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::vector<std::unique_ptr<DropFolder>>> OpenFolders(const AgentSettings& settings,
                                                                     const Clock* clock) {
  std::vector<std::unique_ptr<DropFolder>> folders;
  const auto& config = settings.config;
  for (int i = 0; i < config.drop_folders_size(); ++i) {
    const auto& folder_config = config.drop_folders(i);
    DropFolderOptions options;
    options.settle = absl::Seconds(folder_config.settle_seconds());
    auto folder =
        DropFolder::Open(ResolvePath(settings.base_dir, folder_config.path()), options, clock);
    if (!folder.ok()) {
      return absl::Status(folder.status().code(),
                          absl::StrCat("drop_folders[", i, "].path: ", folder.status().message()));
    }
    folders.push_back(*std::move(folder));
  }
  return folders;
}

std::unique_ptr<BackoffStrategy> MakeBackoff(const config::v1::AgentConfig& config) {
  return std::make_unique<JitteredExponentialBackoff>(
      absl::Milliseconds(config.retry().initial_milliseconds()),
      absl::Seconds(config.retry().max_seconds()));
}

absl::Status CheckRunSettings(const AgentSettings& settings) {
  if (settings.config.drop_folders().empty()) {
    return absl::InvalidArgumentError(
        "drop_folders: `vroeg-agent run` needs at least one folder to watch");
  }
  return absl::OkStatus();
}

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
      WriteStatus(/*running=*/false);
      logger_->Info("stopped", {{"pending", spool_->Stats().pending_submissions}});
    }
    stopped_.Notify();
  }

  ~AgentDaemonImpl() override { Shutdown(); }

  absl::Status Reload(const std::string& config_path) override {
    absl::Status status = Apply(config_path);
    if (status.ok()) {
      logger_->Info("reloaded", {{"config", config_path}});
    } else {
      logger_->Error("reload_failed", {{"config", config_path},
                                       {"reason", status.message()},
                                       {"effect", "the previous configuration stays in force"}});
      board_->RecordError(status, clock_->Now());
    }
    return status;
  }

  static absl::StatusOr<std::unique_ptr<AgentDaemon>> Start(const AgentSettings& settings,
                                                            const Clock* clock, Logger* logger) {
    VROEG_RETURN_IF_ERROR(CheckRunSettings(settings));
    const auto& config = settings.config;
    auto self = std::unique_ptr<AgentDaemonImpl>(new AgentDaemonImpl());
    self->clock_ = clock;
    self->logger_ = logger;
    self->settings_ = settings;
    {
      absl::MutexLock lock(&self->mu_);
      self->scan_interval_ = absl::Seconds(config.scan_interval_seconds());
    }

    auto client = CollectorClient::Create(settings);
    if (!client.ok()) return client.status();
    self->collector_.Set(*std::move(client));
    const ReporterId reporter = self->collector_.Get()->reporter();

    self->spool_path_ = ResolvePath(settings.base_dir, config.spool().path());
    FileSpoolOptions options;
    options.max_bytes = config.spool().max_bytes();
    auto spool = FileSpool::Open(self->spool_path_, options, clock, logger);
    if (!spool.ok()) {
      return absl::Status(spool.status().code(),
                          absl::StrCat("spool.path: ", spool.status().message()));
    }
    self->spool_ = *std::move(spool);
    self->catalogue_ =
        std::make_unique<CatalogueCache>(CatalogueCache::PathForSpool(self->spool_path_));

    auto folders = OpenFolders(settings, clock);
    if (!folders.ok()) return folders.status();
    {
      absl::MutexLock lock(&self->folders_.mu);
      self->folders_.list = *std::move(folders);
    }

    agent::v1::AgentStatus identity;
    identity.set_reporter(reporter.Urn());
    identity.set_collector(config.collector());
    identity.set_spool_path(self->spool_path_);
    identity.set_spool_max_bytes(config.spool().max_bytes());
    identity.set_update_interval_seconds(config.scan_interval_seconds());
    self->board_ = std::make_unique<StatusBoard>(std::move(identity), clock->Now());
    self->status_path_ = StatusFilePath(self->spool_path_);

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
    self->state_ =
        std::make_shared<AgentStateCollectable>(self->spool_.get(), clock, &self->folders_);
    auto metrics =
        StartMetricsEndpoint("metrics_listen", config.metrics_listen(), config.metrics_security(),
                             settings.base_dir, {self->registry_, self->state_});
    if (!metrics.ok()) return metrics.status();
    self->metrics_ = *std::move(metrics);

    self->forwarder_ = std::make_unique<Forwarder>(self->spool_.get(), &self->collector_,
                                                   MakeBackoff(config), logger);
    AgentDaemonImpl* raw = self.get();
    self->forwarder_->SetObserver([raw](const SendReport& report) { raw->Observe(report); });

    if (auto cached = self->catalogue_->LoadCopy()) {
      logger->Info("catalogue_cached", {{"version", cached->version()}});
    }
    logger->Info("listening", {{"reporter", reporter.Urn()},
                               {"collector", config.collector()},
                               {"metrics", self->metrics_.url},
                               {"spool", self->spool_path_},
                               {"status", self->status_path_},
                               {"pending", self->spool_->Stats().pending_submissions}});
    self->WriteStatus(/*running=*/true);
    self->forwarding_ = std::thread([raw] { raw->forwarder_->Run(); });
    self->forwarding_started_ = true;
    self->intake_ = std::thread([raw] { raw->RunIntake(); });
    return std::unique_ptr<AgentDaemon>(std::move(self));
  }

 private:
  AgentDaemonImpl() = default;

  // Builds everything the new configuration needs before changing anything, so that a bad
  // file leaves the daemon as it was.
  absl::Status Apply(const std::string& config_path) {
    VROEG_ASSIGN_OR_RETURN(AgentSettings settings, LoadAgentSettings(config_path));
    VROEG_RETURN_IF_ERROR(CheckRunSettings(settings));
    VROEG_ASSIGN_OR_RETURN(std::unique_ptr<CollectorClient> client,
                           CollectorClient::Create(settings));
    const ReporterId& old_reporter = collector_.Get()->reporter();
    if (client->reporter().Urn() != old_reporter.Urn()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tls.certificate: the new certificate is for ", client->reporter().Urn(),
          " but this agent reports as ", old_reporter.Urn(),
          "; the spool holds that reporter's submissions, so changing identity needs a restart "
          "after the spool is empty"));
    }
    VROEG_ASSIGN_OR_RETURN(auto folders, OpenFolders(settings, clock_));

    std::vector<std::string> need_restart;
    const auto& old_config = settings_.config;
    const auto& config = settings.config;
    if (ResolvePath(settings.base_dir, config.spool().path()) != spool_path_) {
      need_restart.push_back("spool.path");
    }
    if (config.spool().max_bytes() != old_config.spool().max_bytes()) {
      need_restart.push_back("spool.max_bytes");
    }
    if (config.metrics_listen() != old_config.metrics_listen()) {
      need_restart.push_back("metrics_listen");
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(config.metrics_security(),
                                                            old_config.metrics_security())) {
      need_restart.push_back("metrics_security");
    }
    if (!need_restart.empty()) {
      logger_->Warning("reload_needs_restart",
                       {{"settings", absl::StrJoin(need_restart, ",")},
                        {"effect", "the old values stay in force until the agent restarts"}});
    }

    const bool collector_changed = config.collector() != old_config.collector() ||
                                   config.collector_name() != old_config.collector_name();
    collector_.Set(std::move(client));
    board_->SetCollector(config.collector());
    forwarder_->SetBackoff(MakeBackoff(config));
    {
      absl::MutexLock lock(&folders_.mu);
      folders_.list = std::move(folders);
    }
    {
      absl::MutexLock lock(&mu_);
      scan_interval_ = absl::Seconds(config.scan_interval_seconds());
      // Another collector may serve another catalogue version.
      if (collector_changed) refresh_catalogue_ = true;
    }
    settings_ = std::move(settings);
    // Submissions waiting out a backoff for the old collector need not wait for the new one.
    forwarder_->Notify();
    return absl::OkStatus();
  }

  void Observe(const SendReport& report) {
    sends_[static_cast<int>(report.outcome)]->Increment();
    const absl::Time now = clock_->Now();
    if (report.outcome == SendOutcome::kAcknowledged) {
      board_->RecordDelivered(report.submission, now);
    } else {
      board_->RecordError(report.response.status(), now, report.submission.request.submission_id(),
                          report.submission.source);
    }
    WriteStatus(/*running=*/true);
  }

  void WriteStatus(bool running) {
    absl::MutexLock lock(&status_write_mu_);
    const auto status =
        board_->Snapshot(spool_->Stats(), folders_.Waiting(), clock_->Now(), running);
    absl::Status written = WriteStatusFile(status_path_, status);
    // Logged once per kind of failure: it repeats every scan otherwise.
    if (!written.ok() && status_write_error_ != written.code()) {
      logger_->Warning("status_not_written", {{"reason", written.message()}});
    }
    status_write_error_ = written.code();
  }

  std::shared_ptr<const Catalogue> CurrentCatalogue() {
    bool refresh;
    {
      absl::MutexLock lock(&mu_);
      refresh = refresh_catalogue_ || !catalogue_->fetched();
      refresh_catalogue_ = false;
    }
    if (!refresh) return catalogue_->current();
    std::shared_ptr<CollectorClient> client = collector_.Get();
    // A call fails at once while the channel is between connection attempts, and between calls
    // gRPC advances a reconnect only slowly; waiting on the channel lets the fetch go through as
    // soon as the collector can be reached.
    client->AwaitConnected(kCatalogueConnectWait);
    auto fetched = catalogue_->Refresh(*client, *logger_);
    if (!fetched.ok()) {
      // Only worth a warning while nothing can be taken (otherwise the cached copy serves), and
      // once: the attempt repeats every scan.
      if (catalogue_->current() == nullptr && !catalogue_warned_) {
        catalogue_warned_ = true;
        logger_->Warning("catalogue_unavailable",
                         {{"reason", fetched.status().message()},
                          {"effect", "files wait in their folders until the collector answers"}});
      }
      board_->RecordError(fetched.status(), clock_->Now());
    }
    return catalogue_->current();
  }

  void RunIntake() {
    while (!Stopping()) {
      TakeReadyFiles();
      WriteStatus(/*running=*/true);
    }
  }

  void TakeReadyFiles() {
    std::shared_ptr<const Catalogue> catalogue = CurrentCatalogue();
    if (catalogue == nullptr) return;
    ValidationContext context{
        catalogue, collector_.Get()->reporter(), DutchDate(clock_->Now()), {}, ""};
    bool spooled = false;
    bool taken = false;
    {
      absl::MutexLock lock(&folders_.mu);
      for (auto& folder : folders_.list) {
        auto ready = folder->ReadyFiles();
        if (!ready.ok()) {
          logger_->Error("drop_folder_error", {{"reason", ready.status().message()}});
          board_->RecordError(ready.status(), clock_->Now());
          continue;
        }
        for (const std::string& path : *ready) {
          auto outcome = TakeFile(path, context, *spool_, *folder, *logger_);
          if (!outcome.ok()) {
            logger_->Error("file_intake_error",
                           {{"file", path}, {"reason", outcome.status().message()}});
            board_->RecordError(outcome.status(), clock_->Now(), "", path);
            continue;
          }
          taken = true;
          files_[static_cast<int>(*outcome)]->Increment();
          board_->RecordFile(*outcome);
          spooled |= *outcome == IntakeOutcome::kSpooled;
          // A full spool will not take the next file either; try again next scan.
          if (*outcome == IntakeOutcome::kDeferred) break;
        }
      }
    }
    // The files read are freed by now; their pages go back rather than stay resident while the
    // daemon waits for the next file. Before the forwarder wakes, and without the folders' lock:
    // with one malloc arena, every allocation waits for the trim.
    if (taken) malloc_trim(0);
    if (spooled) forwarder_->Notify();
  }

  // Waits one scan interval; true when shutting down.
  bool Stopping() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), scan_interval_);
    return stopping_;
  }

  const Clock* clock_ = nullptr;
  Logger* logger_ = nullptr;
  // The configuration in force; only Reload (one at a time, from the signal thread) changes it.
  AgentSettings settings_;
  CurrentCollector collector_;
  std::string spool_path_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<CatalogueCache> catalogue_;
  Folders folders_;
  std::unique_ptr<StatusBoard> board_;
  std::string status_path_;
  absl::Mutex status_write_mu_;
  absl::StatusCode status_write_error_ ABSL_GUARDED_BY(status_write_mu_) = absl::StatusCode::kOk;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* files_[3] = {};
  prometheus::Counter* sends_[3] = {};
  std::shared_ptr<AgentStateCollectable> state_;
  MetricsEndpoint metrics_;
  std::unique_ptr<Forwarder> forwarder_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration scan_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(2);
  bool refresh_catalogue_ ABSL_GUARDED_BY(mu_) = false;
  // Only the intake thread uses it.
  bool catalogue_warned_ = false;
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
