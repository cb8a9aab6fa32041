#ifndef VROEG_SERVER_EXPORT_SERVICE_H_
#define VROEG_SERVER_EXPORT_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/catalogue.h"
#include "server/authorizer.h"
#include "server/services.h"
#include "server/storage/observation_store.h"
#include "server/worker_pool.h"
#include "vroeg/api/v1/export.grpc.pb.h"

namespace vroeg {

// The ExportService filters as a store query. Errors: INVALID_ARGUMENT naming the field for a
// malformed date, a reversed range, a malformed reporter URN, or an indicator, care-form or
// dataset the catalogue does not know. `*empty` is set when the filter can match nothing at this
// collector (another region, or datasets without any of the indicators asked for).
absl::StatusOr<ExportQuery> ExportQueryOf(const api::v1::ExportFilter& filter,
                                          api::v1::ExportMode mode, const Catalogue& catalogue,
                                          const std::string& region, bool* empty);

// ExportObservations of vroeg.api.v1.ExportService (proto/vroeg/api/v1/export.proto): admits the
// caller (AdmitCaller), lets the Authorizer decide whether it may export (the supervisor, and the
// region operators the configuration lists under export_readers), records the call in the audit
// log before the first row (the header carries that entry's seq) and again when the stream ends,
// with the rows sent and the outcome, then streams the store's rows in batches. ExportAggregates
// and ExportCompliance are not implemented yet: gRPC answers them UNIMPLEMENTED.
//
// Each export runs on a thread of `exports`, stepping through the store while the client takes
// the rows: at most one batch is in memory. A client that goes away stops the read.
//
// Thread-safety: thread-safe; borrows everything it is given, which must outlive the server.
class ExportService final : public api::v1::ExportService::CallbackService {
 public:
  // Rows per response.
  static constexpr int kBatchRows = 500;

  ExportService(CallGate gate, WorkerPool* exports, const Authorizer* authorizer,
                std::vector<std::string> export_readers, std::string region,
                std::shared_ptr<const Catalogue> catalogue, ObservationStore* store)
      : gate_(gate),
        exports_(exports),
        authorizer_(authorizer),
        export_readers_(std::move(export_readers)),
        region_(std::move(region)),
        catalogue_(std::move(catalogue)),
        store_(store) {}

  grpc::ServerWriteReactor<api::v1::ExportObservationsResponse>* ExportObservations(
      grpc::CallbackServerContext* context,
      const api::v1::ExportObservationsRequest* request) override;

 private:
  class ObservationsReactor;

  CallGate gate_;
  WorkerPool* exports_;
  const Authorizer* authorizer_;
  const std::vector<std::string> export_readers_;
  const std::string region_;
  std::shared_ptr<const Catalogue> catalogue_;
  ObservationStore* store_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_EXPORT_SERVICE_H_
