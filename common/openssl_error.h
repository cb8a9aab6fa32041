#ifndef VROEG_COMMON_OPENSSL_ERROR_H_
#define VROEG_COMMON_OPENSSL_ERROR_H_

#include <string>

namespace vroeg {

// OpenSSL reports through a thread-local queue; this drains it so that a later call does not see
// stale errors, and returns the most recent reason for a message ("unknown error" if none).
std::string TakeOpenSslError();

// True when the last queued error says a PEM reader found no further PEM block: the normal end
// of a bundle rather than a failure.
bool IsEndOfPem();

// A pass phrase callback that refuses: keys, certificates and CRLs are never encrypted, and
// OpenSSL must never prompt on a terminal.
int NoPassword(char* buffer, int size, int rwflag, void* user_data);

}  // namespace vroeg

#endif  // VROEG_COMMON_OPENSSL_ERROR_H_
