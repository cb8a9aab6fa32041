#ifndef VROEG_SERVER_SERVICES_H_
#define VROEG_SERVER_SERVICES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "common/identity.h"
#include "grpcpp/security/auth_context.h"
#include "server/audit/audit_log.h"
#include "server/client_trust.h"
#include "server/ingestor.h"
#include "server/latest_state.h"
#include "server/storage/observation_store.h"
#include "server/worker_pool.h"
#include "vroeg/api/v1/catalogue_service.grpc.pb.h"
#include "vroeg/api/v1/status.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg {

// What every service needs to admit a call and leave a trace of it. Borrowed, must outlive the
// services.
struct CallGate {
  const ClientCertificates* certificates;
  AuditLog* audit;
  Logger* logger;
  const Clock* clock;
  // Where calls wait for the disk, never on gRPC's own threads.
  WorkerPool* workers;
};

// The caller, from the client certificate of this call judged again now (see
// ClientCertificates): UNAUTHENTICATED when there is none, or it was revoked or expired since
// the connection was made. Refusals are audited there.
absl::StatusOr<VerifiedClient> AdmitCaller(const CallGate& gate,
                                           grpc::CallbackServerContext* context);

// Appends the outcome of a call to the audit log before it is answered. When that fails the
// call fails too (UNAVAILABLE): nothing is acknowledged that is not on record.
struct AuditedCall {
  absl::string_view action;
  std::string object;
  std::vector<std::pair<std::string, std::string>> details;
  // "accepted", "duplicate", "read" or "refused" (the last whenever `status` is not OK).
  absl::string_view outcome;
};
absl::Status Audit(const CallGate& gate, grpc::CallbackServerContext* context,
                   const VerifiedClient* caller, AuditedCall call, const absl::Status& status);
// The same, and on success sets `*seq` to the audit entry's sequence number.
absl::Status Audit(const CallGate& gate, grpc::CallbackServerContext* context,
                   const VerifiedClient* caller, AuditedCall call, const absl::Status& status,
                   uint64_t* seq);

// gRPC callback services. Each runs no blocking work on gRPC's threads; they are thread-safe
// and borrow everything they are given, which must outlive the server.
// Submit takes the request as raw bytes and parses it itself: gRPC's own parsing would answer a
// request that is not a SubmitRequest with UNIMPLEMENTED and no message.
class SubmissionService final : public api::v1::SubmissionService::WithRawCallbackMethod_Submit<
                                    api::v1::SubmissionService::Service> {
 public:
  SubmissionService(CallGate gate, Ingestor* ingestor) : gate_(gate), ingestor_(ingestor) {}

  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  CallGate gate_;
  Ingestor* ingestor_;
};

class CatalogueService final : public api::v1::CatalogueService::CallbackService {
 public:
  CatalogueService(CallGate gate, std::shared_ptr<const Catalogue> catalogue)
      : gate_(gate), catalogue_(std::move(catalogue)) {}

  grpc::ServerUnaryReactor* GetCatalogue(grpc::CallbackServerContext* context,
                                         const api::v1::GetCatalogueRequest* request,
                                         api::v1::GetCatalogueResponse* response) override;

 private:
  CallGate gate_;
  std::shared_ptr<const Catalogue> catalogue_;
};

class StatusService final : public api::v1::StatusService::CallbackService {
 public:
  StatusService(CallGate gate, std::string region, std::shared_ptr<const Catalogue> catalogue,
                ObservationStore* store, const LatestState* state, absl::Time started_at)
      : gate_(gate),
        region_(std::move(region)),
        catalogue_(std::move(catalogue)),
        store_(store),
        state_(state),
        started_at_(started_at) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const api::v1::GetStatusRequest* request,
                                      api::v1::GetStatusResponse* response) override;

 private:
  CallGate gate_;
  std::string region_;
  std::shared_ptr<const Catalogue> catalogue_;
  ObservationStore* store_;
  const LatestState* state_;
  absl::Time started_at_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_SERVICES_H_
