#ifndef VROEG_TESTS_BENCH_LOAD_H_
#define VROEG_TESTS_BENCH_LOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace vroeg::bench {

// Where the load goes and as whom.
struct ReporterSet {
  // The collector's gRPC address on loopback, 127.0.0.1:PORT.
  std::string collector;
  // Holds ca.crt and, per reporter, provider-<AGB>.crt/.key as `vroegctl pki issue` writes them.
  std::string cert_dir;
  // Reporter i is urn:vroeg:provider:<first_agb + i>.
  int first_agb = 98000000;
  int reporters = 1;
};

// The AGB code of reporter `index`.
std::string ReporterAgb(const ReporterSet& set, int index);

// One mutual-TLS channel per reporter, each on a connection of its own, every one connected
// before this returns. Errors: NOT_FOUND for a missing certificate file, UNAVAILABLE when a
// channel does not connect within 10 s.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectReporters(
    const ReporterSet& set);

// How long a load runs: until `duration` has passed or `max_calls` calls (over all reporters)
// have finished, whichever comes first. max_calls 0 means no count limit.
struct LoadLimit {
  absl::Duration duration = absl::Seconds(5);
  int64_t max_calls = 0;
};

struct LoadResult {
  int64_t calls = 0;   // answered OK
  int64_t errors = 0;  // answered with any other status
  std::string first_error;
  int64_t items = 0;  // observations stored by the OK calls (ingest only)
  absl::Duration elapsed;
  std::vector<double> latencies;  // seconds, one per OK call
};

// Every channel submits, one call at a time, SubmitRequests of `batch` valid observations
// (indicator wachtenden, care forms x member municipalities of Flevoland x months from 2000 on)
// with submission ids unique to this run. The calls of all channels run concurrently, one
// thread per channel.
LoadResult RunIngest(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int batch,
                     const LoadLimit& limit);

// The same channels calling grpc.health.v1.Health/Check for the whole server: an RPC that does
// no work, the limit of the gRPC/TLS path.
LoadResult RunEmptyRpc(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                       const LoadLimit& limit);

}  // namespace vroeg::bench

#endif  // VROEG_TESTS_BENCH_LOAD_H_
