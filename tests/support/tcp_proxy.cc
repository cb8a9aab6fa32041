#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/http_get.h"

namespace vroeg::testing {
namespace {

// Reading stops while this much waits to be written on, so a slow side slows the other.
constexpr size_t kMaxQueuedBytes = size_t{1} << 20;

// Closes so that the peer gets a RST instead of an orderly end of stream.
void Reset(int fd) {
  if (fd < 0) return;
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  close(fd);
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A blocking connect is fine here: on loopback it either succeeds or is refused at once.
int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address = LoopbackAddress(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  SetNonBlocking(fd);
  return fd;
}

struct Chunk {
  absl::Time due;
  std::string bytes;
  size_t written = 0;
};

// One direction of a connection.
struct Flow {
  int from = -1;
  int to = -1;
  std::deque<Chunk> queue;
  size_t queued_bytes = 0;
  bool eof = false;        // `from` will send no more
  bool shut_down = false;  // the end of stream was passed on to `to`

  bool WantsRead() const { return !eof && queued_bytes < kMaxQueuedBytes; }
  bool WantsWrite(absl::Time now) const { return !queue.empty() && queue.front().due <= now; }
  bool Done() const { return shut_down; }
};

}  // namespace

struct TcpProxy::Connection {
  int client = -1;
  int server = -1;
  Flow up;    // client to server
  Flow down;  // server to client
  bool broken = false;

  void ResetBoth() {
    Reset(client);
    Reset(server);
    client = server = -1;
  }

  // Reads what `flow.from` has; false when the connection broke.
  static bool Read(Flow& flow, absl::Time now, absl::Duration delay) {
    char buffer[65536];
    const ssize_t n = recv(flow.from, buffer, sizeof(buffer), 0);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {
      flow.eof = true;
      return true;
    }
    flow.queue.push_back(Chunk{now + delay, std::string(buffer, static_cast<size_t>(n)), 0});
    flow.queued_bytes += static_cast<size_t>(n);
    return true;
  }

  // Writes what is due to `flow.to`; false when the connection broke.
  static bool Write(Flow& flow, absl::Time now) {
    while (flow.WantsWrite(now)) {
      Chunk& chunk = flow.queue.front();
      const ssize_t n = send(flow.to, chunk.bytes.data() + chunk.written,
                             chunk.bytes.size() - chunk.written, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      chunk.written += static_cast<size_t>(n);
      flow.queued_bytes -= static_cast<size_t>(n);
      if (chunk.written < chunk.bytes.size()) return true;
      flow.queue.pop_front();
    }
    return true;
  }

  static void PassOnEnd(Flow& flow) {
    if (flow.eof && flow.queue.empty() && !flow.shut_down) {
      shutdown(flow.to, SHUT_WR);
      flow.shut_down = true;
    }
  }
};

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address = LoopbackAddress(0);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("cannot listen on loopback: ", std::strerror(error)));
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::unique_ptr<TcpProxy> proxy(
      new TcpProxy(fd, ntohs(address.sin_port), target_port, wake[0], wake[1]));
  proxy->thread_ = std::thread([raw = proxy.get()] { raw->Run(); });
  return proxy;
}

TcpProxy::TcpProxy(int listen_fd, int port, int target_port, int wake_read, int wake_write)
    : listen_fd_(listen_fd),
      port_(port),
      target_port_(target_port),
      wake_read_(wake_read),
      wake_write_(wake_write),
      delay_(absl::ZeroDuration()) {}

TcpProxy::~TcpProxy() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

void TcpProxy::Wake() {
  const char byte = 0;
  // A full pipe already holds a wake-up.
  (void)!write(wake_write_, &byte, 1);
}

void TcpProxy::CutAll() {
  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    ticket = ++cuts_requested_;
  }
  Wake();
  absl::MutexLock lock(&mu_);
  auto done = [this, ticket]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cuts_done_ >= ticket || stopping_; };
  mu_.Await(absl::Condition(&done));
}

void TcpProxy::CutNextReply() {
  absl::MutexLock lock(&mu_);
  cut_next_reply_ = true;
}

void TcpProxy::SetRefusing(bool refusing) {
  absl::MutexLock lock(&mu_);
  refusing_ = refusing;
}

void TcpProxy::SetDelay(absl::Duration delay) {
  {
    absl::MutexLock lock(&mu_);
    delay_ = delay;
  }
  Wake();
}

TcpProxy::Stats TcpProxy::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void TcpProxy::Run() {
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<pollfd> fds;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || cuts_done_ < cuts_requested_) {
        for (auto& connection : connections) connection->ResetBoth();
        stats_.cut += connections.size();
        connections.clear();
        cuts_done_ = cuts_requested_;
        if (stopping_) return;
      }
    }

    absl::Time now = absl::Now();
    fds.clear();
    fds.push_back({wake_read_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    absl::Time next_due = absl::InfiniteFuture();
    for (auto& connection : connections) {
      short client_events = 0;
      short server_events = 0;
      if (connection->up.WantsRead()) client_events |= POLLIN;
      if (connection->down.WantsRead()) server_events |= POLLIN;
      for (Flow* flow : {&connection->up, &connection->down}) {
        if (flow->queue.empty()) continue;
        if (flow->WantsWrite(now)) {
          (flow == &connection->up ? server_events : client_events) |= POLLOUT;
        } else {
          next_due = std::min(next_due, flow->queue.front().due);
        }
      }
      fds.push_back({connection->client, client_events, 0});
      fds.push_back({connection->server, server_events, 0});
    }
    int timeout_ms = -1;
    if (next_due != absl::InfiniteFuture()) {
      timeout_ms =
          static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(next_due - now) + 1));
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return;

    if (fds[0].revents != 0) {
      char drain[64];
      while (read(wake_read_, drain, sizeof(drain)) > 0) {
      }
    }
    // Read after poll(), so that what arrived is handled by the latest settings.
    bool refusing;
    bool cut_next_reply;
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      refusing = refusing_;
      cut_next_reply = cut_next_reply_;
      delay = delay_;
    }
    now = absl::Now();
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& connection = *connections[i];
      const short client_revents = fds[2 + 2 * i].revents;
      const short server_revents = fds[2 + 2 * i + 1].revents;
      bool ok = !((client_revents | server_revents) & POLLERR);
      if (ok && (client_revents & (POLLIN | POLLHUP)) && connection.up.WantsRead()) {
        ok = Connection::Read(connection.up, now, delay);
      }
      if (ok && (server_revents & (POLLIN | POLLHUP)) && connection.down.WantsRead()) {
        if (cut_next_reply) {
          // Whatever the server said is lost with the connection.
          ok = false;
          cut_next_reply = false;
          absl::MutexLock lock(&mu_);
          cut_next_reply_ = false;
          ++stats_.replies_cut;
        } else {
          ok = Connection::Read(connection.down, now, delay);
        }
      }
      if (ok) ok = Connection::Write(connection.up, now) && Connection::Write(connection.down, now);
      if (ok) {
        Connection::PassOnEnd(connection.up);
        Connection::PassOnEnd(connection.down);
      }
      if (!ok) {
        // One side broke: the other learns it the same abrupt way.
        connection.ResetBoth();
        connection.broken = true;
      } else if (connection.up.Done() && connection.down.Done()) {
        close(connection.client);
        close(connection.server);
        connection.broken = true;
      }
    }
    std::erase_if(connections, [](const auto& connection) { return connection->broken; });

    if (fds[1].revents & POLLIN) {
      while (true) {
        const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) break;
        const int server = refusing ? -1 : ConnectTo(target_port_);
        absl::MutexLock lock(&mu_);
        ++stats_.accepted;
        if (server < 0) {
          Reset(client);
          ++stats_.refused;
          continue;
        }
        int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        auto connection = std::make_unique<Connection>();
        connection->client = client;
        connection->server = server;
        connection->up.from = connection->down.to = client;
        connection->up.to = connection->down.from = server;
        connections.push_back(std::move(connection));
      }
    }
  }
}

}  // namespace vroeg::testing
