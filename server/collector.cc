#include "server/collector.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/config_file.h"
#include "common/identity.h"
#include "common/period.h"
#include "common/process_lifecycle.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "server/indicator_collectable.h"
#include "server/ingestor.h"
#include "server/latest_state.h"
#include "server/services.h"
#include "server/storage/sqlite_store.h"
#include "server/worker_pool.h"

namespace vroeg {
namespace {

constexpr char kDefaultListen[] = "127.0.0.1:7443";
constexpr char kDefaultMetricsListen[] = "127.0.0.1:9464";
constexpr char kDefaultCatalogue[] = "/usr/share/vroeg/catalogue.yaml";
constexpr char kDefaultDatabase[] = "/var/lib/vroeg/collector.db";
constexpr int kCommitWorkers = 4;

class CollectorImpl : public Collector {
 public:
  int grpc_port() const override { return grpc_port_; }
  int metrics_port() const override { return metrics_.port; }

  void Wait() override { shutdown_.WaitForNotification(); }

  void Shutdown() override {
    absl::MutexLock lock(&shutdown_mu_);
    if (shutdown_.HasBeenNotified()) return;
    // Start may have failed half way; only what was built is stopped.
    if (server_ != nullptr) {
      // Calls in flight get a few seconds to commit; their clients retry the rest safely.
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
      logger_->Info("stopped");
    }
    workers_.reset();
    shutdown_.Notify();
  }

  ~CollectorImpl() override { Shutdown(); }

  static absl::StatusOr<std::unique_ptr<Collector>> Start(const CollectorSettings& settings,
                                                          const Clock* clock, Logger* logger) {
    const auto& config = settings.config;
    auto self = std::unique_ptr<CollectorImpl>(new CollectorImpl());
    self->logger_ = logger;
    const absl::Time started = clock->Now();

    const std::string catalogue_path = ResolvePath(settings.base_dir, config.catalogue());
    auto catalogue = Catalogue::LoadFile(catalogue_path);
    if (!catalogue.ok()) {
      return absl::Status(catalogue.status().code(),
                          absl::StrCat("catalogue: ", catalogue.status().message()));
    }
    self->catalogue_ = *catalogue;

    auto tls = LoadTlsMaterial(config.tls(), settings.base_dir);
    if (!tls.ok()) return tls.status();

    const std::string db_path = ResolvePath(settings.base_dir, config.storage().sqlite().path());
    auto store = SqliteStore::Open(db_path);
    if (!store.ok()) {
      return absl::Status(store.status().code(),
                          absl::StrCat("storage.sqlite.path: ", store.status().message()));
    }
    self->store_ = *std::move(store);
    VROEG_RETURN_IF_ERROR(self->store_->ForEachCurrent(
        [&](const StoredObservation& observation) { self->state_.Apply(observation); }));
    logger->Info("state_rebuilt", {{"series", self->state_.size()},
                                   {"database", db_path},
                                   {"seconds", absl::ToDoubleSeconds(clock->Now() - started)}});

    self->registry_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildGauge()
        .Name("vroeg_build_info")
        .Help("Version of the running vroeg-collector and of its catalogue; always 1.")
        .Register(*self->registry_)
        .Add({{"version", VROEG_VERSION}, {"catalogue_version", self->catalogue_->version()}})
        .Set(1);
    prometheus::BuildGauge()
        .Name("vroeg_start_time_seconds")
        .Help("Unix time at which the collector started.")
        .Register(*self->registry_)
        .Add({})
        .Set(absl::ToDoubleSeconds(started - absl::UnixEpoch()));
    self->ingestor_ =
        std::make_unique<Ingestor>(self->catalogue_, config.region(), self->store_.get(),
                                   &self->state_, clock, logger, self->registry_.get());
    self->collectable_ = std::make_shared<IndicatorCollectable>(self->catalogue_, &self->state_,
                                                                config.region().code());

    VROEG_ASSIGN_OR_RETURN(self->metrics_,
                           StartMetricsEndpoint("metrics_listen", config.metrics_listen(),
                                                {self->registry_, self->collectable_}));

    self->workers_ = std::make_unique<WorkerPool>(kCommitWorkers);
    self->submission_ =
        std::make_unique<SubmissionService>(self->ingestor_.get(), self->workers_.get());
    self->catalogue_service_ = std::make_unique<CatalogueService>(self->catalogue_);
    self->status_ = std::make_unique<StatusService>(config.region().code(), self->catalogue_,
                                                    self->store_.get(), &self->state_,
                                                    self->workers_.get(), started);

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(config.listen(), MutualTlsServerCredentials(*tls), &self->grpc_port_);
    builder.RegisterService(self->submission_.get());
    builder.RegisterService(self->catalogue_service_.get());
    builder.RegisterService(self->status_.get());
    builder.SetMaxReceiveMessageSize(64 << 20);
    // Agents send keepalive pings every 60 s during calls; allow that rate instead of answering
    // it with GOAWAY (too_many_pings).
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30000);
    self->server_ = builder.BuildAndStart();
    if (self->server_ == nullptr || self->grpc_port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("listen: cannot listen on ", config.listen(),
                       " (address in use, or not an address of this machine?)"));
    }
    self->server_->GetHealthCheckService()->SetServingStatus(true);
    const std::string host = config.listen().substr(0, config.listen().rfind(':'));
    const std::string metrics_host =
        config.metrics_listen().substr(0, config.metrics_listen().rfind(':'));
    logger->Info(
        "listening",
        {{"region", config.region().code()},
         {"grpc", absl::StrCat(host, ":", self->grpc_port_)},
         {"metrics", absl::StrCat("http://", metrics_host, ":", self->metrics_.port, "/metrics")},
         {"catalogue_version", self->catalogue_->version()}});
    return std::unique_ptr<Collector>(std::move(self));
  }

 private:
  CollectorImpl() = default;

  Logger* logger_ = nullptr;
  std::shared_ptr<const Catalogue> catalogue_;
  std::unique_ptr<ObservationStore> store_;
  LatestState state_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Ingestor> ingestor_;
  std::shared_ptr<IndicatorCollectable> collectable_;
  MetricsEndpoint metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<SubmissionService> submission_;
  std::unique_ptr<CatalogueService> catalogue_service_;
  std::unique_ptr<StatusService> status_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  absl::Mutex shutdown_mu_;
  absl::Notification shutdown_;
};

}  // namespace

absl::Status ApplyCollectorDefaults(config::v1::CollectorConfig* config) {
  if (config->listen().empty()) config->set_listen(kDefaultListen);
  if (config->metrics_listen().empty()) config->set_metrics_listen(kDefaultMetricsListen);
  if (config->catalogue().empty()) config->set_catalogue(kDefaultCatalogue);
  if (config->storage().sqlite().path().empty()) {
    config->mutable_storage()->mutable_sqlite()->set_path(kDefaultDatabase);
  }
  VROEG_RETURN_IF_ERROR(CheckHostPort("listen", config->listen()));
  VROEG_RETURN_IF_ERROR(CheckHostPort("metrics_listen", config->metrics_listen()));
  const auto& region = config->region();
  if (region.code().empty()) {
    return absl::InvalidArgumentError("region.code is required, e.g. flevoland");
  }
  if (auto s = NormaliseReporterId(type::v1::REPORTER_KIND_REGION, region.code()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("region.code: ", s.status().message()));
  }
  for (int i = 0; i < region.municipalities_size(); ++i) {
    auto* member = config->mutable_region()->mutable_municipalities(i);
    const std::string where = absl::StrCat("region.municipalities[", i, "]");
    auto code = NormaliseMunicipalityCode(member->code());
    if (!code.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".code: ", code.status().message()));
    }
    member->set_code(*code);
    for (const std::string* date : {&member->valid_from(), &member->valid_to()}) {
      if (!date->empty() && !ParseIsoDate(*date).ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": '", *date, "' is not a date (YYYY-MM-DD)"));
      }
    }
  }
  if (config->tls().certificate().empty() || config->tls().private_key().empty() ||
      config->tls().ca_certificate().empty()) {
    return absl::InvalidArgumentError(
        "tls.certificate, tls.private_key and tls.ca_certificate are required: the collector "
        "speaks mutual TLS only (create them with vroegctl pki)");
  }
  return absl::OkStatus();
}

absl::StatusOr<CollectorSettings> LoadCollectorSettings(const std::string& path) {
  CollectorSettings settings;
  VROEG_ASSIGN_OR_RETURN(settings.base_dir, LoadConfigFile(path, &settings.config, [&] {
                           return ApplyCollectorDefaults(&settings.config);
                         }));
  return settings;
}

absl::StatusOr<std::unique_ptr<Collector>> Collector::Start(const CollectorSettings& settings,
                                                            const Clock* clock, Logger* logger) {
  return CollectorImpl::Start(settings, clock, logger);
}

}  // namespace vroeg
