#include "common/openssl_error.h"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace vroeg {

std::string TakeOpenSslError() {
  std::string reason = "unknown error";
  while (unsigned long err = ERR_get_error()) {
    if (const char* r = ERR_reason_error_string(err); r != nullptr) reason = r;
  }
  return reason;
}

bool IsEndOfPem() {
  unsigned long err = ERR_peek_last_error();
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

int NoPassword(char*, int, int, void*) { return 0; }

}  // namespace vroeg
