#ifndef VROEG_TESTS_SUPPORT_TCP_PROXY_H_
#define VROEG_TESTS_SUPPORT_TCP_PROXY_H_

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vroeg::testing {

// A TCP proxy on loopback for fault tests: it forwards every connection made to port() to
// 127.0.0.1:<target port>, byte for byte in both directions, and on request misbehaves the way
// a network does between a client and its server:
//   - CutAll resets every open connection (SO_LINGER 0, so both peers see a RST) wherever their
//     calls are;
//   - CutNextReply resets the next connection on which the server sends something, and drops
//     what it sent: the client never reads the reply to a request the server has dealt with;
//   - SetRefusing makes it accept new connections and reset them at once, like a firewall that
//     rejects, until it is cleared;
//   - SetDelay holds every chunk it reads for a while before writing it on, so that calls take
//     longer than their deadline.
// A connection whose target refuses it is reset too. Half-closes are passed on.
//
// Thread-safety: thread-safe. One thread of its own does all the forwarding.
class TcpProxy {
 public:
  struct Stats {
    uint64_t accepted = 0;     // connections accepted, refused ones included
    uint64_t refused = 0;      // reset at once: refusing, or the target was not there
    uint64_t cut = 0;          // reset by CutAll
    uint64_t replies_cut = 0;  // reset by CutNextReply
  };

  // Listens on 127.0.0.1 with a port of the system's choosing. Errors: INTERNAL when the
  // socket or the thread cannot be set up.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  // Stops forwarding and resets whatever is still open.
  ~TcpProxy();

  int port() const { return port_; }

  // Resets every open connection; returns once they are closed.
  void CutAll();
  // Arms a one-time cut of the next connection whose server sends bytes; returns at once.
  // Arming again before it fired changes nothing.
  void CutNextReply();
  // While true, new connections are reset as soon as they are accepted.
  void SetRefusing(bool refusing);
  // Bytes read from now on are written on no earlier than `delay` later (zero: at once).
  void SetDelay(absl::Duration delay);
  Stats stats() const;

 private:
  struct Connection;

  TcpProxy(int listen_fd, int port, int target_port, int wake_read, int wake_write);
  void Run();
  void Wake();

  const int listen_fd_;
  const int port_;
  const int target_port_;
  // A pipe that commands write to so that poll() in Run returns.
  const int wake_read_;
  const int wake_write_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool refusing_ ABSL_GUARDED_BY(mu_) = false;
  bool cut_next_reply_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
  uint64_t cuts_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t cuts_done_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_TCP_PROXY_H_
