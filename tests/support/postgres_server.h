#ifndef VROEG_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define VROEG_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/temp_dir.h"

namespace vroeg::testing {

struct PostgresServerOptions {
  // Listen on 127.0.0.1 (on a free port) as well as on the Unix socket.
  bool tcp = false;
  // When set, every login needs this password (scram-sha-256); otherwise logins are trusted.
  std::string password;
};

// A throwaway PostgreSQL server for one test, independent of any system cluster: initdb in a
// temporary directory, then `postgres` listening on a Unix socket in that directory (and on
// 127.0.0.1 when asked), with fsync on. The binaries come from /usr/lib/postgresql/<version>/bin
// (the newest there). initdb and postgres refuse to run as root, so when the test runs as root
// they run as the `postgres` system user (from Debian's postgresql package), which then owns
// the directory. The superuser is "postgres".
//
// The destructor stops the server (fast shutdown, SIGKILL after a bounded wait) and removes
// the directory. Not thread-safe: use it from the test's main thread.
class PostgresServer {
 public:
  // Errors: NOT_FOUND without the binaries or the postgres user (as root); INTERNAL when initdb
  // or the server fails (the message holds its log).
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      const PostgresServerOptions& options = {});
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  const std::string& socket_dir() const { return dir_.path(); }
  // The TCP port with `tcp`; always the number in the Unix socket's name.
  int port() const { return port_; }
  const std::string& user() const { return user_; }
  pid_t pid() const { return pid_; }

  // libpq connection keywords for `dbname` on the Unix socket, without a password.
  std::map<std::string, std::string> Connection(const std::string& dbname) const;

  // Runs `sql` as the superuser in `dbname` and returns the first column of the first row ("" if
  // none). For test set-up and inspection only: the SQL is trusted test text.
  absl::StatusOr<std::string> Query(const std::string& dbname, const std::string& sql) const;
  // CREATE DATABASE `name`.
  absl::Status CreateDatabase(const std::string& name) const;

  // SIGKILL to the server and all its processes at once, as a crash leaves it.
  absl::Status Kill();
  // Fast shutdown (SIGINT), SIGKILL after a bounded wait.
  absl::Status Stop();
  // Starts the server again on the same directory and port after Kill or Stop; after Kill,
  // PostgreSQL first replays its write-ahead log.
  absl::Status Restart();

  std::string Log() const;

 private:
  PostgresServer(PostgresServerOptions options, std::string bin_dir);

  absl::Status InitDb();
  absl::Status Launch();

  const PostgresServerOptions options_;
  const std::string bin_dir_;
  const std::string user_ = "postgres";
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  // As root: the account initdb and postgres run as.
  bool switch_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_POSTGRES_SERVER_H_
