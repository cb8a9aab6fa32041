// The fault tests' TCP proxy forwards faithfully until told to misbehave, and then misbehaves
// exactly as asked.
#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/http_get.h"

namespace vroeg::testing {
namespace {

// Echoes every connection back to its sender until the sender closes, one thread each.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = LoopbackAddress(0);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] {
      while (true) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        workers_.emplace_back([fd] {
          char buffer[4096];
          ssize_t n;
          while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) send(fd, buffer, n, MSG_NOSIGNAL);
          close(fd);
        });
      }
    });
  }
  ~EchoServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    close(listen_fd_);
    for (auto& worker : workers_) worker.join();
  }
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

// A loopback port that refuses every connection for as long as this lives: it is bound, so nobody
// else can listen on it (nor can the kernel hand it out), but never listens itself.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = LoopbackAddress(0);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A connected client socket that never blocks for more than ten seconds.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address = LoopbackAddress(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Reads until `size` bytes arrived or the stream ended or failed (then errno tells why).
std::string Receive(int fd, size_t size) {
  std::string text;
  char buffer[4096];
  while (text.size() < size) {
    const ssize_t n = recv(fd, buffer, std::min(sizeof(buffer), size - text.size()), 0);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

// The outcome of the next read: 0 for an orderly end, -errno for a failure.
int NextReadOutcome(int fd) {
  char byte;
  const ssize_t n = recv(fd, &byte, 1, 0);
  return n < 0 ? -errno : static_cast<int>(n);
}

TEST(TcpProxyTest, ForwardsBothWaysAndPassesOnTheEnd) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int fd = Connect((*proxy)->port());
  const std::string big(300000, 'x');
  ASSERT_EQ(send(fd, "hallo", 5, 0), 5);
  EXPECT_EQ(Receive(fd, 5), "hallo");
  std::thread writer([&] { send(fd, big.data(), big.size(), MSG_NOSIGNAL); });
  EXPECT_EQ(Receive(fd, big.size()), big);
  writer.join();
  shutdown(fd, SHUT_WR);
  EXPECT_EQ(NextReadOutcome(fd), 0);
  close(fd);
  EXPECT_EQ((*proxy)->stats().accepted, 1u);
}

TEST(TcpProxyTest, CutAllResetsOpenConnections) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int first = Connect((*proxy)->port());
  const int second = Connect((*proxy)->port());
  ASSERT_EQ(send(first, "a", 1, 0), 1);
  ASSERT_EQ(Receive(first, 1), "a");
  ASSERT_EQ(send(second, "b", 1, 0), 1);
  ASSERT_EQ(Receive(second, 1), "b");
  (*proxy)->CutAll();
  EXPECT_EQ(NextReadOutcome(first), -ECONNRESET);
  EXPECT_EQ(NextReadOutcome(second), -ECONNRESET);
  EXPECT_EQ((*proxy)->stats().cut, 2u);
  close(first);
  close(second);

  const int later = Connect((*proxy)->port());
  ASSERT_EQ(send(later, "c", 1, 0), 1);
  EXPECT_EQ(Receive(later, 1), "c");
  close(later);
}

TEST(TcpProxyTest, CutNextReplyDropsTheReplyAndResetsItsConnection) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->CutNextReply();
  const int fd = Connect((*proxy)->port());
  ASSERT_EQ(send(fd, "g", 1, 0), 1);
  EXPECT_EQ(NextReadOutcome(fd), -ECONNRESET);
  close(fd);
  EXPECT_EQ((*proxy)->stats().replies_cut, 1u);

  const int later = Connect((*proxy)->port());
  ASSERT_EQ(send(later, "h", 1, 0), 1);
  EXPECT_EQ(Receive(later, 1), "h");
  close(later);
}

TEST(TcpProxyTest, RefusesWhileToldToAndWhenTheTargetIsAway) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->SetRefusing(true);
  int fd = Connect((*proxy)->port());
  EXPECT_EQ(NextReadOutcome(fd), -ECONNRESET);
  close(fd);
  (*proxy)->SetRefusing(false);
  fd = Connect((*proxy)->port());
  ASSERT_EQ(send(fd, "d", 1, 0), 1);
  EXPECT_EQ(Receive(fd, 1), "d");
  close(fd);

  // A port that was merely free a moment ago may meanwhile belong to another test's server, or
  // to this very proxy.
  RefusingPort away;
  auto dangling = TcpProxy::Start(away.port());
  ASSERT_TRUE(dangling.ok());
  fd = Connect((*dangling)->port());
  EXPECT_EQ(NextReadOutcome(fd), -ECONNRESET);
  close(fd);
  EXPECT_EQ((*proxy)->stats().refused, 1u);
  EXPECT_EQ((*dangling)->stats().refused, 1u);
}

TEST(TcpProxyTest, DelayHoldsBytesBack) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->SetDelay(absl::Hours(1));
  const int fd = Connect((*proxy)->port());
  ASSERT_EQ(send(fd, "e", 1, 0), 1);
  pollfd readable{fd, POLLIN, 0};
  EXPECT_EQ(poll(&readable, 1, 300), 0) << "a delayed byte came through";
  // What is already held back keeps its time; a cut is how a test gets rid of it.
  (*proxy)->SetDelay(absl::ZeroDuration());
  (*proxy)->CutAll();
  EXPECT_EQ(NextReadOutcome(fd), -ECONNRESET);
  close(fd);
  const int later = Connect((*proxy)->port());
  ASSERT_EQ(send(later, "f", 1, 0), 1);
  EXPECT_EQ(Receive(later, 1), "f");
  close(later);
}

}  // namespace
}  // namespace vroeg::testing
