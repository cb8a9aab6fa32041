#include "server/services.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/reporter_certificate.h"
#include "google/protobuf/util/time_util.h"

namespace vroeg {
namespace {

constexpr char kPemCertificateProperty[] = "x509_pem_cert";

}  // namespace

absl::StatusOr<ReporterId> CallerIdentity(const grpc::AuthContext& auth) {
  const auto values = auth.FindPropertyValues(kPemCertificateProperty);
  if (values.empty()) {
    return absl::UnauthenticatedError(
        "no client certificate: connect with the certificate issued by the region's CA");
  }
  const auto& pem = values.front();
  return ReporterFromCertificatePem(absl::string_view(pem.data(), pem.size()));
}

grpc::ServerUnaryReactor* SubmissionService::Submit(grpc::CallbackServerContext* context,
                                                    const api::v1::SubmitRequest* request,
                                                    api::v1::SubmitResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = CallerIdentity(*context->auth_context());
  if (!caller.ok()) {
    ingestor_->CountRejection(caller.status().code());
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  workers_->Schedule([this, reactor, request, response, caller = *std::move(caller)] {
    auto result = ingestor_->Submit(caller, *request);
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* CatalogueService::GetCatalogue(grpc::CallbackServerContext* context,
                                                         const api::v1::GetCatalogueRequest*,
                                                         api::v1::GetCatalogueResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = CallerIdentity(*context->auth_context());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  *response->mutable_catalogue() = catalogue_->proto();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* StatusService::GetStatus(grpc::CallbackServerContext* context,
                                                   const api::v1::GetStatusRequest*,
                                                   api::v1::GetStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = CallerIdentity(*context->auth_context());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  workers_->Schedule([this, reactor, response, urn = caller->Urn()] {
    auto counts = store_->Counts();
    if (!counts.ok()) {
      reactor->Finish(ToGrpcStatus(counts.status()));
      return;
    }
    response->set_version(VROEG_VERSION);
    response->set_region(region_);
    response->set_catalogue_version(catalogue_->version());
    response->set_caller(urn);
    *response->mutable_started_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(started_at_));
    response->set_submissions_stored(counts->submissions);
    response->set_observations_stored(counts->observations);
    response->set_series(state_->size());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace vroeg
