#include "tests/support/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vroeg::testing {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kInitDbTimeout = absl::Seconds(120);
constexpr absl::Duration kStartTimeout = absl::Seconds(60);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);

// The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or "".
std::string FindBinDir() {
  int best = -1;
  std::string found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    int version = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &version)) continue;
    const fs::path bin = entry.path() / "bin";
    if (version > best && fs::exists(bin / "postgres") && fs::exists(bin / "initdb")) {
      best = version;
      found = bin.string();
    }
  }
  return found;
}

// A port that was free on 127.0.0.1 a moment ago.
absl::StatusOr<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  if (port == 0) return absl::InternalError("cannot find a free port on 127.0.0.1");
  return port;
}

// Waits up to `timeout` for `pid` to exit; returns its wait status, or nullopt.
std::optional<int> WaitForExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0) return 0;  // not our child any more
    if (absl::Now() > deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

// The pids of the children of `parent`, from /proc.
std::vector<pid_t> Children(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
    const size_t end_of_comm = stat.rfind(')');
    if (end_of_comm == std::string::npos) continue;
    std::vector<std::string> fields;
    std::string field;
    for (char c : stat.substr(end_of_comm + 2)) {
      if (c == ' ') {
        fields.push_back(field);
        field.clear();
      } else {
        field.push_back(c);
      }
    }
    pid_t ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid) && ppid == parent) {
      children.push_back(pid);
    }
  }
  return children;
}

// SIGKILL to the postmaster and every process it started, at once, as a crash of the machine
// would end them. Each backend has a process group of its own, so killing the postmaster's
// group is not enough; the postmaster is stopped first so that it starts no one meanwhile.
void KillServer(pid_t postmaster) {
  ::kill(postmaster, SIGSTOP);
  const std::vector<pid_t> children = Children(postmaster);
  for (pid_t child : children) ::kill(child, SIGKILL);
  ::kill(postmaster, SIGKILL);
  WaitForExit(postmaster, kStopTimeout);
  // The children are no longer ours to wait for; they are gone once /proc forgets them or they
  // are zombies of init.
  const absl::Time deadline = absl::Now() + kStopTimeout;
  for (pid_t child : children) {
    while (absl::Now() < deadline) {
      const std::string stat = ReadWholeFile(absl::StrCat("/proc/", child, "/stat"));
      const size_t end_of_comm = stat.rfind(')');
      if (end_of_comm == std::string::npos || stat.compare(end_of_comm + 2, 1, "Z") == 0) break;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
}

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

// Runs `argv` as the server's account with output appended to `log`; returns its pid. The child
// is killed when this thread ends, so that a crashed or timed-out test leaves no server behind.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log,
                            bool switch_user, uid_t uid, gid_t gid) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
      ::_exit(126);
    }
    // After setuid, which clears it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(125);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) return absl::InternalError("fork failed");
  return pid;
}

}  // namespace

PostgresServer::PostgresServer(PostgresServerOptions options, std::string bin_dir)
    : options_(std::move(options)), bin_dir_(std::move(bin_dir)) {}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    const PostgresServerOptions& options) {
  const std::string bin_dir = FindBinDir();
  if (bin_dir.empty()) {
    return absl::NotFoundError(
        "no PostgreSQL server in /usr/lib/postgresql/*/bin: install the Debian package "
        "postgresql (scripts/test.sh does)");
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(options, bin_dir));
  if (::geteuid() == 0) {
    const passwd* account = ::getpwnam("postgres");
    if (account == nullptr) {
      return absl::NotFoundError(
          "running as root, but there is no postgres user to run initdb and postgres as "
          "(they refuse root); install the Debian package postgresql");
    }
    server->switch_user_ = true;
    server->uid_ = account->pw_uid;
    server->gid_ = account->pw_gid;
    // The server's files and socket live here; root keeps access regardless.
    if (::chown(server->dir_.path().c_str(), server->uid_, server->gid_) != 0) {
      return absl::InternalError(absl::StrCat("cannot chown ", server->dir_.path()));
    }
  }
  auto port = FreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  if (absl::Status status = server->InitDb(); !status.ok()) return status;
  if (absl::Status status = server->Launch(); !status.ok()) return status;
  return server;
}

PostgresServer::~PostgresServer() { Stop().IgnoreError(); }

absl::Status PostgresServer::InitDb() {
  std::vector<std::string> argv = {bin_dir_ + "/initdb", "-D", dir_.Sub("data"), "-U", user_, "-E",
                                   "UTF8", "--no-locale",
                                   // Skips only initdb's final flush of the new files, which
                                   // costs seconds; the server itself runs with fsync on.
                                   "--no-sync"};
  if (options_.password.empty()) {
    argv.push_back("--auth=trust");
  } else {
    const std::string pwfile = dir_.Sub("initdb-password");
    WriteFile(pwfile, options_.password, 0600);
    if (switch_user_ && ::chown(pwfile.c_str(), uid_, gid_) != 0) {
      return absl::InternalError("cannot chown the initdb password file");
    }
    argv.push_back("--auth=scram-sha-256");
    argv.push_back("--pwfile=" + pwfile);
  }
  const std::string log = dir_.Sub("initdb.log");
  auto pid = Spawn(argv, log, switch_user_, uid_, gid_);
  if (!pid.ok()) return pid.status();
  const std::optional<int> status = WaitForExit(*pid, kInitDbTimeout);
  if (!status.has_value()) {
    ::kill(*pid, SIGKILL);
    WaitForExit(*pid, kStopTimeout);
  }
  std::error_code ignored;
  fs::remove(dir_.Sub("initdb-password"), ignored);
  if (!status.has_value() || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(absl::StrCat("initdb failed: ", ReadWholeFile(log)));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Launch() {
  const std::vector<std::string> argv = {
      bin_dir_ + "/postgres", "-D", dir_.Sub("data"), "-k", dir_.path(), "-p", absl::StrCat(port_),
      "-c", options_.tcp ? "listen_addresses=127.0.0.1" : "listen_addresses=", "-c", "fsync=on",
      "-c", "synchronous_commit=on",
      // Small, so that several servers fit next to each other in parallel tests.
      "-c", "shared_buffers=16MB", "-c", "max_connections=50"};
  const std::string conninfo =
      absl::StrCat("host=", dir_.path(), " port=", port_, " user=", user_, " dbname=postgres");
  const absl::Time deadline = absl::Now() + kStartTimeout;
  for (;;) {
    auto pid = Spawn(argv, dir_.Sub("postgres.log"), switch_user_, uid_, gid_);
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    for (;;) {
      // OK also when the login would need a password; REJECT while starting or recovering.
      if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited: try again below
      if (absl::Now() > deadline) {
        Stop().IgnoreError();
        return absl::InternalError(absl::StrCat("PostgreSQL did not start within ",
                                                absl::FormatDuration(kStartTimeout), ": ", Log()));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    pid_ = -1;
    // Backends of a killed server may still be leaving its shared memory; the new server then
    // refuses to start and is started again.
    if (absl::Now() > deadline) {
      return absl::InternalError(absl::StrCat("PostgreSQL exited at start: ", Log()));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

std::map<std::string, std::string> PostgresServer::Connection(const std::string& dbname) const {
  return {
      {"host", dir_.path()}, {"port", absl::StrCat(port_)}, {"user", user_}, {"dbname", dbname}};
}

absl::StatusOr<std::string> PostgresServer::Query(const std::string& dbname,
                                                  const std::string& sql) const {
  std::vector<const char*> keywords, values;
  const std::map<std::string, std::string> connection = Connection(dbname);
  for (const auto& [keyword, value] : connection) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  if (!options_.password.empty()) {
    keywords.push_back("password");
    values.push_back(options_.password.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdbParams(keywords.data(), values.data(), 0));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat(
        "connecting to the test server: ", absl::StripAsciiWhitespace(PQerrorMessage(conn.get()))));
  }
  std::unique_ptr<PGresult, PgResultDeleter> result(PQexec(conn.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return absl::InternalError(
        absl::StrCat(sql, ": ", absl::StripAsciiWhitespace(PQerrorMessage(conn.get()))));
  }
  if (status == PGRES_TUPLES_OK && PQntuples(result.get()) > 0 && PQnfields(result.get()) > 0) {
    return std::string(PQgetvalue(result.get(), 0, 0));
  }
  return std::string();
}

absl::Status PostgresServer::CreateDatabase(const std::string& name) const {
  return Query("postgres", absl::StrCat("CREATE DATABASE \"", name, "\"")).status();
}

absl::Status PostgresServer::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError("the server is not running");
  KillServer(pid_);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status PostgresServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  ::kill(pid_, SIGINT);
  if (!WaitForExit(pid_, kStopTimeout).has_value()) KillServer(pid_);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("the server is still running");
  return Launch();
}

std::string PostgresServer::Log() const { return ReadWholeFile(dir_.Sub("postgres.log")); }

}  // namespace vroeg::testing
