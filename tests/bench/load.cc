#include "tests/bench/load.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "tests/bench/series.h"
#include "tests/support/raw_call.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg::bench {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Observation `index` of a batch: a distinct (care form, municipality, month) per index.
void FillObservation(int index, api::v1::Observation* o) {
  const SeriesLabels series = WachtendenSeries(index % kSeriesPerReporter);
  const MonthPeriod period = MonthFrom2000(index / kSeriesPerReporter);
  o->set_indicator("wachtenden");
  o->set_care_form(series.care_form);
  o->set_municipality(series.municipality);
  o->mutable_period()->set_start(period.start);
  o->mutable_period()->set_end(period.end);
}

// Runs `call` on one thread per channel until `limit`; `call` returns the items it moved, or
// the error it met, and its latency is recorded when it succeeded.
LoadResult RunLoad(
    size_t channels, const LoadLimit& limit,
    const std::function<grpc::Status(size_t channel, int64_t seq, int64_t* items)>& call) {
  LoadResult result;
  absl::Mutex mu;
  std::atomic<int64_t> started{0};
  const absl::Time begin = absl::Now();
  const absl::Time end = begin + limit.duration;
  std::vector<std::thread> threads;
  for (size_t c = 0; c < channels; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> latencies;
      int64_t calls = 0, errors = 0, items = 0;
      std::string first_error;
      while (absl::Now() < end) {
        const int64_t seq = started.fetch_add(1);
        if (limit.max_calls > 0 && seq >= limit.max_calls) break;
        int64_t moved = 0;
        const absl::Time t0 = absl::Now();
        const grpc::Status status = call(c, seq, &moved);
        const absl::Duration latency = absl::Now() - t0;
        if (status.ok()) {
          ++calls;
          items += moved;
          latencies.push_back(absl::ToDoubleSeconds(latency));
        } else {
          ++errors;
          if (first_error.empty()) {
            first_error = absl::StrCat(status.error_code(), ": ", status.error_message());
          }
        }
      }
      absl::MutexLock lock(&mu);
      result.calls += calls;
      result.errors += errors;
      result.items += items;
      if (result.first_error.empty()) result.first_error = first_error;
      result.latencies.insert(result.latencies.end(), latencies.begin(), latencies.end());
    });
  }
  for (auto& thread : threads) thread.join();
  result.elapsed = absl::Now() - begin;
  return result;
}

}  // namespace

std::string ReporterAgb(const ReporterSet& set, int index) {
  return absl::StrFormat("%08d", set.first_agb + index);
}

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectReporters(
    const ReporterSet& set) {
  auto ca = ReadFile(absl::StrCat(set.cert_dir, "/ca.crt"));
  if (!ca.ok()) return ca.status();
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < set.reporters; ++i) {
    const std::string stem = absl::StrCat(set.cert_dir, "/provider-", ReporterAgb(set, i));
    auto certificate = ReadFile(stem + ".crt");
    if (!certificate.ok()) return certificate.status();
    auto key = ReadFile(stem + ".key");
    if (!key.ok()) return key.status();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *ca;
    options.pem_cert_chain = *certificate;
    options.pem_private_key = *key;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    // Each reporter its own TCP and TLS connection, as separate agents would have.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(64 << 20);
    auto channel = grpc::CreateCustomChannel(set.collector, grpc::SslCredentials(options), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      return absl::UnavailableError(
          absl::StrCat("reporter ", ReporterAgb(set, i), " cannot connect to ", set.collector));
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

LoadResult RunIngest(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int batch,
                     const LoadLimit& limit) {
  std::vector<std::unique_ptr<api::v1::SubmissionService::Stub>> stubs;
  std::vector<api::v1::SubmitRequest> requests(channels.size());
  for (size_t c = 0; c < channels.size(); ++c) {
    stubs.push_back(api::v1::SubmissionService::NewStub(channels[c]));
    for (int i = 0; i < batch; ++i) FillObservation(i, requests[c].add_observations());
  }
  // Ids from earlier runs against the same database must not collide with this run's.
  const std::string run = absl::StrCat(absl::ToUnixMicros(absl::Now()));
  return RunLoad(channels.size(), limit, [&](size_t c, int64_t seq, int64_t* items) {
    api::v1::SubmitRequest& request = requests[c];
    request.set_submission_id(absl::StrCat("bench-", run, "-", seq));
    // A new value each time: every submission is a correction the store must keep.
    for (auto& o : *request.mutable_observations()) o.set_value(static_cast<double>(seq % 1000));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    api::v1::SubmitResponse response;
    grpc::Status status = stubs[c]->Submit(&context, request, &response);
    if (status.ok()) *items = batch;
    return status;
  });
}

LoadResult RunEmptyRpc(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                       const LoadLimit& limit) {
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const auto& channel : channels)
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  return RunLoad(channels.size(), limit, [&](size_t c, int64_t, int64_t* items) {
    // An empty HealthCheckRequest asks for the server as a whole.
    std::string reply;
    grpc::Status result =
        vroeg::testing::CallRaw(*stubs[c], vroeg::testing::kHealthCheckMethod, "", &reply);
    if (result.ok()) *items = 1;
    return result;
  });
}

}  // namespace vroeg::bench
