#ifndef VROEG_AGENT_EXIT_CODES_H_
#define VROEG_AGENT_EXIT_CODES_H_

namespace vroeg {

// Exit codes of the vroeg-agent commands, documented in the README and in --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;    // a file has invalid data: fix it and run again
inline constexpr int kExitUsage = 2;       // bad command line or configuration
inline constexpr int kExitRetryLater = 3;  // not delivered (yet), or the daemon is not running

}  // namespace vroeg

#endif  // VROEG_AGENT_EXIT_CODES_H_
