#include "agent/collector_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/reporter_certificate.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "grpcpp/channel.h"
#include "grpcpp/create_channel.h"

namespace vroeg {
namespace {

// The collector permits pings this often (server/collector.cc); keep the two in step.
constexpr int kKeepaliveMilliseconds = 60000;

template <typename Call>
absl::Status Invoke(absl::Duration timeout, Call call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoSeconds(timeout));
  return FromGrpcStatus(call(&context));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CollectorClient>> CollectorClient::Create(
    const AgentSettings& settings) {
  const auto& config = settings.config;
  VROEG_ASSIGN_OR_RETURN(TlsMaterial tls, LoadTlsMaterial(config.tls(), settings.base_dir));
  auto reporter = ReporterFromCertificatePem(tls.certificate_pem);
  if (!reporter.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls.certificate: ", reporter.status().message()));
  }
  auto client = std::unique_ptr<CollectorClient>(new CollectorClient());
  client->reporter_ = *reporter;
  client->target_ = config.collector();
  client->timeout_ = absl::Seconds(config.timeout_seconds());
  grpc::ChannelArguments args;
  if (!config.collector_name().empty()) {
    args.SetSslTargetNameOverride(config.collector_name());
  }
  args.SetMaxReceiveMessageSize(64 << 20);
  // gRPC's own reconnect backoff (up to two minutes by default) would delay delivery after the
  // collector is back; bound it by the agent's retry settings instead. (The minimum reconnect
  // setting is left alone: gRPC uses it as the connect timeout, TLS handshake included.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(config.retry().initial_milliseconds()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(config.retry().max_seconds()) * 1000);
  // Keepalive finds a connection that died silently (NAT, firewall) during a call.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMilliseconds);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  client->channel_ =
      grpc::CreateCustomChannel(config.collector(), MutualTlsChannelCredentials(tls), args);
  client->submission_ = api::v1::SubmissionService::NewStub(client->channel_);
  client->catalogue_ = api::v1::CatalogueService::NewStub(client->channel_);
  client->status_ = api::v1::StatusService::NewStub(client->channel_);
  return client;
}

absl::Status CollectorClient::Explain(const absl::Status& status) const {
  if (status.code() == absl::StatusCode::kUnavailable) {
    return absl::UnavailableError(absl::StrCat(
        "collector ", target_, " is unreachable: ", status.message(),
        " (check the address, that the collector runs, and that its certificate is from the "
        "region's CA and names this host)"));
  }
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(
        absl::StrCat("collector ", target_, " did not answer in time: ", status.message()));
  }
  return status;
}

absl::StatusOr<catalogue::v1::Catalogue> CollectorClient::GetCatalogue() {
  api::v1::GetCatalogueResponse response;
  absl::Status status = Invoke(timeout_, [&](grpc::ClientContext* context) {
    return catalogue_->GetCatalogue(context, api::v1::GetCatalogueRequest(), &response);
  });
  if (!status.ok()) return Explain(status);
  return std::move(*response.mutable_catalogue());
}

absl::StatusOr<api::v1::SubmitResponse> CollectorClient::Submit(
    const api::v1::SubmitRequest& request) {
  api::v1::SubmitResponse response;
  absl::Status status = Invoke(timeout_, [&](grpc::ClientContext* context) {
    return submission_->Submit(context, request, &response);
  });
  if (!status.ok()) return Explain(status);
  return response;
}

bool CollectorClient::AwaitConnected(absl::Duration timeout) {
  return channel_->WaitForConnected(std::chrono::system_clock::now() +
                                    absl::ToChronoMilliseconds(timeout));
}

absl::StatusOr<api::v1::GetStatusResponse> CollectorClient::GetStatus() {
  api::v1::GetStatusResponse response;
  absl::Status status = Invoke(timeout_, [&](grpc::ClientContext* context) {
    return status_->GetStatus(context, api::v1::GetStatusRequest(), &response);
  });
  if (!status.ok()) return Explain(status);
  return response;
}

}  // namespace vroeg
