#include "server/services.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace vroeg {
namespace {

constexpr char kPemCertificateProperty[] = "x509_pem_cert";
constexpr char kPemChainProperty[] = "x509_pem_cert_chain";

std::string Property(const grpc::AuthContext& auth, const char* name) {
  const auto values = auth.FindPropertyValues(name);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, api::v1::SubmitRequest* request) {
  // Parsing consumes the buffer; a copy only shares its slices.
  grpc::ByteBuffer copy(bytes);
  if (!grpc::SerializationTraits<api::v1::SubmitRequest>::Deserialize(&copy, request).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request (", bytes.Length(),
        " bytes) is not a vroeg.api.v1.SubmitRequest: it is truncated, not protobuf, or holds "
        "text that is not UTF-8; send it with a client generated from "
        "proto/vroeg/api/v1/submission.proto"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VerifiedClient> AdmitCaller(const CallGate& gate,
                                           grpc::CallbackServerContext* context) {
  const auto auth = context->auth_context();
  // The chain property need not start with the peer's own certificate (on the server side
  // OpenSSL leaves it out), so the leaf goes first and the rest only helps to build the path.
  const std::string leaf = Property(*auth, kPemCertificateProperty);
  if (leaf.empty()) {
    return absl::UnauthenticatedError(
        "no client certificate: connect with the certificate issued by the region's CA");
  }
  return gate.certificates->Check(leaf + Property(*auth, kPemChainProperty), "call",
                                  context->peer());
}

absl::Status Audit(const CallGate& gate, grpc::CallbackServerContext* context,
                   const VerifiedClient* caller, AuditedCall call, const absl::Status& status) {
  uint64_t seq = 0;
  return Audit(gate, context, caller, std::move(call), status, &seq);
}

absl::Status Audit(const CallGate& gate, grpc::CallbackServerContext* context,
                   const VerifiedClient* caller, AuditedCall call, const absl::Status& status,
                   uint64_t* seq) {
  AuditEvent event;
  event.time = gate.clock->Now();
  event.identity = caller != nullptr ? caller->reporter.Urn() : "unauthenticated";
  if (caller != nullptr) event.certificate_serial = caller->serial_hex;
  event.peer = context->peer();
  event.action = std::string(call.action);
  event.object = std::move(call.object);
  event.details = std::move(call.details);
  event.outcome = status.ok() ? std::string(call.outcome) : "refused";
  event.code = absl::StatusCodeToString(status.code());
  event.reason = std::string(status.message());
  absl::Status written = gate.audit->Append(event, seq);
  if (written.ok()) return written;
  gate.logger->Error(
      "audit_write_failed",
      {{"action", call.action}, {"identity", event.identity}, {"reason", written.message()}});
  return absl::UnavailableError(
      "the collector cannot write its audit log right now, so it answers nothing; retry later");
}

grpc::ServerUnaryReactor* SubmissionService::Submit(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request_bytes,
                                                    grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = AdmitCaller(gate_, context);
  if (!caller.ok()) {
    ingestor_->CountRejection(caller.status().code());
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  auto request = std::make_shared<api::v1::SubmitRequest>();
  if (absl::Status parsed = ParseRequest(*request_bytes, request.get()); !parsed.ok()) {
    ingestor_->CountRejection(parsed.code());
    absl::Status audited = Audit(gate_, context, &*caller, {"submit", "", {}, "refused"}, parsed);
    reactor->Finish(ToGrpcStatus(audited.ok() ? parsed : audited));
    return reactor;
  }
  gate_.workers->Schedule(
      [this, context, reactor, request, response_bytes, caller = *std::move(caller)] {
        auto result = ingestor_->Submit(caller.reporter, *request);
        AuditedCall call{"submit", request->submission_id(), {}, "accepted"};
        call.details.push_back({"observations", absl::StrCat(request->observations_size())});
        if (!request->reporter().empty() && request->reporter() != caller.reporter.Urn()) {
          call.details.push_back({"reporter", request->reporter()});
        }
        if (result.ok()) {
          call.details.push_back({"stored", absl::StrCat(result->stored())});
          call.details.push_back({"corrections", absl::StrCat(result->corrections())});
          if (result->duplicate()) call.outcome = "duplicate";
        }
        absl::Status audited = Audit(gate_, context, &caller, std::move(call), result.status());
        if (!audited.ok()) {
          reactor->Finish(ToGrpcStatus(audited));
          return;
        }
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        bool own_buffer = false;
        reactor->Finish(grpc::SerializationTraits<api::v1::SubmitResponse>::Serialize(
            *result, response_bytes, &own_buffer));
      });
  return reactor;
}

grpc::ServerUnaryReactor* CatalogueService::GetCatalogue(grpc::CallbackServerContext* context,
                                                         const api::v1::GetCatalogueRequest*,
                                                         api::v1::GetCatalogueResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = AdmitCaller(gate_, context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  gate_.workers->Schedule([this, context, reactor, response, caller = *std::move(caller)] {
    absl::Status audited =
        Audit(gate_, context, &caller, {"catalogue", catalogue_->version(), {}, "read"},
              absl::OkStatus());
    if (audited.ok()) *response->mutable_catalogue() = catalogue_->proto();
    reactor->Finish(ToGrpcStatus(audited));
  });
  return reactor;
}

grpc::ServerUnaryReactor* StatusService::GetStatus(grpc::CallbackServerContext* context,
                                                   const api::v1::GetStatusRequest*,
                                                   api::v1::GetStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = AdmitCaller(gate_, context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  gate_.workers->Schedule([this, context, reactor, response, caller = *std::move(caller)] {
    auto counts = store_->Counts();
    absl::Status audited =
        Audit(gate_, context, &caller, {"status", "", {}, "read"}, counts.status());
    if (!audited.ok() || !counts.ok()) {
      reactor->Finish(ToGrpcStatus(audited.ok() ? counts.status() : audited));
      return;
    }
    response->set_version(VROEG_VERSION);
    response->set_region(region_);
    response->set_catalogue_version(catalogue_->version());
    response->set_caller(caller.reporter.Urn());
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
