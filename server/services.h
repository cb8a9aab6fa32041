#ifndef VROEG_SERVER_SERVICES_H_
#define VROEG_SERVER_SERVICES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "common/identity.h"
#include "grpcpp/security/auth_context.h"
#include "server/ingestor.h"
#include "server/latest_state.h"
#include "server/storage/observation_store.h"
#include "server/worker_pool.h"
#include "vroeg/api/v1/catalogue_service.grpc.pb.h"
#include "vroeg/api/v1/status.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg {

// The caller's reporter identity, taken from the verified client certificate of this call.
// UNAUTHENTICATED when there is none or it names no single valid reporter.
absl::StatusOr<ReporterId> CallerIdentity(const grpc::AuthContext& auth);

// gRPC callback services. Each runs no blocking work on gRPC's threads; they are thread-safe
// and borrow everything they are given, which must outlive the server.
class SubmissionService final : public api::v1::SubmissionService::CallbackService {
 public:
  SubmissionService(Ingestor* ingestor, WorkerPool* workers)
      : ingestor_(ingestor), workers_(workers) {}

  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* context,
                                   const api::v1::SubmitRequest* request,
                                   api::v1::SubmitResponse* response) override;

 private:
  Ingestor* ingestor_;
  WorkerPool* workers_;
};

class CatalogueService final : public api::v1::CatalogueService::CallbackService {
 public:
  explicit CatalogueService(std::shared_ptr<const Catalogue> catalogue)
      : catalogue_(std::move(catalogue)) {}

  grpc::ServerUnaryReactor* GetCatalogue(grpc::CallbackServerContext* context,
                                         const api::v1::GetCatalogueRequest* request,
                                         api::v1::GetCatalogueResponse* response) override;

 private:
  std::shared_ptr<const Catalogue> catalogue_;
};

class StatusService final : public api::v1::StatusService::CallbackService {
 public:
  StatusService(std::string region, std::shared_ptr<const Catalogue> catalogue,
                ObservationStore* store, const LatestState* state, WorkerPool* workers,
                absl::Time started_at)
      : region_(std::move(region)),
        catalogue_(std::move(catalogue)),
        store_(store),
        state_(state),
        workers_(workers),
        started_at_(started_at) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const api::v1::GetStatusRequest* request,
                                      api::v1::GetStatusResponse* response) override;

 private:
  std::string region_;
  std::shared_ptr<const Catalogue> catalogue_;
  ObservationStore* store_;
  const LatestState* state_;
  WorkerPool* workers_;
  absl::Time started_at_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_SERVICES_H_
