#ifndef VROEG_TESTS_SUPPORT_TEST_REGION_H_
#define VROEG_TESTS_SUPPORT_TEST_REGION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "tests/support/process.h"
#include "vroeg/api/v1/catalogue_service.grpc.pb.h"
#include "vroeg/api/v1/status.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg::testing {

// Paths of the built binaries, set by CMake.
std::string CollectorBinary();
std::string AgentBinary();
std::string VroegctlBinary();
std::string SourceDir();

// A region for tests in a temporary directory: a CA made with the real `vroegctl pki`, a
// server certificate for 127.0.0.1/localhost, client certificates on demand, and config files
// for the real collector and agent.
class TestRegion {
 public:
  // Fails the current test (ASSERT-style via ADD_FAILURE) if the PKI cannot be made.
  TestRegion();

  const std::string& dir() const { return dir_.path(); }
  std::string ca_dir() const { return dir_.Sub("ca"); }

  // Issues a client certificate for `urn` (once); returns the path stem (without .crt/.key).
  std::string Issue(const std::string& urn);

  // Writes the collector config (gRPC on `grpc_port`, 0 for any; metrics on any port) and
  // returns its path.
  std::string CollectorConfig(const std::string& database = "collector.db", int grpc_port = 0);
  // The same with `storage` as the value of the storage key, e.g. "{postgres: {host: ...}}",
  // and `extra` (more top-level keys, YAML) at the end.
  std::string CollectorConfigWithStorage(const std::string& storage, int grpc_port = 0,
                                         const std::string& extra = "");
  // The same for another region: `region` is the value of the region key (YAML), e.g. a
  // national collector's.
  std::string CollectorConfigFor(const std::string& region, const std::string& storage,
                                 int grpc_port, const std::string& extra = "");
  // Writes an agent config for `urn` talking to 127.0.0.1:port; returns its path.
  std::string AgentConfig(const std::string& urn, int port);

  // A gRPC channel presenting the certificate of `urn` (or none when empty), trusting `ca_dir`.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& urn,
                                         const std::string& ca_dir = "");
  // A channel presenting the certificate at <stem>.crt/.key, however it was made.
  std::shared_ptr<grpc::Channel> ChannelForStem(int port, const std::string& stem) const;

 private:
  TempDir dir_;
};

// The real vroeg-collector binary, started on port 0 and ready to serve.
class RunningCollector {
 public:
  static absl::StatusOr<std::unique_ptr<RunningCollector>> Start(const std::string& config,
                                                                 const std::string& log_path);
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  BackgroundProcess& process() { return *process_; }
  // Scrapes /metrics.
  absl::StatusOr<std::string> Metrics();

 private:
  std::unique_ptr<BackgroundProcess> process_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// The collector's count of stored observations (StatusService.GetStatus), asked as `urn` of
// `region` on `port`; fails the current test when the call fails.
uint64_t ObservationsStored(TestRegion& region, int port, const std::string& urn);

// The value of the sample with exactly this name{labels} text in an exposition, or nullopt.
std::optional<double> SampleValue(const std::string& exposition, const std::string& series);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_TEST_REGION_H_
