#include "tests/support/test_region.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"
#include "vroeg/api/v1/status.grpc.pb.h"

namespace vroeg::testing {
namespace {

// provider-12345678 for urn:vroeg:provider:12345678.
std::string Stem(const std::string& urn) {
  std::vector<std::string> parts = absl::StrSplit(urn, ':');
  return parts.size() == 4 ? absl::StrCat(parts[2], "-", parts[3]) : "client";
}

void Vroegctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {VroegctlBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = RunCommand(argv);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->out << result->err;
}

}  // namespace

std::string CollectorBinary() { return VROEG_COLLECTOR_BIN; }
std::string AgentBinary() { return VROEG_AGENT_BIN; }
std::string VroegctlBinary() { return VROEGCTL_BIN; }
std::string SourceDir() { return VROEG_SOURCE_DIR_PATH; }

TestRegion::TestRegion() {
  Vroegctl({"pki", "init", "--dir", ca_dir(), "--region", "flevoland"});
  Vroegctl(
      {"pki", "issue", "--dir", ca_dir(), "--server", "--dns", "localhost", "--ip", "127.0.0.1"});
}

std::string TestRegion::Issue(const std::string& urn) {
  const std::string stem = absl::StrCat(ca_dir(), "/", Stem(urn));
  if (!std::ifstream(stem + ".crt"))
    Vroegctl({"pki", "issue", "--dir", ca_dir(), "--identity", urn});
  return stem;
}

std::string TestRegion::CollectorConfig(const std::string& database, int grpc_port) {
  return CollectorConfigWithStorage(absl::StrCat("{sqlite: {path: ", database, "}}"), grpc_port);
}

std::string TestRegion::CollectorConfigWithStorage(const std::string& storage, int grpc_port,
                                                   const std::string& extra) {
  return CollectorConfigFor(R"({code: flevoland, name: Flevoland, municipalities: [
    {code: GM0034, name: Almere}, {code: GM0303, name: Dronten}, {code: GM0995, name: Lelystad},
    {code: GM0171, name: Noordoostpolder}, {code: GM0184, name: Urk},
    {code: GM0050, name: Zeewolde}]})",
                            storage, grpc_port, extra);
}

std::string TestRegion::CollectorConfigFor(const std::string& region, const std::string& storage,
                                           int grpc_port, const std::string& extra) {
  const std::string path = dir_.Sub("collector.yaml");
  WriteFile(path, absl::StrCat("region: ", region, "\nlisten: 127.0.0.1:", grpc_port,
                               "\nmetrics_listen: 127.0.0.1:0\ncatalogue: ", SourceDir(),
                               "/deploy/catalogue/catalogue.yaml\nstorage: ", storage,
                               "\ntls: {certificate: ca/server.crt, private_key: ca/server.key, "
                               "ca_certificate: ca/ca.crt}\n",
                               extra));
  return path;
}

std::string TestRegion::AgentConfig(const std::string& urn, int port) {
  const std::string stem = Issue(urn);
  const std::string path = dir_.Sub(absl::StrCat(Stem(urn), "-agent.yaml"));
  WriteFile(path, absl::StrCat("collector: 127.0.0.1:", port, "\ncollector_name: localhost\n",
                               "tls:\n  certificate: ", stem, ".crt\n  private_key: ", stem,
                               ".key\n  ca_certificate: ", ca_dir(), "/ca.crt\n",
                               // Never the system's default spool under /var/lib.
                               "spool: {path: ", Stem(urn), "-spool}\n",
                               "retry: {initial_milliseconds: 100, max_seconds: 1}\n"));
  return path;
}

std::shared_ptr<grpc::Channel> TestRegion::Channel(int port, const std::string& urn,
                                                   const std::string& ca_dir) {
  if (urn.empty()) return ChannelForStem(port, "");
  return ChannelForStem(port, ca_dir.empty() ? Issue(urn) : absl::StrCat(ca_dir, "/", Stem(urn)));
}

std::shared_ptr<grpc::Channel> TestRegion::ChannelForStem(int port, const std::string& stem) const {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadWholeFile(absl::StrCat(ca_dir(), "/ca.crt"));
  if (!stem.empty()) {
    options.pem_cert_chain = ReadWholeFile(stem + ".crt");
    options.pem_private_key = ReadWholeFile(stem + ".key");
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(options),
                                   args);
}

absl::StatusOr<std::unique_ptr<RunningCollector>> RunningCollector::Start(
    const std::string& config, const std::string& log_path) {
  auto self = std::make_unique<RunningCollector>();
  auto process = BackgroundProcess::Start({CollectorBinary(), "--config", config}, log_path);
  if (!process.ok()) return process.status();
  self->process_ = *std::move(process);
  auto line = self->process_->WaitForLogLine("event=listening");
  if (!line.ok()) return line.status();
  const std::optional<int> grpc = LogPort(*line, "grpc");
  const std::optional<int> metrics = LogPort(*line, "metrics");
  if (!grpc || !metrics) {
    return absl::InternalError(absl::StrCat("cannot read ports from: ", *line));
  }
  self->grpc_port_ = *grpc;
  self->metrics_port_ = *metrics;
  return self;
}

absl::StatusOr<std::string> RunningCollector::Metrics() {
  auto response = HttpGet(metrics_port_, "/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("/metrics answered ", response->status));
  }
  return response->body;
}

uint64_t ObservationsStored(TestRegion& region, int port, const std::string& urn) {
  auto stub = api::v1::StatusService::NewStub(region.Channel(port, urn));
  grpc::ClientContext context;
  api::v1::GetStatusResponse response;
  const grpc::Status status = stub->GetStatus(&context, api::v1::GetStatusRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.observations_stored();
}

std::optional<double> SampleValue(const std::string& exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double value;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return std::nullopt;
}

}  // namespace vroeg::testing
