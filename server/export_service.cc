#include "server/export_service.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "common/identity.h"
#include "common/period.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace vroeg {
namespace {

using ::google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Status CheckDate(absl::string_view field, const std::string& date) {
  if (date.empty()) return absl::OkStatus();
  absl::StatusOr<absl::CivilDay> day = ParseIsoDate(date);
  if (!day.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", day.status().message()));
  }
  return absl::OkStatus();
}

// The request, for the audit log.
std::vector<std::pair<std::string, std::string>> FilterDetails(const api::v1::ExportFilter& filter,
                                                               api::v1::ExportMode mode) {
  std::vector<std::pair<std::string, std::string>> details;
  details.push_back({"mode", mode == api::v1::EXPORT_MODE_HISTORY ? "history" : "current"});
  if (!filter.period_end().start().empty()) {
    details.push_back({"period_end_from", filter.period_end().start()});
  }
  if (!filter.period_end().end().empty()) {
    details.push_back({"period_end_to", filter.period_end().end()});
  }
  auto list = [&](const char* name, const auto& values) {
    if (!values.empty()) details.push_back({name, absl::StrJoin(values, ",")});
  };
  list("reporters", filter.reporters());
  list("indicators", filter.indicators());
  list("care_forms", filter.care_forms());
  list("municipalities", filter.municipalities());
  list("regions", filter.regions());
  std::vector<std::string> datasets;
  for (int dataset : filter.datasets()) {
    datasets.push_back(catalogue::v1::Dataset_Name(static_cast<catalogue::v1::Dataset>(dataset)));
  }
  list("datasets", datasets);
  return details;
}

void ToExported(const std::string& region, const StoredObservation& stored,
                api::v1::ExportedObservation* row) {
  row->set_region(region);
  row->set_reporter(stored.series.reporter);
  api::v1::Observation* observation = row->mutable_observation();
  observation->set_indicator(stored.series.indicator);
  observation->set_care_form(stored.series.care_form);
  observation->set_municipality(stored.series.municipality);
  observation->mutable_period()->set_start(stored.period_start);
  observation->mutable_period()->set_end(stored.period_end);
  observation->mutable_period()->set_granularity(stored.granularity);
  observation->set_value(stored.value);
  row->set_submission_id(stored.submission_id);
  *row->mutable_received_at() = ToTimestamp(stored.received_at);
  row->set_current(stored.current);
  if (!stored.current) {
    row->set_superseded_by_submission_id(stored.superseded_by_submission_id);
    *row->mutable_superseded_at() = ToTimestamp(stored.superseded_at);
  }
}

}  // namespace

absl::StatusOr<ExportQuery> ExportQueryOf(const api::v1::ExportFilter& filter,
                                          api::v1::ExportMode mode, const Catalogue& catalogue,
                                          const std::string& region, bool* empty) {
  *empty = false;
  ExportQuery query;
  query.history = mode == api::v1::EXPORT_MODE_HISTORY;
  if (mode != api::v1::EXPORT_MODE_UNSPECIFIED && mode != api::v1::EXPORT_MODE_CURRENT &&
      !query.history) {
    return absl::InvalidArgumentError(absl::StrCat("mode: unknown value ", mode));
  }
  VROEG_RETURN_IF_ERROR(CheckDate("filter.period_end.start", filter.period_end().start()));
  VROEG_RETURN_IF_ERROR(CheckDate("filter.period_end.end", filter.period_end().end()));
  query.period_end_from = filter.period_end().start();
  query.period_end_to = filter.period_end().end();
  if (!query.period_end_from.empty() && !query.period_end_to.empty() &&
      query.period_end_from > query.period_end_to) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter.period_end: start ", query.period_end_from, " is after end ", query.period_end_to));
  }
  for (const std::string& urn : filter.reporters()) {
    absl::StatusOr<ReporterId> reporter = ParseReporterUrn(urn);
    if (!reporter.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.reporters: ", reporter.status().message()));
    }
    query.reporters.push_back(reporter->Urn());
  }
  for (const std::string& code : filter.indicators()) {
    if (catalogue.FindIndicator(code) == nullptr) {
      const std::string suggestion = catalogue.SuggestIndicator(code);
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.indicators: '", code, "' is not in catalogue ", catalogue.version(),
          suggestion.empty() ? "" : absl::StrCat("; did you mean '", suggestion, "'?")));
    }
    query.indicators.push_back(code);
  }
  for (const std::string& code : filter.care_forms()) {
    if (!code.empty() && catalogue.FindCareForm(code) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("filter.care_forms: '", code,
                                                     "' is not a care form of the catalogue; use ",
                                                     catalogue.CareFormList()));
    }
    query.care_forms.push_back(code);
  }
  query.municipalities.assign(filter.municipalities().begin(), filter.municipalities().end());
  if (!filter.datasets().empty()) {
    std::vector<std::string> of_datasets;
    for (const catalogue::v1::Indicator& indicator : catalogue.proto().indicators()) {
      if (std::find(filter.datasets().begin(), filter.datasets().end(), indicator.dataset()) ==
          filter.datasets().end()) {
        continue;
      }
      if (query.indicators.empty() || std::find(query.indicators.begin(), query.indicators.end(),
                                                indicator.code()) != query.indicators.end()) {
        of_datasets.push_back(indicator.code());
      }
    }
    if (of_datasets.empty()) *empty = true;
    query.indicators = std::move(of_datasets);
  }
  // A regional collector holds its own region's figures only.
  if (!filter.regions().empty() && std::find(filter.regions().begin(), filter.regions().end(),
                                             region) == filter.regions().end()) {
    *empty = true;
  }
  return query;
}

// One ExportObservations call. The export runs on a worker thread, which hands each batch to
// gRPC and waits until it is written; gRPC's threads only signal. The worker's last act is
// Finish, after which gRPC may delete the reactor (OnDone).
class ExportService::ObservationsReactor
    : public grpc::ServerWriteReactor<api::v1::ExportObservationsResponse> {
 public:
  ObservationsReactor(ExportService* service, grpc::CallbackServerContext* context,
                      api::v1::ExportObservationsRequest request)
      : service_(service), context_(context), request_(std::move(request)) {}

  void Start() {
    absl::StatusOr<VerifiedClient> caller = AdmitCaller(service_->gate_, context_);
    if (!caller.ok()) {
      Finish(ToGrpcStatus(caller.status()));
      return;
    }
    service_->exports_->Schedule([this, client = *std::move(caller)] { Run(client); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    broken_ = true;
  }

  void OnDone() override { delete this; }

 private:
  void Run(const VerifiedClient& caller) {
    const CallGate& gate = service_->gate_;
    const api::v1::ExportFilter& filter = request_.filter();
    AuditedCall call{"export_observations", "", FilterDetails(filter, request_.mode()), "read"};
    absl::Status allowed =
        service_->authorizer_->AuthorizeExport(caller.reporter, service_->export_readers_);
    bool empty = false;
    absl::StatusOr<ExportQuery> query = absl::InternalError("not authorized");
    if (allowed.ok()) {
      query =
          ExportQueryOf(filter, request_.mode(), *service_->catalogue_, service_->region_, &empty);
      allowed = query.status();
    }
    // The snapshot the header states: the store's read starts after this.
    const absl::Time snapshot = gate.clock->Now();
    uint64_t seq = 0;
    absl::Status audited = Audit(gate, context_, &caller, call, allowed, &seq);
    if (!audited.ok() || !allowed.ok()) {
      Finish(ToGrpcStatus(audited.ok() ? allowed : audited));
      return;
    }

    api::v1::ExportHeader* header = response_.mutable_header();
    header->set_collector_region(service_->region_);
    header->set_catalogue_version(service_->catalogue_->version());
    *header->mutable_snapshot_time() = ToTimestamp(snapshot);
    header->set_audit_seq(seq);
    uint64_t rows = 0;
    absl::Status status;
    if (!empty) {
      status = service_->store_->ForEachObservation(*query, [&](const StoredObservation& o) {
        ToExported(service_->region_, o, response_.add_observations());
        ++rows;
        return response_.observations_size() < kBatchRows || Send();
      });
    }
    if (status.ok() && !Send()) {
      status = absl::CancelledError("the client went away before every row was sent");
    }

    // The end of the stream, with what was sent, on record before the status is.
    call.object = absl::StrCat("audit_seq ", seq);
    call.details = {{"rows", absl::StrCat(rows)}};
    audited = Audit(gate, context_, &caller, std::move(call), status);
    Finish(ToGrpcStatus(audited.ok() ? status : audited));
  }

  // Writes response_ (the header, rows or both) and waits until gRPC took it. False when the
  // client is gone.
  bool Send() {
    if (!response_.has_header() && response_.observations_size() == 0) return !Broken();
    {
      absl::MutexLock lock(&mu_);
      if (broken_) return false;
      writing_ = true;
    }
    StartWrite(&response_);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ObservationsReactor::WriteDone));
    response_.Clear();
    return !broken_;
  }

  bool Broken() {
    absl::MutexLock lock(&mu_);
    return broken_;
  }

  bool WriteDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; }

  ExportService* const service_;
  grpc::CallbackServerContext* const context_;
  const api::v1::ExportObservationsRequest request_;
  // Owned by the worker between writes, by gRPC during one.
  api::v1::ExportObservationsResponse response_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // The client cancelled or a write failed: nothing more can be sent.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerWriteReactor<api::v1::ExportObservationsResponse>* ExportService::ExportObservations(
    grpc::CallbackServerContext* context, const api::v1::ExportObservationsRequest* request) {
  auto* reactor = new ObservationsReactor(this, context, *request);
  reactor->Start();
  return reactor;
}

}  // namespace vroeg
