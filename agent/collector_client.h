#ifndef VROEG_AGENT_COLLECTOR_CLIENT_H_
#define VROEG_AGENT_COLLECTOR_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/agent_settings.h"
#include "agent/submission_sender.h"
#include "common/identity.h"
#include "grpcpp/channel.h"
#include "vroeg/api/v1/catalogue_service.grpc.pb.h"
#include "vroeg/api/v1/status.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg {

// The agent's connection to its regional collector over mutual TLS. Calls carry a deadline;
// errors are absl::Status with the collector's code and message, and for refused submissions
// the SubmissionRejection attached (common/grpc_status.h). Thread-safe.
class CollectorClient : public SubmissionSender {
 public:
  // Reads the TLS files and the agent's identity from its certificate; does not connect yet.
  static absl::StatusOr<std::unique_ptr<CollectorClient>> Create(const AgentSettings& settings);

  // The reporter this agent's certificate speaks for.
  const ReporterId& reporter() const { return reporter_; }
  const std::string& target() const { return target_; }

  absl::StatusOr<catalogue::v1::Catalogue> GetCatalogue();
  absl::StatusOr<api::v1::SubmitResponse> Submit(const api::v1::SubmitRequest& request) override;
  // gRPC makes progress on a connection only while some thread waits on the channel; between
  // calls a reconnect would otherwise advance only with its slow background poller.
  bool AwaitConnected(absl::Duration timeout) override;
  absl::StatusOr<api::v1::GetStatusResponse> GetStatus();

 private:
  CollectorClient() = default;
  // Turns transport errors into messages that say what to check.
  absl::Status Explain(const absl::Status& status) const;

  ReporterId reporter_;
  std::string target_;
  absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::v1::SubmissionService::Stub> submission_;
  std::unique_ptr<api::v1::CatalogueService::Stub> catalogue_;
  std::unique_ptr<api::v1::StatusService::Stub> status_;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_COLLECTOR_CLIENT_H_
