#ifndef VROEG_SERVER_EXPORT_SERVICE_H_
#define VROEG_SERVER_EXPORT_SERVICE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "server/authorizer.h"
#include "server/services.h"
#include "server/storage/observation_store.h"
#include "server/worker_pool.h"
#include "vroeg/api/v1/export.grpc.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// The ExportService filters as a store query. Errors: INVALID_ARGUMENT naming the field for a
// malformed date, a reversed range, a malformed reporter URN, or an indicator, care-form or
// dataset the catalogue does not know. `*empty` is set when the filter can match nothing at this
// collector (another region, or datasets without any of the indicators asked for).
absl::StatusOr<ExportQuery> ExportQueryOf(const api::v1::ExportFilter& filter,
                                          api::v1::ExportMode mode, const Catalogue& catalogue,
                                          const std::string& region, bool* empty);

// vroeg.api.v1.ExportService (proto/vroeg/api/v1/export.proto). Every call admits the caller
// (AdmitCaller), lets the Authorizer decide whether it may export (the supervisor, and the region
// operators the configuration lists under export_readers), records the call in the audit log
// before the first row (the header carries that entry's seq) and again when the stream ends, with
// the rows sent and the outcome, then streams its rows in batches:
// - ExportObservations: the store's rows as they are;
// - ExportAggregates: figures over reporters (AggregateBuilder, server/export_aggregates.h), also
//   NATIONAL ones when `national` (the collector holds member regions);
// - ExportCompliance: who sent what when (ComplianceBuilder, server/export_compliance.h), judged
//   by `early_warning`'s grace and expected reporters, as /metrics does. INVALID_ARGUMENT for an
//   as_of after the snapshot.
//
// Each export runs on a thread of `exports`, stepping through the store while the client takes
// the rows: at most one batch of observations, one period's rows of aggregates, or the
// compliance records (reporters x datasets x periods) are in memory. A client that goes away
// stops the read.
//
// Thread-safety: thread-safe; borrows everything it is given, which must outlive the server.
class ExportService final : public api::v1::ExportService::CallbackService {
 public:
  // Rows per response.
  static constexpr int kBatchRows = 500;

  ExportService(CallGate gate, WorkerPool* exports, const Authorizer* authorizer,
                std::vector<std::string> export_readers, std::string region,
                std::shared_ptr<const Catalogue> catalogue, ObservationStore* store,
                config::v1::EarlyWarning early_warning, bool national)
      : gate_(gate),
        exports_(exports),
        authorizer_(authorizer),
        export_readers_(std::move(export_readers)),
        region_(std::move(region)),
        catalogue_(std::move(catalogue)),
        store_(store),
        early_warning_(std::move(early_warning)),
        national_(national) {}

  grpc::ServerWriteReactor<api::v1::ExportObservationsResponse>* ExportObservations(
      grpc::CallbackServerContext* context,
      const api::v1::ExportObservationsRequest* request) override;
  grpc::ServerWriteReactor<api::v1::ExportAggregatesResponse>* ExportAggregates(
      grpc::CallbackServerContext* context,
      const api::v1::ExportAggregatesRequest* request) override;
  grpc::ServerWriteReactor<api::v1::ExportComplianceResponse>* ExportCompliance(
      grpc::CallbackServerContext* context,
      const api::v1::ExportComplianceRequest* request) override;

 private:
  template <typename Response, typename Row>
  class Reactor;

  using Details = std::vector<std::pair<std::string, std::string>>;
  // What one call streams once it may: hands every row to `emit` (false: the client is gone, stop)
  // and adds what the closing audit entry should say to `details`. Errors: UNAVAILABLE (storage).
  template <typename Row>
  using Producer =
      std::function<absl::Status(const std::function<bool(Row&&)>& emit, Details* details)>;

  // Each checks one request against the catalogue and the snapshot time and returns its producer.
  // Errors: INVALID_ARGUMENT naming the field.
  absl::StatusOr<Producer<api::v1::ExportedObservation>> Observations(
      const api::v1::ExportObservationsRequest& request, absl::Time snapshot) const;
  absl::StatusOr<Producer<api::v1::AggregateFigure>> Aggregates(
      const api::v1::ExportAggregatesRequest& request, absl::Time snapshot) const;
  absl::StatusOr<Producer<api::v1::ComplianceRecord>> Compliance(
      const api::v1::ExportComplianceRequest& request, absl::Time snapshot) const;

  // Starts the reactor of one call: the audit entry says `action`, the request's filter and
  // `details`; `prepare` checks the request and returns its producer.
  template <typename Response, typename Request, typename Row>
  grpc::ServerWriteReactor<Response>* Begin(
      grpc::CallbackServerContext* context, absl::string_view action, const Request& request,
      Details details,
      absl::StatusOr<Producer<Row>> (ExportService::*prepare)(const Request&, absl::Time) const);

  // The region a stored row belongs to.
  const std::string& RegionOf(const StoredObservation& stored) const;
  // A regional collector holds its own region only: ExportQueryOf settles filter.regions for the
  // whole query. A national one holds many, so the regions are taken out of `filter` and
  // returned, for Selected to check row by row (empty selects all).
  std::set<std::string> RowRegions(api::v1::ExportFilter* filter) const;
  bool Selected(const std::set<std::string>& regions, const StoredObservation& stored) const;

  CallGate gate_;
  WorkerPool* exports_;
  const Authorizer* authorizer_;
  const std::vector<std::string> export_readers_;
  const std::string region_;
  std::shared_ptr<const Catalogue> catalogue_;
  ObservationStore* store_;
  const config::v1::EarlyWarning early_warning_;
  const bool national_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_EXPORT_SERVICE_H_
