#include "server/export_service.h"

#include <algorithm>
#include <cstdint>
#include <set>
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
#include "server/export_aggregates.h"
#include "server/export_compliance.h"

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

// The filter, for the audit log.
std::vector<std::pair<std::string, std::string>> FilterDetails(
    const api::v1::ExportFilter& filter, std::vector<std::pair<std::string, std::string>> details) {
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

namespace {

// The rows of each response type, for the reactor shared by every export.
auto* RowsOf(api::v1::ExportObservationsResponse& response) {
  return response.mutable_observations();
}
auto* RowsOf(api::v1::ExportAggregatesResponse& response) { return response.mutable_figures(); }
auto* RowsOf(api::v1::ExportComplianceResponse& response) { return response.mutable_records(); }

}  // namespace

// One export call, of any of the three. The export runs on a worker thread, which hands each
// batch to gRPC and waits until it is written; gRPC's threads only signal. The worker's last act
// is Finish, after which gRPC may delete the reactor (OnDone).
template <typename Response, typename Row>
class ExportService::Reactor final : public grpc::ServerWriteReactor<Response> {
 public:
  // Checks the request once the caller may export, and returns what streams its rows.
  using Prepare = std::function<absl::StatusOr<Producer<Row>>(absl::Time snapshot)>;

  Reactor(ExportService* service, grpc::CallbackServerContext* context, absl::string_view action,
          Details details, Prepare prepare)
      : service_(service),
        context_(context),
        action_(action),
        details_(std::move(details)),
        prepare_(std::move(prepare)) {}

  void Start() {
    absl::StatusOr<VerifiedClient> caller = AdmitCaller(service_->gate_, context_);
    if (!caller.ok()) {
      this->Finish(ToGrpcStatus(caller.status()));
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
    AuditedCall call{action_, "", std::move(details_), "read"};
    absl::Status allowed =
        service_->authorizer_->AuthorizeExport(caller.reporter, service_->export_readers_);
    // The snapshot the header states: the store's read starts after this.
    const absl::Time snapshot = gate.clock->Now();
    absl::StatusOr<Producer<Row>> producer = absl::InternalError("not authorized");
    if (allowed.ok()) {
      producer = prepare_(snapshot);
      allowed = producer.status();
    }
    uint64_t seq = 0;
    absl::Status audited = Audit(gate, context_, &caller, call, allowed, &seq);
    if (!audited.ok() || !allowed.ok()) {
      this->Finish(ToGrpcStatus(audited.ok() ? allowed : audited));
      return;
    }

    api::v1::ExportHeader* header = response_.mutable_header();
    header->set_collector_region(service_->region_);
    header->set_catalogue_version(service_->catalogue_->version());
    *header->mutable_snapshot_time() = ToTimestamp(snapshot);
    header->set_audit_seq(seq);
    uint64_t rows = 0;
    Details end_details;
    absl::Status status = (*producer)(
        [&](Row&& row) {
          *RowsOf(response_)->Add() = std::move(row);
          ++rows;
          return RowsOf(response_)->size() < kBatchRows || Send();
        },
        &end_details);
    if (status.ok() && !Send()) {
      status = absl::CancelledError("the client went away before every row was sent");
    }

    // The end of the stream, with what was sent, on record before the status is.
    call.object = absl::StrCat("audit_seq ", seq);
    call.details = {{"rows", absl::StrCat(rows)}};
    call.details.insert(call.details.end(), end_details.begin(), end_details.end());
    audited = Audit(gate, context_, &caller, std::move(call), status);
    this->Finish(ToGrpcStatus(audited.ok() ? status : audited));
  }

  // Writes response_ (the header, rows or both) and waits until gRPC took it. False when the
  // client is gone.
  bool Send() {
    if (!response_.has_header() && RowsOf(response_)->empty()) return !Broken();
    {
      absl::MutexLock lock(&mu_);
      if (broken_) return false;
      writing_ = true;
    }
    this->StartWrite(&response_);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Reactor::WriteDone));
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
  const absl::string_view action_;
  Details details_;
  const Prepare prepare_;
  // Owned by the worker between writes, by gRPC during one.
  Response response_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // The client cancelled or a write failed: nothing more can be sent.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

// A row a region forwarded is that region's; one received from its reporter directly is this
// collector's own.
const std::string& ExportService::RegionOf(const StoredObservation& stored) const {
  return stored.region.empty() ? region_ : stored.region;
}

std::set<std::string> ExportService::RowRegions(api::v1::ExportFilter* filter) const {
  if (!national_) return {};
  std::set<std::string> regions(filter->regions().begin(), filter->regions().end());
  filter->clear_regions();
  return regions;
}

bool ExportService::Selected(const std::set<std::string>& regions,
                             const StoredObservation& stored) const {
  return regions.empty() || regions.contains(RegionOf(stored));
}

absl::StatusOr<ExportService::Producer<api::v1::ExportedObservation>> ExportService::Observations(
    const api::v1::ExportObservationsRequest& request, absl::Time /*snapshot*/) const {
  api::v1::ExportFilter filter = request.filter();
  std::set<std::string> regions = RowRegions(&filter);
  bool empty = false;
  VROEG_ASSIGN_OR_RETURN(ExportQuery query,
                         ExportQueryOf(filter, request.mode(), *catalogue_, region_, &empty));
  return [this, query = std::move(query), regions = std::move(regions), empty](
             const std::function<bool(api::v1::ExportedObservation &&)>& emit,
             Details*) -> absl::Status {
    if (empty) return absl::OkStatus();
    return store_->ForEachObservation(query, [&](const StoredObservation& stored) {
      if (!Selected(regions, stored)) return true;
      api::v1::ExportedObservation row;
      ToExported(RegionOf(stored), stored, &row);
      return emit(std::move(row));
    });
  };
}

absl::StatusOr<ExportService::Producer<api::v1::AggregateFigure>> ExportService::Aggregates(
    const api::v1::ExportAggregatesRequest& request, absl::Time /*snapshot*/) const {
  api::v1::ExportFilter filter = request.filter();
  std::set<std::string> regions = RowRegions(&filter);
  bool empty = false;
  VROEG_ASSIGN_OR_RETURN(ExportQuery query, ExportQueryOf(filter, api::v1::EXPORT_MODE_CURRENT,
                                                          *catalogue_, region_, &empty));
  AggregateOptions options;
  options.by_municipality = request.by_municipality();
  options.municipalities.insert(filter.municipalities().begin(), filter.municipalities().end());
  options.national = national_;
  // REGION figures cover every municipality; the builder picks the MUNICIPALITY figures.
  query.municipalities.clear();
  std::set<std::string> read;
  for (const catalogue::v1::Indicator& indicator : catalogue_->proto().indicators()) {
    if (indicator.aggregation() == catalogue::v1::AGGREGATION_NONE ||
        indicator.aggregation() == catalogue::v1::AGGREGATION_UNSPECIFIED ||
        (!query.indicators.empty() && std::find(query.indicators.begin(), query.indicators.end(),
                                                indicator.code()) == query.indicators.end())) {
      continue;
    }
    options.indicators.insert(indicator.code());
    read.insert(indicator.code());
    // A mean needs its weights, asked for or not.
    if (!indicator.weight_indicator().empty()) read.insert(indicator.weight_indicator());
  }
  // Only indicators without an aggregate were asked for.
  if (options.indicators.empty()) empty = true;
  query.indicators.assign(read.begin(), read.end());
  return [this, query = std::move(query), options = std::move(options),
          regions = std::move(regions),
          empty](const std::function<bool(api::v1::AggregateFigure &&)>& emit,
                 Details* details) -> absl::Status {
    if (empty) return absl::OkStatus();
    AggregateBuilder builder(catalogue_.get(), options);
    bool going = true;
    absl::Status status = store_->ForEachObservation(query, [&](const StoredObservation& stored) {
      going = !Selected(regions, stored) || builder.Add(RegionOf(stored), stored, emit);
      return going;
    });
    if (status.ok() && going) builder.Finish(emit);
    if (builder.unweighted() > 0) {
      details->push_back({"unweighted_values_left_out", absl::StrCat(builder.unweighted())});
    }
    return status;
  };
}

absl::StatusOr<ExportService::Producer<api::v1::ComplianceRecord>> ExportService::Compliance(
    const api::v1::ExportComplianceRequest& request, absl::Time snapshot) const {
  // The lists compliance honours; the others are ignored.
  api::v1::ExportFilter filter;
  *filter.mutable_period_end() = request.filter().period_end();
  *filter.mutable_reporters() = request.filter().reporters();
  *filter.mutable_datasets() = request.filter().datasets();
  *filter.mutable_regions() = request.filter().regions();
  std::set<std::string> regions = RowRegions(&filter);
  bool empty = false;
  VROEG_ASSIGN_OR_RETURN(ExportQuery query, ExportQueryOf(filter, api::v1::EXPORT_MODE_HISTORY,
                                                          *catalogue_, region_, &empty));
  ComplianceOptions options;
  options.settings = early_warning_;
  // The configured expected reporters are of this collector's own region.
  if (!regions.empty() && !regions.contains(region_)) options.settings.clear_expected_reporters();
  options.region = region_;
  options.as_of = snapshot;
  if (request.has_as_of()) {
    const google::protobuf::Timestamp& as_of = request.as_of();
    if (as_of.nanos() < 0 || as_of.nanos() > 999999999) {
      return absl::InvalidArgumentError("as_of: nanos out of range");
    }
    options.as_of = absl::FromUnixSeconds(as_of.seconds()) + absl::Nanoseconds(as_of.nanos());
    if (options.as_of > snapshot) {
      return absl::InvalidArgumentError(absl::StrCat(
          "as_of: ", absl::FormatTime(absl::RFC3339_full, options.as_of, absl::UTCTimeZone()),
          " is after the snapshot (now); compliance is known up to now"));
    }
  }
  options.reporters.insert(query.reporters.begin(), query.reporters.end());
  for (int dataset : filter.datasets()) {
    options.datasets.insert(static_cast<catalogue::v1::Dataset>(dataset));
  }
  // Valid: ExportQueryOf checked them.
  if (!query.period_end_from.empty()) {
    options.period_end_from = *ParseIsoDate(query.period_end_from);
  }
  if (!query.period_end_to.empty()) options.period_end_to = *ParseIsoDate(query.period_end_to);
  // Open starts and the last period received need every period.
  query.period_end_from.clear();
  query.period_end_to.clear();
  return [this, query = std::move(query), options = std::move(options),
          regions = std::move(regions),
          empty](const std::function<bool(api::v1::ComplianceRecord &&)>& emit,
                 Details*) -> absl::Status {
    if (empty) return absl::OkStatus();
    ComplianceBuilder builder(catalogue_.get(), options);
    VROEG_RETURN_IF_ERROR(store_->ForEachObservation(query, [&](const StoredObservation& stored) {
      if (Selected(regions, stored)) builder.Add(RegionOf(stored), stored);
      return true;
    }));
    for (api::v1::ComplianceRecord& record : builder.Records()) {
      if (!emit(std::move(record))) break;
    }
    return absl::OkStatus();
  };
}

template <typename Response, typename Request, typename Row>
grpc::ServerWriteReactor<Response>* ExportService::Begin(
    grpc::CallbackServerContext* context, absl::string_view action, const Request& request,
    Details details,
    absl::StatusOr<Producer<Row>> (ExportService::*prepare)(const Request&, absl::Time) const) {
  auto* reactor = new Reactor<Response, Row>(this, context, action,
                                             FilterDetails(request.filter(), std::move(details)),
                                             [this, request, prepare](absl::Time snapshot) {
                                               return (this->*prepare)(request, snapshot);
                                             });
  reactor->Start();
  return reactor;
}

grpc::ServerWriteReactor<api::v1::ExportObservationsResponse>* ExportService::ExportObservations(
    grpc::CallbackServerContext* context, const api::v1::ExportObservationsRequest* request) {
  return Begin<api::v1::ExportObservationsResponse>(
      context, "export_observations", *request,
      {{"mode", request->mode() == api::v1::EXPORT_MODE_HISTORY ? "history" : "current"}},
      &ExportService::Observations);
}

grpc::ServerWriteReactor<api::v1::ExportAggregatesResponse>* ExportService::ExportAggregates(
    grpc::CallbackServerContext* context, const api::v1::ExportAggregatesRequest* request) {
  Details details;
  if (request->by_municipality()) details.push_back({"by_municipality", "true"});
  return Begin<api::v1::ExportAggregatesResponse>(context, "export_aggregates", *request,
                                                  std::move(details), &ExportService::Aggregates);
}

grpc::ServerWriteReactor<api::v1::ExportComplianceResponse>* ExportService::ExportCompliance(
    grpc::CallbackServerContext* context, const api::v1::ExportComplianceRequest* request) {
  Details details;
  if (request->has_as_of()) {
    details.push_back({"as_of", google::protobuf::util::TimeUtil::ToString(request->as_of())});
  }
  return Begin<api::v1::ExportComplianceResponse>(context, "export_compliance", *request,
                                                  std::move(details), &ExportService::Compliance);
}

}  // namespace vroeg
