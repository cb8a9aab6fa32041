#include "server/collector.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/agent_settings.h"
#include "common/certificate.h"
#include "common/config_file.h"
#include "common/identity.h"
#include "common/metrics_security.h"
#include "common/period.h"
#include "common/process_lifecycle.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/server_builder.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "server/audit/audit_log.h"
#include "server/client_trust.h"
#include "server/early_warning/roles.h"
#include "server/early_warning/settings.h"
#include "server/export_service.h"
#include "server/indicator_collectable.h"
#include "server/ingestor.h"
#include "server/latest_state.h"
#include "server/services.h"
#include "server/storage/postgres_store.h"
#include "server/storage/sqlite_store.h"
#include "server/upstream.h"
#include "server/worker_pool.h"

namespace vroeg {
namespace {

constexpr char kDefaultListen[] = "127.0.0.1:7443";
constexpr char kDefaultMetricsListen[] = "127.0.0.1:9464";
constexpr char kDefaultCatalogue[] = "/usr/share/vroeg/catalogue.yaml";
constexpr char kDefaultDatabase[] = "/var/lib/vroeg/collector.db";
constexpr char kDefaultPostgresHost[] = "/var/run/postgresql";
constexpr uint32_t kDefaultPostgresPort = 5432;
constexpr char kDefaultPostgresDatabase[] = "vroeg";
constexpr char kDefaultPostgresUser[] = "vroeg";
constexpr char kDefaultPostgresSslMode[] = "prefer";
constexpr uint32_t kDefaultPostgresPoolSize = 4;
constexpr uint32_t kMaxPostgresPoolSize = 64;
constexpr const char* kPostgresSslModes[] = {"disable", "allow",     "prefer",
                                             "require", "verify-ca", "verify-full"};
// Submissions being checked or waiting for their group commit (see Ingestor): a worker mostly
// waits, and each one more can share a transaction's flush to disk.
constexpr int kCommitWorkers = 64;
// Exports run apart from commits, so that a long export never holds up a submission.
constexpr int kExportWorkers = 2;
constexpr uint32_t kDefaultMaxMessageBytes = 32 << 20;
constexpr uint32_t kDefaultMaxObservations = 200000;
constexpr uint32_t kDefaultSubmissionsPerMinute = 600;
constexpr uint32_t kDefaultBurst = 1000;
constexpr uint32_t kDefaultTlsReloadSeconds = 60;
constexpr uint32_t kDefaultUpstreamTimeout = 30;
constexpr uint64_t kDefaultUpstreamSpoolBytes = uint64_t{1} << 30;
// A certificate closer than this to its end is announced in the log at every check.
constexpr absl::Duration kExpiryWarning = absl::Hours(24 * 30);

std::string Date(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

// The audit log and the upstream spool live next to the database unless configured:
// collector.db -> collector<suffix>, so that two collectors never share one by accident.
std::string NextToDatabase(const std::string& database, absl::string_view suffix) {
  std::string stem = database;
  if (absl::EndsWith(stem, ".db")) stem.resize(stem.size() - 3);
  return absl::StrCat(stem, suffix);
}

// `database` is the SQLite file, or empty for PostgreSQL.
absl::Status ApplyUpstreamDefaults(const std::string& database, config::v1::Upstream* upstream) {
  if (upstream->collector().empty()) {
    return absl::InvalidArgumentError(
        "upstream.collector is required: the national collector's host:port, e.g. "
        "vroeg.nza.example:7443");
  }
  VROEG_RETURN_IF_ERROR(CheckHostPort("upstream.collector", upstream->collector()));
  if (upstream->tls().certificate().empty() || upstream->tls().private_key().empty() ||
      upstream->tls().ca_certificate().empty()) {
    return absl::InvalidArgumentError(
        "upstream.tls.certificate, upstream.tls.private_key and upstream.tls.ca_certificate are "
        "required: the region's certificate for the national collector and the CA that issued "
        "the national collector's");
  }
  if (upstream->timeout_seconds() == 0) upstream->set_timeout_seconds(kDefaultUpstreamTimeout);
  auto* spool = upstream->mutable_spool();
  if (spool->path().empty()) {
    spool->set_path(
        NextToDatabase(database.empty() ? kDefaultDatabase : database, ".upstream-spool"));
  }
  if (spool->max_bytes() == 0) spool->set_max_bytes(kDefaultUpstreamSpoolBytes);
  return ApplyRetryDefaults("upstream.retry", upstream->mutable_retry());
}

// Normalises the member municipalities of a region in place; errors name `where`.
absl::Status NormaliseMembers(const std::string& where, config::v1::Region* region) {
  if (auto s = NormaliseReporterId(type::v1::REPORTER_KIND_REGION, region->code()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".code: ", s.status().message()));
  }
  for (int i = 0; i < region->municipalities_size(); ++i) {
    auto* member = region->mutable_municipalities(i);
    const std::string at = absl::StrCat(where, ".municipalities[", i, "]");
    auto code = NormaliseMunicipalityCode(member->code());
    if (!code.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".code: ", code.status().message()));
    }
    member->set_code(*code);
    for (const std::string* date : {&member->valid_from(), &member->valid_to()}) {
      if (!date->empty() && !ParseIsoDate(*date).ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ": '", *date, "' is not a date (YYYY-MM-DD)"));
      }
    }
  }
  return absl::OkStatus();
}

// Exactly one backend; defaults for the one chosen. Errors name the key.
absl::Status ApplyStorageDefaults(config::v1::Storage* storage) {
  if (storage->has_sqlite() && storage->has_postgres()) {
    return absl::InvalidArgumentError(
        "storage: set either storage.sqlite or storage.postgres, not both");
  }
  if (!storage->has_postgres()) {
    if (storage->sqlite().path().empty()) storage->mutable_sqlite()->set_path(kDefaultDatabase);
    return absl::OkStatus();
  }
  config::v1::PostgresStorage* postgres = storage->mutable_postgres();
  if (postgres->host().empty()) postgres->set_host(kDefaultPostgresHost);
  if (postgres->port() == 0) postgres->set_port(kDefaultPostgresPort);
  if (postgres->dbname().empty()) postgres->set_dbname(kDefaultPostgresDatabase);
  if (postgres->user().empty()) postgres->set_user(kDefaultPostgresUser);
  if (postgres->sslmode().empty()) postgres->set_sslmode(kDefaultPostgresSslMode);
  if (postgres->pool_size() == 0) postgres->set_pool_size(kDefaultPostgresPoolSize);
  if (postgres->port() > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage.postgres.port: ", postgres->port(), " must be between 1 and 65535"));
  }
  if (std::find(std::begin(kPostgresSslModes), std::end(kPostgresSslModes), postgres->sslmode()) ==
      std::end(kPostgresSslModes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage.postgres.sslmode: '", postgres->sslmode(),
                     "' must be one of disable, allow, prefer, require, verify-ca, verify-full"));
  }
  if (postgres->pool_size() > kMaxPostgresPoolSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage.postgres.pool_size: ", postgres->pool_size(),
                     " must be between 1 and ", kMaxPostgresPoolSize));
  }
  return absl::OkStatus();
}

// Opens the configured backend and logs which one it is and where (never a password). `where`
// receives the same description for later log lines.
absl::StatusOr<std::unique_ptr<ObservationStore>> OpenStore(const CollectorSettings& settings,
                                                            Logger* logger, std::string* where) {
  const config::v1::Storage& storage = settings.config.storage();
  if (!storage.has_postgres()) {
    *where = ResolvePath(settings.base_dir, storage.sqlite().path());
    auto store = SqliteStore::Open(*where);
    if (!store.ok()) {
      return absl::Status(store.status().code(),
                          absl::StrCat("storage.sqlite.path: ", store.status().message()));
    }
    auto sqlite_settings = (*store)->ReadSettings();
    if (!sqlite_settings.ok()) return sqlite_settings.status();
    logger->Info("storage_opened", {{"backend", "sqlite"},
                                    {"path", *where},
                                    {"schema_version", sqlite_settings->schema_version},
                                    {"journal_mode", sqlite_settings->journal_mode},
                                    {"synchronous", sqlite_settings->synchronous}});
    return std::unique_ptr<ObservationStore>(*std::move(store));
  }
  const config::v1::PostgresStorage& postgres = storage.postgres();
  PostgresStoreOptions options;
  options.connection = {{"host", postgres.host()},       {"port", absl::StrCat(postgres.port())},
                        {"dbname", postgres.dbname()},   {"user", postgres.user()},
                        {"sslmode", postgres.sslmode()}, {"connect_timeout", "10"}};
  if (!postgres.sslrootcert().empty()) {
    options.connection["sslrootcert"] = ResolvePath(settings.base_dir, postgres.sslrootcert());
  }
  if (!postgres.password_file().empty()) {
    options.password_file = ResolvePath(settings.base_dir, postgres.password_file());
  }
  options.pool_size = static_cast<int>(postgres.pool_size());
  auto store = PostgresStore::Open(options);
  if (!store.ok()) {
    return absl::Status(store.status().code(),
                        absl::StrCat("storage.postgres: ", store.status().message()));
  }
  auto postgres_settings = (*store)->ReadSettings();
  if (!postgres_settings.ok()) return postgres_settings.status();
  *where = (*store)->target();
  logger->Info("storage_opened", {{"backend", "postgres"},
                                  {"target", *where},
                                  {"pool_size", options.pool_size},
                                  {"password_file", options.password_file},
                                  {"server_version", postgres_settings->server_version},
                                  {"schema_version", postgres_settings->schema_version},
                                  {"synchronous_commit", postgres_settings->synchronous_commit},
                                  {"fsync", postgres_settings->fsync}});
  if (postgres_settings->fsync != "on") {
    logger->Warning("storage_not_crash_safe",
                    {{"target", *where},
                     {"reason", "the PostgreSQL server runs with fsync off"},
                     {"hint",
                      "a crash of the database machine can lose acknowledged submissions; set "
                      "fsync = on in postgresql.conf"}});
  }
  return std::unique_ptr<ObservationStore>(*std::move(store));
}

class CollectorImpl : public Collector {
 public:
  int grpc_port() const override { return grpc_port_; }
  int metrics_port() const override { return metrics_.port; }

  void Wait() override { shutdown_.WaitForNotification(); }

  void Reload() override {
    absl::MutexLock lock(&reload_mu_);
    reload_requested_ = true;
  }

  void Shutdown() override {
    absl::MutexLock lock(&shutdown_mu_);
    if (shutdown_.HasBeenNotified()) return;
    {
      absl::MutexLock reload_lock(&reload_mu_);
      stopping_ = true;
    }
    if (reloader_.joinable()) reloader_.join();
    // Start may have failed half way; only what was built is stopped.
    if (server_ != nullptr) {
      // Calls in flight get a few seconds to commit; their clients retry the rest safely.
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
    workers_.reset();
    export_workers_.reset();
    // After the last commit, so that everything committed was queued.
    upstream_.reset();
    SaveStateCheckpoint();
    if (server_ != nullptr) {
      logger_->Info("stopped",
                    {{"audit_entries", audit_->entries()}, {"audit_head", audit_->head_hash()}});
    }
    shutdown_.Notify();
  }

  ~CollectorImpl() override { Shutdown(); }

  // After the last commit: the checkpoint must hold exactly what the store holds. Start takes
  // the checkpoint out of the store before anything can commit, so a start that failed half way
  // puts back the same state it took.
  void SaveStateCheckpoint() {
    if (!state_complete_) return;
    const absl::Time started = clock_->Now();
    if (absl::Status saved = state_->SaveCheckpoint(*store_); !saved.ok()) {
      logger_->Warning("state_checkpoint_not_saved",
                       {{"reason", saved.message()},
                        {"hint",
                         "the next start reads the state from the store, which takes "
                         "longer; nothing stored is affected"}});
      return;
    }
    logger_->Info(
        "state_checkpoint_saved",
        {{"series", state_->size()}, {"seconds", absl::ToDoubleSeconds(clock_->Now() - started)}});
  }

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
    self->clock_ = clock;
    self->ca_path_ = ResolvePath(settings.base_dir, config.tls().ca_certificate());
    self->crl_path_ = ResolvePath(settings.base_dir, config.tls().crl());
    self->certificate_path_ = ResolvePath(settings.base_dir, config.tls().certificate());
    self->reload_interval_ = absl::Seconds(config.tls().reload_interval_seconds());

    std::string database;
    VROEG_ASSIGN_OR_RETURN(self->store_, OpenStore(settings, logger, &database));
    self->state_ = std::make_unique<LatestState>(config.early_warning().history_periods());
    VROEG_ASSIGN_OR_RETURN(LatestState::LoadSummary loaded, self->state_->Load(*self->store_));
    self->state_complete_ = true;
    if (!loaded.checkpoint_refused.empty()) {
      logger->Warning("state_checkpoint_refused",
                      {{"reason", loaded.checkpoint_refused},
                       {"hint", "the state was read from the store instead, which takes longer"}});
    }
    logger->Info("state_rebuilt", {{"series", self->state_->size()},
                                   {"database", database},
                                   {"from", loaded.from_checkpoint ? "checkpoint" : "store"},
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
    const std::string audit_path = ResolvePath(settings.base_dir, config.audit_log());
    auto audit = AuditLog::Open(audit_path, logger);
    if (!audit.ok()) {
      return absl::Status(audit.status().code(),
                          absl::StrCat("audit_log: ", audit.status().message()));
    }
    self->audit_ = *std::move(audit);
    logger->Info("audit_log_opened", {{"path", audit_path},
                                      {"entries", self->audit_->entries()},
                                      {"head", self->audit_->head_hash()}});

    self->certificates_ = std::make_unique<ClientCertificates>(clock, logger, self->registry_.get(),
                                                               self->audit_.get());
    VROEG_RETURN_IF_ERROR(self->certificates_->Reload(self->ca_path_, self->crl_path_));
    self->certificate_expiry_ = &prometheus::BuildGauge()
                                     .Name("vroeg_tls_certificate_expiry_timestamp_seconds")
                                     .Help(
                                         "Unix time at which the collector's own server "
                                         "certificate expires.")
                                     .Register(*self->registry_)
                                     .Add({});
    self->reload_failures_ = &prometheus::BuildCounter()
                                  .Name("vroeg_tls_reload_failures_total")
                                  .Help(
                                      "Reloads of the CA or CRL file that failed; the trust "
                                      "in force before stays.")
                                  .Register(*self->registry_)
                                  .Add({});
    self->CheckOwnCertificate();

    if (config.has_upstream()) {
      VROEG_ASSIGN_OR_RETURN(self->upstream_,
                             Upstream::Start(config.upstream(), config.region(), settings.base_dir,
                                             clock, logger, self->registry_.get()));
    }
    IngestorOptions options;
    options.upstream = self->upstream_.get();
    options.region = config.region();
    options.member_regions.assign(config.member_regions().begin(), config.member_regions().end());
    options.max_observations_per_submission = config.limits().max_observations_per_submission();
    options.submissions_per_minute = config.limits().submissions_per_minute();
    options.burst = config.limits().burst();
    self->ingestor_ =
        std::make_unique<Ingestor>(self->catalogue_, std::move(options), self->store_.get(),
                                   self->state_.get(), clock, logger, self->registry_.get());
    auto roles = early_warning::IndicatorRoles::Resolve(*self->catalogue_);
    early_warning::LogMissingRoles(roles, logger);
    self->collectable_ = std::make_shared<IndicatorCollectable>(
        self->catalogue_, std::move(roles), self->state_.get(), config.region(),
        config.early_warning(), clock, started);

    VROEG_ASSIGN_OR_RETURN(
        self->metrics_,
        StartMetricsEndpoint("metrics_listen", config.metrics_listen(), config.metrics_security(),
                             settings.base_dir, self->MetricsSources()));

    self->workers_ = std::make_unique<WorkerPool>(kCommitWorkers);
    const CallGate gate{self->certificates_.get(), self->audit_.get(), logger, clock,
                        self->workers_.get()};
    self->submission_ = std::make_unique<SubmissionService>(gate, self->ingestor_.get());
    self->catalogue_service_ = std::make_unique<CatalogueService>(gate, self->catalogue_);
    self->status_ =
        std::make_unique<StatusService>(gate, config.region().code(), self->catalogue_,
                                        self->store_.get(), self->state_.get(), started);
    self->export_workers_ = std::make_unique<WorkerPool>(kExportWorkers);
    self->export_authorizer_ = std::make_unique<Authorizer>(
        self->catalogue_, config.region(),
        std::vector<config::v1::Region>(config.member_regions().begin(),
                                        config.member_regions().end()),
        self->registry_.get());
    self->export_ = std::make_unique<ExportService>(
        gate, self->export_workers_.get(), self->export_authorizer_.get(),
        std::vector<std::string>(config.export_readers().begin(), config.export_readers().end()),
        config.region().code(), self->catalogue_, self->store_.get(), config.early_warning(),
        !config.member_regions().empty());

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(config.listen(),
                             self->ServerCredentials(config.tls(), settings.base_dir),
                             &self->grpc_port_);
    builder.RegisterService(self->submission_.get());
    builder.RegisterService(self->catalogue_service_.get());
    builder.RegisterService(self->status_.get());
    builder.RegisterService(self->export_.get());
    builder.SetMaxReceiveMessageSize(static_cast<int>(config.limits().max_message_bytes()));
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
    logger->Info("listening", {{"region", config.region().code()},
                               {"grpc", absl::StrCat(host, ":", self->grpc_port_)},
                               {"metrics", self->metrics_.url},
                               {"catalogue_version", self->catalogue_->version()}});
    self->reloader_ = std::thread([raw = self.get()] { raw->ReloadLoop(); });
    return std::unique_ptr<Collector>(std::move(self));
  }

 private:
  CollectorImpl() = default;

  // Client certificates are judged by ClientCertificates (so that refusals are ours to log, and
  // revocation and reloads are ours to control); gRPC only asks for one. The server's own key
  // and certificate are watched by gRPC and swapped in for new handshakes when they change.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const config::v1::Tls& tls,
                                                             const std::string& base_dir) {
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        ResolvePath(base_dir, tls.private_key()), ResolvePath(base_dir, tls.certificate()),
        static_cast<unsigned int>(tls.reload_interval_seconds()));
    grpc::experimental::TlsServerCredentialsOptions options(provider);
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    options.set_certificate_verifier(HandshakeVerifier(certificates_.get()));
    return grpc::experimental::TlsServerCredentials(options);
  }

  // Re-reads the CA and CRL every reload interval, or at once after SIGHUP.
  void ReloadLoop() {
    for (;;) {
      {
        absl::MutexLock lock(&reload_mu_);
        auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_) {
          return stopping_ || reload_requested_;
        };
        reload_mu_.AwaitWithTimeout(absl::Condition(&wake), reload_interval_);
        if (stopping_) return;
        reload_requested_ = false;
      }
      if (absl::Status s = certificates_->Reload(ca_path_, crl_path_); !s.ok()) {
        reload_failures_->Increment();
        logger_->Error("tls_reload_failed",
                       {{"reason", s.message()},
                        {"hint", "the CA and CRL loaded before stay in force; fix the file"}});
      }
      CheckOwnCertificate();
    }
  }

  void CheckOwnCertificate() {
    auto chain = ReadCertificateFile(certificate_path_);
    if (!chain.ok()) {
      logger_->Warning("own_certificate_unreadable", {{"reason", chain.status().message()}});
      return;
    }
    const CertificateInfo& own = chain->front();
    certificate_expiry_->Set(absl::ToDoubleSeconds(own.not_after - absl::UnixEpoch()));
    const absl::Duration left = own.not_after - clock_->Now();
    if (left < kExpiryWarning) {
      logger_->Warning("own_certificate_expiring",
                       {{"certificate", certificate_path_},
                        {"serial", own.serial_hex},
                        {"not_after", Date(own.not_after)},
                        {"days_left", absl::ToInt64Hours(left) / 24},
                        {"hint",
                         "issue a new one with vroegctl pki issue --server and copy it "
                         "over the old files; it is picked up without a restart"}});
    }
  }

  std::vector<std::shared_ptr<prometheus::Collectable>> MetricsSources() const {
    std::vector<std::shared_ptr<prometheus::Collectable>> sources = {registry_, collectable_};
    if (upstream_ != nullptr) sources.push_back(upstream_->collectable());
    return sources;
  }

  Logger* logger_ = nullptr;
  const Clock* clock_ = nullptr;
  std::string ca_path_;
  std::string crl_path_;
  std::string certificate_path_;
  absl::Duration reload_interval_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ClientCertificates> certificates_;
  prometheus::Gauge* certificate_expiry_ = nullptr;
  prometheus::Counter* reload_failures_ = nullptr;
  std::shared_ptr<const Catalogue> catalogue_;
  std::unique_ptr<ObservationStore> store_;
  std::unique_ptr<LatestState> state_;
  // The state holds everything the store held when Start loaded it (and what was applied since).
  bool state_complete_ = false;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Upstream> upstream_;
  std::unique_ptr<Ingestor> ingestor_;
  std::shared_ptr<IndicatorCollectable> collectable_;
  MetricsEndpoint metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<SubmissionService> submission_;
  std::unique_ptr<CatalogueService> catalogue_service_;
  std::unique_ptr<StatusService> status_;
  std::unique_ptr<WorkerPool> export_workers_;
  std::unique_ptr<Authorizer> export_authorizer_;
  std::unique_ptr<ExportService> export_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  absl::Mutex shutdown_mu_;
  absl::Notification shutdown_;
  absl::Mutex reload_mu_;
  bool reload_requested_ ABSL_GUARDED_BY(reload_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(reload_mu_) = false;
  std::thread reloader_;
};

}  // namespace

absl::Status ApplyCollectorDefaults(config::v1::CollectorConfig* config) {
  if (config->listen().empty()) config->set_listen(kDefaultListen);
  if (config->metrics_listen().empty()) config->set_metrics_listen(kDefaultMetricsListen);
  if (config->catalogue().empty()) config->set_catalogue(kDefaultCatalogue);
  VROEG_RETURN_IF_ERROR(ApplyStorageDefaults(config->mutable_storage()));
  VROEG_RETURN_IF_ERROR(CheckHostPort("listen", config->listen()));
  VROEG_RETURN_IF_ERROR(CheckHostPort("metrics_listen", config->metrics_listen()));
  VROEG_RETURN_IF_ERROR(CheckMetricsSecurity(config->metrics_listen(), config->metrics_security()));
  if (config->region().code().empty()) {
    return absl::InvalidArgumentError("region.code is required, e.g. flevoland");
  }
  VROEG_RETURN_IF_ERROR(NormaliseMembers("region", config->mutable_region()));
  for (int i = 0; i < config->member_regions_size(); ++i) {
    VROEG_RETURN_IF_ERROR(NormaliseMembers(absl::StrCat("member_regions[", i, "]"),
                                           config->mutable_member_regions(i)));
  }
  for (int i = 0; i < config->export_readers_size(); ++i) {
    auto reader = ParseReporterUrn(config->export_readers(i));
    if (!reader.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("export_readers[", i, "]: ", reader.status().message()));
    }
    if (reader->kind != type::v1::REPORTER_KIND_REGION) {
      return absl::InvalidArgumentError(absl::StrCat(
          "export_readers[", i, "]: ", reader->Urn(),
          " is not a region identity; list region operators (urn:vroeg:region:<code>) only, the "
          "supervisor may export without being listed"));
    }
    config->set_export_readers(i, reader->Urn());
  }
  if (config->audit_log().empty()) {
    config->set_audit_log(NextToDatabase(
        config->storage().has_postgres() ? kDefaultDatabase : config->storage().sqlite().path(),
        ".audit.log"));
  }
  if (config->has_upstream()) {
    VROEG_RETURN_IF_ERROR(ApplyUpstreamDefaults(
        config->storage().has_postgres() ? "" : config->storage().sqlite().path(),
        config->mutable_upstream()));
  }
  auto* limits = config->mutable_limits();
  if (limits->max_message_bytes() == 0) limits->set_max_message_bytes(kDefaultMaxMessageBytes);
  if (limits->max_observations_per_submission() == 0) {
    limits->set_max_observations_per_submission(kDefaultMaxObservations);
  }
  if (limits->submissions_per_minute() == 0) {
    limits->set_submissions_per_minute(kDefaultSubmissionsPerMinute);
  }
  if (limits->burst() == 0) limits->set_burst(kDefaultBurst);
  if (limits->max_message_bytes() < 1024 || limits->max_message_bytes() > (1u << 30)) {
    return absl::InvalidArgumentError(
        "limits.max_message_bytes must be between 1024 and 1073741824 (1 GiB)");
  }
  VROEG_RETURN_IF_ERROR(early_warning::ApplyEarlyWarningDefaults(config->mutable_early_warning()));
  if (config->tls().reload_interval_seconds() == 0) {
    config->mutable_tls()->set_reload_interval_seconds(kDefaultTlsReloadSeconds);
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
