#ifndef VROEG_AGENT_FILE_SUBMITTER_H_
#define VROEG_AGENT_FILE_SUBMITTER_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/collector_client.h"
#include "common/clock.h"
#include "common/problem.h"
#include "common/validation.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// Exit codes of `vroeg-agent submit` and `check`, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;    // a file has invalid data: fix it and run again
inline constexpr int kExitUsage = 2;       // bad command line or configuration
inline constexpr int kExitRetryLater = 3;  // the collector could not be reached; data is intact

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

// `vroeg-agent submit`: fetches the collector's catalogue, checks each file against it, and
// submits each valid file as one submission, printing one line per file with what was stored or
// exactly why not. Invalid files are not sent at all. Returns the most severe exit code.
int SubmitFiles(const std::vector<std::string>& paths, CollectorClient& client, const Clock& clock,
                std::ostream& out);

}  // namespace vroeg

#endif  // VROEG_AGENT_FILE_SUBMITTER_H_
