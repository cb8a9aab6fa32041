#ifndef VROEG_AGENT_FILE_SUBMITTER_H_
#define VROEG_AGENT_FILE_SUBMITTER_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/catalogue_cache.h"
#include "agent/collector_client.h"
#include "agent/exit_codes.h"
#include "agent/spool/spool.h"
#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/problem.h"
#include "common/progress_line.h"
#include "common/validation.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// One file read and checked locally, ready to send as one submission.
struct PreparedFile {
  std::string path;
  // Set when the whole file could not be read (no header, unreadable, ...).
  absl::Status error;
  std::vector<Problem> problems;
  api::v1::SubmitRequest request;
};

// Reads a file and validates its figures against the context. The submission id is derived
// from the reporter and the figures, so sending the same file again is recognised by the
// collector and stored once. Thread-safe.
PreparedFile PrepareFile(const std::string& path, const ValidationContext& context);

// `vroeg-agent check`: reports per file whether it is valid, and every problem.
// Returns kExitOk when every file is valid, else kExitRejected.
int CheckFiles(const std::vector<std::string>& paths, const ValidationContext& context,
               std::ostream& out);

struct SubmitOptions {
  // How long to keep retrying for acknowledgements. What is not acknowledged by then stays in
  // the spool for the next `vroeg-agent submit` or `vroeg-agent run`.
  absl::Duration wait = absl::Seconds(60);
  absl::Duration retry_initial = absl::Milliseconds(500);
  absl::Duration retry_max = absl::Seconds(30);
};

// `vroeg-agent submit`: checks each file against the collector's catalogue (or, while the
// collector is unreachable, the copy kept from the last contact), appends each valid file to
// the spool as one submission, and delivers the spool, oldest first, until every new
// submission is settled or `options.wait` has passed. Prints one line per file with what was
// stored or exactly why not; submissions an earlier run left in the spool are delivered first
// and reported too. Invalid files are not spooled at all. Returns the most severe exit code:
// kExitRetryLater when something stays in the spool.
int SubmitFiles(const std::vector<std::string>& paths, CollectorClient& client, Spool& spool,
                CatalogueCache& catalogue, const SubmitOptions& options, const Clock& clock,
                Logger& logger, std::ostream& out, ProgressLine& progress);

}  // namespace vroeg

#endif  // VROEG_AGENT_FILE_SUBMITTER_H_
