#include "server/storage/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/metrics_security.h"
#include "common/status_macros.h"
#include "server/storage/schema_migrations.h"

namespace vroeg {
namespace {

// Advisory lock classes (the first of the two keys), so that Vroeg's locks cannot meet those of
// another program using the same database: "VROE" for a reporter's commits (second key: a hash
// of the reporter), "VROM" for schema migrations.
#define VROEG_REPORTER_LOCK_CLASS "1448234821"
// Commits hold this lock shared and SaveCheckpoint exclusively: a checkpoint's position then never
// covers ids of a commit still in flight, which allocated them before the save and commits after.
#define VROEG_CHECKPOINT_LOCK "1448234822, 0"
#define VROEG_MIGRATION_LOCK_CLASS "1448234829"

// Append; never edit a released step.
constexpr SchemaMigration kMigrations[] = {
    // Version 1. As in SQLite: observations are never deleted; a correction inserts a new row
    // and points the one it replaces at it (superseded_by), so the rows of one series and period
    // in id order are its history. superseded_by is not a foreign key, so that a commit can
    // point old rows at the ids it is about to insert. observations_current is unique: at most
    // one current value per series and period, whatever happens. submissions keeps how many
    // rows each commit inserted and superseded, so that Counts never scans observations.
    {1, "submissions and observations with correction history",
     R"sql(
CREATE TABLE submissions (
  id bigserial PRIMARY KEY,
  reporter text NOT NULL,
  submission_id text NOT NULL,
  digest text NOT NULL,
  received_at timestamptz NOT NULL,
  observation_count integer NOT NULL,
  corrections integer NOT NULL,
  UNIQUE (reporter, submission_id)
);
CREATE TABLE observations (
  id bigserial PRIMARY KEY,
  submission bigint NOT NULL REFERENCES submissions (id),
  reporter text NOT NULL,
  indicator text NOT NULL,
  care_form text NOT NULL,
  municipality text NOT NULL,
  period_start text NOT NULL,
  period_end text NOT NULL,
  granularity integer NOT NULL,
  value double precision NOT NULL,
  superseded_by bigint
);
CREATE INDEX observations_by_series
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end, id);
CREATE UNIQUE INDEX observations_current
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end)
  WHERE superseded_by IS NULL;
)sql"},
    // Version 2. The region whose collector forwarded a submission; '' for one received from
    // its reporter directly, which is what every submission stored before was. With a constant
    // default PostgreSQL adds the column without rewriting the table.
    {2, "region that forwarded each submission",
     R"sql(
ALTER TABLE submissions ADD COLUMN region text NOT NULL DEFAULT '';
)sql"},
    // Version 3. One row at most: the collector's state as saved at its last clean stop, with
    // the largest observation id then, so that the next start reads only the current values
    // committed after it (see ObservationStore::SaveCheckpoint). Taking it deletes it.
    {3, "state checkpoint saved at a clean stop",
     R"sql(
CREATE TABLE state_checkpoint (
  id integer PRIMARY KEY CHECK (id = 1),
  position bigint NOT NULL,
  state bytea NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now()
);
)sql"},
};
static_assert(MigrationsAreNumberedInOrder(kMigrations));
static_assert(static_cast<int64_t>(std::size(kMigrations)) == PostgresStore::kSchemaVersion);

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY,
  description text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)
)sql";

// received_at as whole microseconds since the epoch: extract() is exact (numeric) from
// PostgreSQL 14 on, hence the minimum version.
#define VROEG_RECEIVED_US "(extract(epoch FROM s.received_at) * 1000000)::bigint"

// Commits run in READ COMMITTED on purpose: each statement after the reporter's lock sees every
// commit that released it.
constexpr const char* kBegin = "BEGIN ISOLATION LEVEL READ COMMITTED";
// hashtext() spreads reporters over the lock space; two reporters with the same hash only take
// turns. A group takes the locks of all its reporters in the order of their hashes, so that two
// groups never wait for each other in a cycle.
constexpr const char* kLockReporters =
    "SELECT pg_advisory_xact_lock(" VROEG_REPORTER_LOCK_CLASS
    ", l.h) FROM (SELECT DISTINCT hashtext(r) AS h FROM unnest($1::text[]) AS r ORDER BY 1) AS l";
// Before the reporters' locks, so that a commit waiting for SaveCheckpoint holds none of them.
constexpr const char* kLockAgainstCheckpoint =
    "SELECT pg_advisory_xact_lock_shared(" VROEG_CHECKPOINT_LOCK ")";
constexpr const char* kLockCheckpoint = "SELECT pg_advisory_xact_lock(" VROEG_CHECKPOINT_LOCK ")";
constexpr const char* kFindSubmission =
    "SELECT s.digest, " VROEG_RECEIVED_US
    " FROM submissions AS s WHERE s.reporter = $1 AND s.submission_id = $2";
constexpr const char* kAllocateIds =
    "SELECT nextval('observations_id_seq') FROM generate_series(1, $1::integer)";
// The first new value of each series and period replaces the current one, if any. The LATERAL
// subquery (kept apart by its LIMIT) makes each lookup use every column of observations_current,
// whatever the statistics say: as a plain join, a table not yet analyzed got a plan that scanned
// all of the reporter's rows once per new value (1.6 s for 1000 values over 12000 rows).
constexpr const char* kSupersede =
    "UPDATE observations AS o SET superseded_by = m.new_id "
    "FROM (SELECT n.id AS new_id, c.id AS old_id "
    "FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) "
    "AS n (id, indicator, care_form, municipality, period_start, period_end) "
    "CROSS JOIN LATERAL (SELECT x.id FROM observations AS x "
    "WHERE x.reporter = $1 AND x.indicator = n.indicator AND x.care_form = n.care_form "
    "AND x.municipality = n.municipality AND x.period_start = n.period_start "
    "AND x.period_end = n.period_end AND x.superseded_by IS NULL LIMIT 1) AS c) AS m "
    "WHERE o.id = m.old_id";
constexpr const char* kInsertSubmission =
    "INSERT INTO submissions (reporter, submission_id, digest, received_at, observation_count, "
    "corrections, region) VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7) "
    "ON CONFLICT (reporter, submission_id) DO NOTHING RETURNING id";
constexpr const char* kInsertObservations =
    "INSERT INTO observations (id, submission, reporter, indicator, care_form, municipality, "
    "period_start, period_end, granularity, value, superseded_by) "
    "SELECT n.id, $1, $2, n.indicator, n.care_form, n.municipality, n.period_start, "
    "n.period_end, n.granularity, n.value, n.superseded_by "
    "FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
    "$9::integer[], $10::double precision[], $11::bigint[]) "
    "AS n (id, indicator, care_form, municipality, period_start, period_end, granularity, "
    "value, superseded_by)";
constexpr const char* kHistory =
    "SELECT o.granularity, o.value, o.superseded_by IS NULL, s.submission_id, " VROEG_RECEIVED_US
    " FROM observations AS o JOIN submissions AS s ON s.id = o.submission "
    "WHERE o.reporter = $1 AND o.indicator = $2 AND o.care_form = $3 AND o.municipality = $4 "
    "AND o.period_start = $5 AND o.period_end = $6 ORDER BY o.id";
// Ids come from one sequence, so those committed after a checkpoint are all above its position;
// the primary key makes this a range scan when few are.
constexpr const char* kDeclareCurrentAfter =
    "DECLARE current_observations NO SCROLL CURSOR FOR "
    "SELECT o.reporter, o.indicator, o.care_form, o.municipality, o.period_start, "
    "o.period_end, o.granularity, o.value, s.submission_id, " VROEG_RECEIVED_US
    " FROM observations AS o JOIN submissions AS s ON s.id = o.submission "
    "WHERE o.superseded_by IS NULL AND o.id > $1::bigint";
// Rows per round trip while streaming.
constexpr const char* kFetchCurrent = "FETCH FORWARD 10000 FROM current_observations";
// Each series' current values newest first, numbered (rank), with the series' newest received_at
// over all of them. Rank 1 of every series is kept even for $1 = 0, so that each series still
// comes with its newest received_at; ForEachRecent drops what is beyond $1. COLLATE "C" orders
// the dates by their bytes, as SQLite does.
constexpr const char* kDeclareRecent =
    "DECLARE recent_observations NO SCROLL CURSOR FOR "
    "SELECT reporter, indicator, care_form, municipality, period_start, period_end, granularity, "
    "value, submission_id, received_us, newest_us, rank FROM ("
    "SELECT o.reporter, o.indicator, o.care_form, o.municipality, o.period_start, o.period_end, "
    "o.granularity, o.value, s.submission_id, " VROEG_RECEIVED_US
    " AS received_us, "
    "(extract(epoch FROM max(s.received_at) OVER series) * 1000000)::bigint AS newest_us, "
    "row_number() OVER (series ORDER BY o.period_end COLLATE \"C\" DESC, "
    "o.period_start COLLATE \"C\" DESC) AS rank "
    "FROM observations AS o JOIN submissions AS s ON s.id = o.submission "
    "WHERE o.superseded_by IS NULL "
    "WINDOW series AS (PARTITION BY o.reporter, o.indicator, o.care_form, o.municipality)) AS r "
    "WHERE rank <= greatest($1::bigint, 1) "
    "ORDER BY reporter COLLATE \"C\", indicator COLLATE \"C\", care_form COLLATE \"C\", "
    "municipality COLLATE \"C\", rank";
constexpr const char* kFetchRecent = "FETCH FORWARD 10000 FROM recent_observations";
// Every filter is a bound parameter; an empty bound or list selects everything. The joins on
// superseded_by find the submission whose value replaced a row (NULL for a current one). id
// follows commit order within a series and period; COLLATE "C" orders text by its bytes, as
// SQLite does, whatever the database's collation.
constexpr const char* kDeclareExport =
    "DECLARE export_observations NO SCROLL CURSOR FOR "
    "SELECT o.reporter, o.indicator, o.care_form, o.municipality, o.period_start, "
    "o.period_end, o.granularity, o.value, s.submission_id, " VROEG_RECEIVED_US
    ", ns.submission_id, (extract(epoch FROM ns.received_at) * 1000000)::bigint, s.region "
    "FROM observations AS o JOIN submissions AS s ON s.id = o.submission "
    "LEFT JOIN observations AS n ON n.id = o.superseded_by "
    "LEFT JOIN submissions AS ns ON ns.id = n.submission "
    "WHERE ($1::boolean OR o.superseded_by IS NULL) "
    "AND ($2::text = '' OR o.period_end >= $2::text) "
    "AND ($3::text = '' OR o.period_end <= $3::text) "
    "AND (cardinality($4::text[]) = 0 OR o.reporter = ANY ($4::text[])) "
    "AND (cardinality($5::text[]) = 0 OR o.indicator = ANY ($5::text[])) "
    "AND (cardinality($6::text[]) = 0 OR o.care_form = ANY ($6::text[])) "
    "AND (cardinality($7::text[]) = 0 OR o.municipality = ANY ($7::text[])) "
    "ORDER BY o.period_end COLLATE \"C\", o.period_start COLLATE \"C\", "
    "o.reporter COLLATE \"C\", o.indicator COLLATE \"C\", o.care_form COLLATE \"C\", "
    "o.municipality COLLATE \"C\", o.id";
// Smaller batches than kFetchCurrent: an export's consumer sends each row on over the network.
constexpr const char* kFetchExport = "FETCH FORWARD 1000 FROM export_observations";
// Every correction superseded exactly one row, and no row is superseded twice.
constexpr const char* kCounts =
    "SELECT count(*), coalesce(sum(observation_count), 0), coalesce(sum(corrections), 0) "
    "FROM submissions";
// Every observation stored, as Counts reads it: what a handle compares to tell whether others
// committed.
#define VROEG_OBSERVATION_TOTAL \
  "(SELECT coalesce(sum(observation_count), 0)::bigint FROM submissions)"
// The caller lets nothing commit meanwhile, so the largest id is the position of everything
// committed so far, and every later row gets a larger one from the sequence. Saves only when
// the observation total is $2, what the handle has seen; the total and the largest id come from
// the statement's one snapshot. Returns whether it saved.
constexpr const char* kSaveCheckpoint =
    "WITH saved AS (INSERT INTO state_checkpoint (id, position, state) "
    "SELECT 1, coalesce(max(o.id), 0), $1::bytea FROM observations AS o "
    "HAVING " VROEG_OBSERVATION_TOTAL
    " = $2::bigint "
    "ON CONFLICT (id) DO UPDATE "
    "SET position = excluded.position, state = excluded.state, saved_at = excluded.saved_at "
    "RETURNING 1) "
    "SELECT count(*) FROM saved";
// One row: the checkpoint's position and state (NULL when there was none) and the observation
// total from the same snapshot, so that the handle's baseline is exactly what the state it
// restores could have been built from.
constexpr const char* kTakeCheckpoint =
    "WITH taken AS (DELETE FROM state_checkpoint WHERE id = 1 RETURNING position, state) "
    "SELECT t.position, t.state, " VROEG_OBSERVATION_TOTAL
    " FROM (SELECT 1) AS one LEFT JOIN taken AS t ON true";
constexpr const char* kSettings =
    "SELECT current_setting('server_version'), current_setting('synchronous_commit'), "
    "current_setting('fsync'), current_database(), current_user, "
    "(SELECT coalesce(max(version), 0) FROM schema_migrations)";

// Statements prepared on every connection, by name.
constexpr std::pair<const char*, const char*> kStatements[] = {
    {"lock_against_checkpoint", kLockAgainstCheckpoint},
    {"lock_checkpoint", kLockCheckpoint},
    {"lock_reporters", kLockReporters},
    {"find_submission", kFindSubmission},
    {"allocate_ids", kAllocateIds},
    {"supersede", kSupersede},
    {"insert_submission", kInsertSubmission},
    {"insert_observations", kInsertObservations},
    {"history", kHistory},
    {"counts", kCounts},
    {"save_checkpoint", kSaveCheckpoint},
    {"take_checkpoint", kTakeCheckpoint},
};

// SQLSTATEs of a lost race between transactions: the whole commit is tried again.
constexpr absl::string_view kRetryableStates[] = {"40001", "40P01", "23505"};
constexpr absl::string_view kLockNotAvailable = "55P03";
constexpr int kCommitAttempts = 5;
constexpr int kMinimumServerVersion = 140000;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// One line, without libpq's trailing newline and tab-indented hints.
std::string OneLine(absl::string_view text) {
  std::string line = absl::StrReplaceAll(absl::StripAsciiWhitespace(text), {{"\n\t", " "}});
  absl::StrReplaceAll({{"\n", "; "}}, &line);
  return line;
}

// Parameters $1, $2, ... of one statement, in text format unless added as bytes. Strings added
// by reference must outlive it; numbers and temporaries are kept here.
class Params {
 public:
  Params& Add(const std::string& text) { return Push(text.c_str(), 0, kText); }
  Params& Add(std::string&& text) = delete;
  Params& Add(int64_t number) { return Own(absl::StrCat(number)); }
  Params& Own(std::string text) {
    owned_.push_back(std::move(text));
    return Push(owned_.back().c_str(), 0, kText);
  }
  // A bytea in binary format: any bytes, NUL included, sent as they are.
  Params& AddBytes(std::string_view bytes) {
    // libpq reads a null pointer as SQL NULL, even for an empty value.
    return Push(bytes.data() != nullptr ? bytes.data() : "", static_cast<int>(bytes.size()),
                kBinary);
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  static constexpr int kText = 0;
  static constexpr int kBinary = 1;

  Params& Push(const char* value, int length, int format) {
    values_.push_back(value);
    lengths_.push_back(length);
    formats_.push_back(format);
    return *this;
  }

  std::deque<std::string> owned_;  // a deque keeps the c_str() pointers valid as it grows
  std::vector<const char*> values_;
  // libpq reads a length for binary parameters only.
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// A PostgreSQL array literal ({"a","b",NULL}) to bind as one parameter.
class ArrayLiteral {
 public:
  void Add(absl::string_view text) {
    Separate();
    text_.push_back('"');
    for (char c : text) {
      if (c == '"' || c == '\\') text_.push_back('\\');
      text_.push_back(c);
    }
    text_.push_back('"');
  }
  void AddNull() {
    Separate();
    text_.append("NULL");
  }
  std::string Take() && {
    text_.push_back('}');
    return std::move(text_);
  }

 private:
  void Separate() {
    if (text_.size() > 1) text_.push_back(',');
  }
  std::string text_ = "{";
};

// float8 text that reads back as exactly the same double.
std::string FloatText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

double ParseFloat(absl::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::string_view Value(const PGresult* result, int row, int column) {
  return absl::string_view(PQgetvalue(result, row, column),
                           static_cast<size_t>(PQgetlength(result, row, column)));
}

void CopyValue(const PGresult* result, int row, int column, std::string* out) {
  out->assign(PQgetvalue(result, row, column),
              static_cast<size_t>(PQgetlength(result, row, column)));
}

int64_t Int64Value(const PGresult* result, int row, int column) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Value(result, row, column), &value)) return 0;
  return value;
}

// An int8 column of a result in binary format: eight bytes, most significant first.
int64_t BinaryInt64Value(const PGresult* result, int row, int column) {
  const absl::string_view bytes = Value(result, row, column);
  uint64_t value = 0;
  if (bytes.size() != sizeof(value)) return 0;
  for (char byte : bytes) value = value << 8 | static_cast<unsigned char>(byte);
  return static_cast<int64_t>(value);
}

type::v1::Granularity GranularityValue(const PGresult* result, int row, int column) {
  const int64_t value = Int64Value(result, row, column);
  if (value < 0 || value > std::numeric_limits<int>::max() ||
      !type::v1::Granularity_IsValid(static_cast<int>(value))) {
    return type::v1::GRANULARITY_UNSPECIFIED;
  }
  return static_cast<type::v1::Granularity>(value);
}

// The first ten columns every observation read selects, in this order: reporter, indicator,
// care form, municipality, period start and end, granularity, value, submission id, received at.
void ReadObservation(const PGresult* rows, int row, StoredObservation* observation) {
  CopyValue(rows, row, 0, &observation->series.reporter);
  CopyValue(rows, row, 1, &observation->series.indicator);
  CopyValue(rows, row, 2, &observation->series.care_form);
  CopyValue(rows, row, 3, &observation->series.municipality);
  CopyValue(rows, row, 4, &observation->period_start);
  CopyValue(rows, row, 5, &observation->period_end);
  observation->granularity = GranularityValue(rows, row, 6);
  observation->value = ParseFloat(Value(rows, row, 7));
  CopyValue(rows, row, 8, &observation->submission_id);
  observation->received_at = absl::FromUnixMicros(Int64Value(rows, row, 9));
}

bool IsRetryable(absl::string_view sqlstate) {
  for (absl::string_view state : kRetryableStates) {
    if (sqlstate == state) return true;
  }
  return false;
}

// PostgreSQL text cannot hold NUL, and libpq would cut a parameter short at one.
bool HasNul(absl::string_view text) { return text.find('\0') != absl::string_view::npos; }

absl::Status CheckStorable(const SubmissionRecord& submission) {
  bool nul = HasNul(submission.reporter) || HasNul(submission.submission_id) ||
             HasNul(submission.digest) || HasNul(submission.region);
  for (const StoredObservation& o : submission.observations) {
    nul = nul || HasNul(o.series.indicator) || HasNul(o.series.care_form) ||
          HasNul(o.series.municipality) || HasNul(o.period_start) || HasNul(o.period_end);
  }
  if (nul) {
    return absl::InvalidArgumentError(
        absl::StrCat("submission '", absl::CHexEscape(submission.submission_id), "' from ",
                     absl::CHexEscape(submission.reporter),
                     " holds a NUL character, which PostgreSQL cannot store"));
  }
  return absl::OkStatus();
}

// A submission's observations in the shape of the statements that store them. Built once per
// submission of a group, before any attempt.
struct Batch {
  // Index of the next observation of the same series and period in the submission, or -1: an
  // earlier value in one submission is superseded by the later one, as if sent one by one.
  std::vector<int> next_same;
  // Index of the first observation of each distinct series and period.
  std::vector<int> first_of_series;
  std::string indicators, care_forms, municipalities, period_starts, period_ends, granularities,
      values;

  static Batch Of(const SubmissionRecord& submission) {
    Batch batch;
    const auto& observations = submission.observations;
    batch.next_same.assign(observations.size(), -1);
    using Key = std::tuple<absl::string_view, absl::string_view, absl::string_view,
                           absl::string_view, absl::string_view>;
    std::map<Key, int> last;
    ArrayLiteral indicators, care_forms, municipalities, starts, ends, granularities, values;
    for (size_t i = 0; i < observations.size(); ++i) {
      const StoredObservation& o = observations[i];
      const int index = static_cast<int>(i);
      const Key key{o.series.indicator, o.series.care_form, o.series.municipality, o.period_start,
                    o.period_end};
      auto [it, inserted] = last.try_emplace(key, index);
      if (inserted) {
        batch.first_of_series.push_back(index);
      } else {
        batch.next_same[it->second] = index;
        it->second = index;
      }
      indicators.Add(o.series.indicator);
      care_forms.Add(o.series.care_form);
      municipalities.Add(o.series.municipality);
      starts.Add(o.period_start);
      ends.Add(o.period_end);
      granularities.Add(absl::StrCat(static_cast<int>(o.granularity)));
      values.Add(FloatText(o.value));
    }
    batch.indicators = std::move(indicators).Take();
    batch.care_forms = std::move(care_forms).Take();
    batch.municipalities = std::move(municipalities).Take();
    batch.period_starts = std::move(starts).Take();
    batch.period_ends = std::move(ends).Take();
    batch.granularities = std::move(granularities).Take();
    batch.values = std::move(values).Take();
    return batch;
  }

  uint32_t in_submission_corrections() const {
    return static_cast<uint32_t>(next_same.size() - first_of_series.size());
  }
};

// What a statement gave: its result, or why it failed.
struct Reply {
  Result result;
  std::string sqlstate;  // of a failed statement; empty when the connection failed
  std::string error;     // empty on success

  bool ok() const { return error.empty(); }
  // "message (SQLSTATE xxxxx)".
  std::string Describe() const {
    return sqlstate.empty() ? error : absl::StrCat(error, " (SQLSTATE ", sqlstate, ")");
  }
};

}  // namespace

namespace postgres_internal {

// One libpq connection with the session settings and prepared statements every call relies on.
// Used by one thread at a time.
class Connection {
 public:
  Connection(PGconn* conn, uint64_t epoch) : conn_(conn), epoch_(epoch) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { PQfinish(conn_); }

  uint64_t epoch() const { return epoch_; }
  bool lost() const { return PQstatus(conn_) != CONNECTION_OK; }
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  int server_version() const { return PQserverVersion(conn_); }

  // Constant SQL, without parameters.
  Reply Run(const char* sql) { return Check(PQexec(conn_, sql)); }
  Reply Run(const char* sql, const Params& params) {
    return Check(PQexecParams(conn_, sql, params.size(), nullptr, params.values(), params.lengths(),
                              params.formats(), 0));
  }
  // `binary_result`: every column of the result in binary format (bytea as its bytes).
  Reply RunPrepared(const char* name, const Params& params, bool binary_result = false) {
    return Check(PQexecPrepared(conn_, name, params.size(), params.values(), params.lengths(),
                                params.formats(), binary_result ? 1 : 0));
  }

  // Ends a failed transaction; a connection that cannot is closed by the pool (lost or busy).
  void RollbackIfActive() {
    if (!lost() && !idle()) Run("ROLLBACK");
  }

  absl::Status Prepare() {
    for (const auto& [name, sql] : kStatements) {
      Reply reply = Check(PQprepare(conn_, name, sql, 0, nullptr));
      if (!reply.ok()) {
        return absl::UnavailableError(
            absl::StrCat("preparing statement ", name, " failed: ", reply.Describe()));
      }
    }
    return absl::OkStatus();
  }

 private:
  Reply Check(PGresult* raw) {
    Reply reply;
    reply.result.reset(raw);
    const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return reply;
    const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary =
        raw != nullptr ? PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    reply.sqlstate = state != nullptr ? state : "";
    reply.error = OneLine(primary != nullptr ? primary : PQerrorMessage(conn_));
    if (reply.error.empty()) reply.error = "unknown error";
    return reply;
  }

  PGconn* const conn_;
  const uint64_t epoch_;
};

}  // namespace postgres_internal

// A connection taken from the pool for one call; gives it back when destroyed.
class PostgresStore::Lease {
 public:
  Lease(PostgresStore* store, std::unique_ptr<Connection> connection)
      : store_(store), connection_(std::move(connection)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (connection_ != nullptr) store_->Release(std::move(connection_));
  }
  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }

 private:
  PostgresStore* store_;
  std::unique_ptr<Connection> connection_;
};

namespace {

using postgres_internal::Connection;

// The parts of the target that say where the data is, in a stable order, for messages and logs.
std::string DescribeTarget(const std::map<std::string, std::string>& connection) {
  std::vector<std::string> parts;
  for (const char* key : {"host", "hostaddr", "port", "dbname", "user"}) {
    auto it = connection.find(key);
    if (it != connection.end() && !it->second.empty()) {
      parts.push_back(absl::StrCat(key, "=", it->second));
    }
  }
  return parts.empty() ? "libpq defaults" : absl::StrJoin(parts, " ");
}

// Opens a connection and applies the session settings; prepares the statements when `prepare`
// (not before the schema exists). Errors: UNAVAILABLE when the server cannot be reached or
// refuses the login; FAILED_PRECONDITION for the password file or an old server.
absl::StatusOr<std::unique_ptr<Connection>> Connect(const PostgresStoreOptions& options,
                                                    const std::string& target, uint64_t epoch,
                                                    bool prepare) {
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : options.connection) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  if (!options.connection.contains("application_name")) {
    keywords.push_back("application_name");
    values.push_back("vroeg-collector");
  }
  keywords.push_back("client_encoding");
  values.push_back("UTF8");
  std::string password;
  if (!options.password_file.empty()) {
    absl::StatusOr<std::string> content =
        ReadSecretFile("storage.postgres.password_file", options.password_file);
    if (!content.ok()) return absl::FailedPreconditionError(content.status().message());
    password = content->substr(0, content->find_first_of("\r\n"));
    if (password.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "storage.postgres.password_file: ", options.password_file, " holds no password"));
    }
    keywords.push_back("password");
    values.push_back(password.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* raw = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (raw == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL (", target, "): out of memory"));
  }
  auto connection = std::make_unique<Connection>(raw, epoch);
  // Notices (e.g. "relation exists, skipping") would go to stderr, in the middle of the log.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  if (connection->lost()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to PostgreSQL (", target, "): ", OneLine(PQerrorMessage(raw)),
        "; check that the server is running and reachable and the storage.postgres settings"));
  }
  if (connection->server_version() < kMinimumServerVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL at ", target, " is version ", connection->server_version(),
                     " (as a number); vroeg-collector needs PostgreSQL 14 or later"));
  }
  // Durability and the reading of results depend on these, whatever the server's or the role's
  // defaults are.
  Params settings;
  settings.Own(absl::StrCat(absl::ToInt64Milliseconds(options.lock_timeout), "ms"));
  Reply set = connection->Run(
      "SELECT set_config('synchronous_commit', 'on', false), "
      "set_config('lock_timeout', $1, false), set_config('extra_float_digits', '3', false), "
      "set_config('TimeZone', 'UTC', false)",
      settings);
  if (!set.ok()) {
    return absl::UnavailableError(absl::StrCat("setting up a connection to PostgreSQL (", target,
                                               ") failed: ", set.Describe()));
  }
  if (prepare) {
    if (absl::Status status = connection->Prepare(); !status.ok()) {
      return absl::UnavailableError(absl::StrCat("PostgreSQL (", target, "): ", status.message(),
                                                 "; has the database been changed by hand?"));
    }
  }
  return connection;
}

// Brings the schema to kSchemaVersion, one transaction per step; concurrent openers take turns
// on an advisory lock and each re-reads the version once it holds it.
absl::Status Migrate(Connection& connection, const std::string& target) {
  for (;;) {
    std::string step_name = "reading the schema version";
    auto fail = [&](const Reply& reply) {
      connection.RollbackIfActive();
      const std::string message =
          absl::StrCat("PostgreSQL (", target, "): ", step_name, " failed: ", reply.Describe());
      if (connection.lost() || absl::StartsWith(reply.sqlstate, "08")) {
        return absl::UnavailableError(message);
      }
      return absl::FailedPreconditionError(absl::StrCat(
          message,
          "; vroeg-collector needs a database of its own whose tables it may create and alter "
          "(make its user the owner: CREATE DATABASE vroeg OWNER vroeg)"));
    };
    if (Reply r = connection.Run(kBegin); !r.ok()) return fail(r);
    if (Reply r = connection.Run("SELECT pg_advisory_xact_lock(" VROEG_MIGRATION_LOCK_CLASS ", 0)");
        !r.ok()) {
      return fail(r);
    }
    Reply exists = connection.Run("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists.ok()) return fail(exists);
    if (Value(exists.result.get(), 0, 0) != "t") {
      step_name = "creating schema_migrations";
      if (Reply r = connection.Run(kCreateMigrationsTable); !r.ok()) return fail(r);
    }
    Reply version_reply = connection.Run("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!version_reply.ok()) return fail(version_reply);
    const int64_t version = Int64Value(version_reply.result.get(), 0, 0);
    if (version > PostgresStore::kSchemaVersion) {
      connection.RollbackIfActive();
      return NewerSchemaError(absl::StrCat("PostgreSQL database (", target, ")"), version,
                              PostgresStore::kSchemaVersion);
    }
    if (version == PostgresStore::kSchemaVersion) {
      if (Reply r = connection.Run("COMMIT"); !r.ok()) return fail(r);
      return absl::OkStatus();
    }
    const SchemaMigration& step = kMigrations[version];
    step_name = absl::StrCat("migrating to schema version ", step.version);
    if (Reply r = connection.Run(step.sql); !r.ok()) return fail(r);
    Params record;
    record.Add(step.version).Own(step.description);
    if (Reply r = connection.Run(
            "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", record);
        !r.ok()) {
      return fail(r);
    }
    if (Reply r = connection.Run("COMMIT"); !r.ok()) return fail(r);
  }
}

// Opens the cursor that `declare` (a DECLARE with `params`) names in a REPEATABLE READ READ ONLY
// transaction, so that every row comes from one snapshot however long `row_fn` takes, and passes
// each row that `fetch` (a FETCH FORWARD from that cursor) returns to `row_fn`, a batch at a
// time, until the cursor is exhausted or `row_fn` returns false. Ends the transaction, and with
// it the cursor. Errors: UNAVAILABLE, starting with `reading`; `row_fn` may then have been
// called for some rows.
absl::Status StreamCursor(Connection& connection, const char* declare, const Params& params,
                          const char* fetch, absl::string_view reading,
                          const std::function<bool(const PGresult* rows, int row)>& row_fn) {
  auto fail = [&](const Reply& reply) {
    connection.RollbackIfActive();
    return absl::UnavailableError(absl::StrCat(reading, " failed: ", reply.Describe()));
  };
  if (Reply r = connection.Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r.ok()) {
    return fail(r);
  }
  if (Reply r = connection.Run(declare, params); !r.ok()) return fail(r);
  bool more = true;
  while (more) {
    Reply batch = connection.Run(fetch);
    if (!batch.ok()) return fail(batch);
    const PGresult* rows = batch.result.get();
    const int n = PQntuples(rows);
    more = n > 0;
    for (int row = 0; row < n && more; ++row) more = row_fn(rows, row);
  }
  if (Reply r = connection.Run("COMMIT"); !r.ok()) return fail(r);
  return absl::OkStatus();
}

}  // namespace

PostgresStore::PostgresStore(PostgresStoreOptions options, std::string target)
    : options_(std::move(options)), target_(std::move(target)) {}

PostgresStore::~PostgresStore() = default;

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const PostgresStoreOptions& options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError("PostgreSQL pool size must be at least 1");
  }
  if (options.connection.contains("password")) {
    return absl::InvalidArgumentError(
        "a PostgreSQL password belongs in a password file, not in the connection settings");
  }
  std::string target = DescribeTarget(options.connection);
  VROEG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                         Connect(options, target, /*epoch=*/0, /*prepare=*/false));
  VROEG_RETURN_IF_ERROR(Migrate(*connection, target));
  if (absl::Status status = connection->Prepare(); !status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PostgreSQL (", target, ") does not have the expected schema: ", status.message(),
        "; restore a backup"));
  }
  Reply counts = connection->RunPrepared("counts", Params());
  if (!counts.ok()) {
    return absl::UnavailableError(absl::StrCat("counting observations in PostgreSQL (", target,
                                               ") failed: ", counts.Describe()));
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(options, std::move(target)));
  store->observations_seen_ = Int64Value(counts.result.get(), 0, 1);
  absl::MutexLock lock(&store->mu_);
  store->idle_.push_back(std::move(connection));
  store->open_ = 1;
  return store;
}

absl::StatusOr<PostgresStore::Lease> PostgresStore::Acquire() {
  std::unique_ptr<Connection> connection, stale;
  uint64_t epoch;
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.pool_size;
    };
    mu_.Await(absl::Condition(&available));
    epoch = epoch_;
    if (idle_.empty()) {
      ++open_;
    } else {
      connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->epoch() < epoch) stale = std::move(connection);
    }
  }
  // Closing and connecting take a round trip or more; the pool stays free meanwhile.
  stale.reset();
  if (connection == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> fresh =
        Connect(options_, target_, epoch, /*prepare=*/true);
    if (!fresh.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      return absl::UnavailableError(fresh.status().message());
    }
    connection = *std::move(fresh);
  }
  return Lease(this, std::move(connection));
}

void PostgresStore::Release(std::unique_ptr<Connection> connection) {
  const bool lost = connection->lost();
  if (!lost && connection->idle()) {
    absl::MutexLock lock(&mu_);
    idle_.push_back(std::move(connection));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    --open_;
    if (lost) ++epoch_;
  }
  connection.reset();
}

std::vector<absl::StatusOr<CommitResult>> PostgresStore::CommitGroup(
    std::span<const SubmissionRecord* const> submissions) {
  std::vector<absl::StatusOr<CommitResult>> results;
  if (submissions.empty()) return results;
  // What does not depend on the attempt: whether each submission can be stored at all, and the
  // shape of its statements.
  std::vector<absl::Status> storable;
  std::vector<Batch> batches;
  std::vector<std::string> received_at;
  std::set<absl::string_view> reporter_set;
  for (const SubmissionRecord* submission : submissions) {
    storable.push_back(CheckStorable(*submission));
    batches.push_back(storable.back().ok() ? Batch::Of(*submission) : Batch());
    received_at.push_back(TimeText(submission->received_at));
    if (storable.back().ok()) reporter_set.insert(submission->reporter);
  }
  if (reporter_set.empty()) {
    results.assign(storable.begin(), storable.end());
    return results;
  }
  ArrayLiteral reporter_array;
  for (absl::string_view reporter : reporter_set) reporter_array.Add(reporter);
  const std::string reporters = std::move(reporter_array).Take();
  constexpr absl::string_view kNothingStored = "nothing was stored, retry later";
  // The transaction's failure as "step: reason; outcome", for every submission of the group.
  auto failure = [](absl::string_view step, absl::string_view reason, absl::string_view outcome) {
    return absl::UnavailableError(absl::StrCat(step, ": ", reason, "; ", outcome));
  };

  absl::Status failed;
  for (int attempt = 1;; ++attempt) {
    results.clear();
    absl::StatusOr<Lease> lease = Acquire();
    if (!lease.ok()) {
      failed = failure("connecting", lease.status().message(), kNothingStored);
      break;
    }
    Connection& connection = **lease;
    std::string step;
    // Ends the attempt: rolls back, and tells whether to try again on a lost race.
    bool retry = false;
    auto fail = [&](const Reply& reply) {
      connection.RollbackIfActive();
      retry = IsRetryable(reply.sqlstate) && attempt < kCommitAttempts;
      if (reply.sqlstate == kLockNotAvailable) {
        return failure(
            step,
            absl::StrCat("another commit of one of these reporters held its lock longer than ",
                         absl::FormatDuration(options_.lock_timeout)),
            kNothingStored);
      }
      return failure(step, reply.Describe(), kNothingStored);
    };
    // Stores one submission inside the transaction, appending its result; returns the
    // transaction's failure.
    auto store_one = [&](size_t index) -> absl::Status {
      const SubmissionRecord& submission = *submissions[index];
      const Batch& batch = batches[index];
      const size_t count = submission.observations.size();
      step = "looking up the submission id";
      Params find;
      find.Add(submission.reporter).Add(submission.submission_id);
      // Also finds a submission stored earlier in the same transaction.
      Reply found = connection.RunPrepared("find_submission", find);
      if (!found.ok()) return fail(found);
      if (PQntuples(found.result.get()) > 0) {
        const absl::Time first = absl::FromUnixMicros(Int64Value(found.result.get(), 0, 1));
        if (Value(found.result.get(), 0, 0) != submission.digest) {
          results.push_back(SubmissionIdReusedError(submission, first));
          return absl::OkStatus();
        }
        CommitResult duplicate;
        duplicate.duplicate = true;
        duplicate.committed_at = first;
        results.push_back(duplicate);
        return absl::OkStatus();
      }

      // Ids in submission order, so that id order is commit order within every series.
      std::vector<std::string> ids;
      uint32_t corrections = batch.in_submission_corrections();
      if (count > 0) {
        step = "allocating observation ids";
        Reply allocated =
            connection.RunPrepared("allocate_ids", Params().Add(static_cast<int64_t>(count)));
        if (!allocated.ok()) return fail(allocated);
        if (static_cast<size_t>(PQntuples(allocated.result.get())) != count) {
          connection.RollbackIfActive();
          return failure(step, "the server returned the wrong number of ids", kNothingStored);
        }
        std::vector<int64_t> numbers;
        for (size_t i = 0; i < count; ++i) {
          numbers.push_back(Int64Value(allocated.result.get(), static_cast<int>(i), 0));
        }
        std::sort(numbers.begin(), numbers.end());
        for (int64_t number : numbers) ids.push_back(absl::StrCat(number));

        step = "recording corrections";
        ArrayLiteral first_ids, indicators, care_forms, municipalities, starts, ends;
        for (int i : batch.first_of_series) {
          const StoredObservation& o = submission.observations[i];
          first_ids.Add(ids[i]);
          indicators.Add(o.series.indicator);
          care_forms.Add(o.series.care_form);
          municipalities.Add(o.series.municipality);
          starts.Add(o.period_start);
          ends.Add(o.period_end);
        }
        Params supersede;
        supersede.Add(submission.reporter)
            .Own(std::move(first_ids).Take())
            .Own(std::move(indicators).Take())
            .Own(std::move(care_forms).Take())
            .Own(std::move(municipalities).Take())
            .Own(std::move(starts).Take())
            .Own(std::move(ends).Take());
        Reply superseded = connection.RunPrepared("supersede", supersede);
        if (!superseded.ok()) return fail(superseded);
        uint32_t replaced = 0;
        if (!absl::SimpleAtoi(PQcmdTuples(superseded.result.get()), &replaced)) {
          connection.RollbackIfActive();
          return absl::InternalError(absl::StrCat(
              step, ": PostgreSQL did not report how many values the correction replaced; ",
              kNothingStored));
        }
        corrections += replaced;
      }

      step = "inserting the submission";
      Params insert;
      insert.Add(submission.reporter)
          .Add(submission.submission_id)
          .Add(submission.digest)
          .Add(received_at[index])
          .Add(static_cast<int64_t>(count))
          .Add(static_cast<int64_t>(corrections))
          .Add(submission.region);
      Reply inserted = connection.RunPrepared("insert_submission", insert);
      if (!inserted.ok()) return fail(inserted);
      if (PQntuples(inserted.result.get()) == 0) {
        // Committed meanwhile by a writer that does not take the reporter's lock: try again,
        // which finds it.
        connection.RollbackIfActive();
        retry = attempt < kCommitAttempts;
        return failure(step, "the submission id was stored concurrently", kNothingStored);
      }
      const std::string submission_row(Value(inserted.result.get(), 0, 0));

      if (count > 0) {
        step = "inserting the observations";
        ArrayLiteral id_array, superseded_by;
        for (size_t i = 0; i < count; ++i) {
          id_array.Add(ids[i]);
          if (batch.next_same[i] < 0) {
            superseded_by.AddNull();
          } else {
            superseded_by.Add(ids[batch.next_same[i]]);
          }
        }
        Params rows;
        rows.Add(submission_row)
            .Add(submission.reporter)
            .Own(std::move(id_array).Take())
            .Add(batch.indicators)
            .Add(batch.care_forms)
            .Add(batch.municipalities)
            .Add(batch.period_starts)
            .Add(batch.period_ends)
            .Add(batch.granularities)
            .Add(batch.values)
            .Own(std::move(superseded_by).Take());
        if (Reply r = connection.RunPrepared("insert_observations", rows); !r.ok()) {
          return fail(r);
        }
      }
      CommitResult stored;
      stored.stored = static_cast<uint32_t>(count);
      stored.corrections = corrections;
      stored.committed_at = TruncateToMicros(submission.received_at);
      results.push_back(stored);
      return absl::OkStatus();
    };

    failed = [&]() -> absl::Status {
      step = "starting a transaction";
      if (Reply r = connection.Run(kBegin); !r.ok()) return fail(r);
      step = "waiting for a state checkpoint being saved";
      if (Reply r = connection.RunPrepared("lock_against_checkpoint", Params()); !r.ok()) {
        return fail(r);
      }
      step = "waiting for the reporters' earlier commits";
      if (Reply r = connection.RunPrepared("lock_reporters", Params().Add(reporters)); !r.ok()) {
        return fail(r);
      }
      for (size_t i = 0; i < submissions.size(); ++i) {
        if (!storable[i].ok()) {
          results.push_back(storable[i]);
          continue;
        }
        VROEG_RETURN_IF_ERROR(store_one(i));
      }
      step = "committing";
      Reply committed = connection.Run("COMMIT");
      if (!committed.ok() || connection.lost()) {
        // The server may have made the commit durable before the connection broke.
        return failure(step, committed.ok() ? "the connection was lost" : committed.Describe(),
                       "it may or may not have been stored: retry, and a stored one is "
                       "answered as a duplicate");
      }
      if (absl::string_view(PQcmdStatus(committed.result.get())) != "COMMIT") {
        return failure(step, "the transaction was rolled back", kNothingStored);
      }
      return absl::OkStatus();
    }();
    if (failed.ok() || !retry) break;
  }
  if (failed.ok()) {
    int64_t inserted = 0;
    for (const absl::StatusOr<CommitResult>& result : results) {
      if (result.ok() && !result->duplicate) inserted += result->stored;
    }
    observations_seen_ += inserted;
    return results;
  }
  // Also when the COMMIT's outcome is unknown: should it have stored the group, the count falls
  // short and SaveCheckpoint refuses, the safe side.
  results.clear();
  for (size_t i = 0; i < submissions.size(); ++i) {
    // Refused whatever became of the transaction.
    if (!storable[i].ok()) {
      results.push_back(storable[i]);
      continue;
    }
    const SubmissionRecord* submission = submissions[i];
    results.push_back(absl::Status(
        failed.code(), absl::StrCat("storing submission '", submission->submission_id, "' from ",
                                    submission->reporter, " in PostgreSQL (", target_,
                                    ") failed while ", failed.message())));
  }
  return results;
}

absl::Status PostgresStore::ForEachCurrentAfter(
    int64_t position, const std::function<void(const StoredObservation&)>& fn) {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // One object reused for every row, so that its strings keep their capacity.
  StoredObservation observation;
  observation.current = true;
  return StreamCursor(*lease, kDeclareCurrentAfter, Params().Add(position), kFetchCurrent,
                      absl::StrCat("reading current observations after position ", position,
                                   " from PostgreSQL (", target_, ")"),
                      [&](const PGresult* rows, int row) {
                        ReadObservation(rows, row, &observation);
                        fn(observation);
                        return true;
                      });
}

absl::Status PostgresStore::SaveCheckpoint(std::string_view state) {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Connection& connection = *lease;
  auto fail = [&](const Reply& failed) {
    connection.RollbackIfActive();
    return absl::UnavailableError(absl::StrCat("saving the state checkpoint in PostgreSQL (",
                                               target_, ") failed: ", failed.Describe()));
  };
  // In a transaction of its own, so that the lock waits for commits in flight and the save's
  // statement (READ COMMITTED) sees what they committed.
  if (Reply r = connection.Run(kBegin); !r.ok()) return fail(r);
  if (Reply r = connection.RunPrepared("lock_checkpoint", Params()); !r.ok()) return fail(r);
  Params params;
  params.AddBytes(state).Add(observations_seen_.load());
  Reply reply = connection.RunPrepared("save_checkpoint", params);
  if (!reply.ok()) return fail(reply);
  if (Reply r = connection.Run("COMMIT"); !r.ok()) return fail(r);
  if (Int64Value(reply.result.get(), 0, 0) != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "another process committed to PostgreSQL (", target_,
        ") since this collector read its state, so a checkpoint would miss its values; the next "
        "start reads the store instead"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StateCheckpoint>> PostgresStore::TakeCheckpoint() {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Reply reply = lease->RunPrepared("take_checkpoint", Params(), /*binary_result=*/true);
  if (!reply.ok()) {
    return absl::UnavailableError(absl::StrCat("taking the state checkpoint from PostgreSQL (",
                                               target_, ") failed: ", reply.Describe()));
  }
  const PGresult* row = reply.result.get();
  observations_seen_ = BinaryInt64Value(row, 0, 2);
  if (PQgetisnull(row, 0, 0) != 0) return std::nullopt;
  StateCheckpoint checkpoint;
  checkpoint.position = BinaryInt64Value(row, 0, 0);
  CopyValue(row, 0, 1, &checkpoint.state);
  return checkpoint;
}

absl::Status PostgresStore::ForEachRecent(size_t periods_per_series,
                                          const std::function<void(const RecentSeries&)>& fn) {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Params params;
  params.Add(static_cast<int64_t>(
      std::min<size_t>(periods_per_series, std::numeric_limits<int64_t>::max())));
  // One object reused for every series, so that its strings keep their capacity.
  RecentSeries recent;
  size_t kept = 0;
  bool any = false;
  auto flush = [&] {
    recent.periods.resize(kept);
    fn(recent);
  };
  // Rows come series by series, each starting at rank 1.
  auto add_row = [&](const PGresult* rows, int row) {
    if (Int64Value(rows, row, 11) == 1) {
      if (any) flush();
      any = true;
      CopyValue(rows, row, 0, &recent.series.reporter);
      CopyValue(rows, row, 1, &recent.series.indicator);
      CopyValue(rows, row, 2, &recent.series.care_form);
      CopyValue(rows, row, 3, &recent.series.municipality);
      recent.newest_received = absl::FromUnixMicros(Int64Value(rows, row, 10));
      kept = 0;
    }
    if (kept == periods_per_series) return true;
    if (kept == recent.periods.size()) recent.periods.emplace_back();
    StoredObservation& observation = recent.periods[kept++];
    ReadObservation(rows, row, &observation);
    observation.current = true;
    return true;
  };
  VROEG_RETURN_IF_ERROR(StreamCursor(
      *lease, kDeclareRecent, params, kFetchRecent,
      absl::StrCat("reading recent observations from PostgreSQL (", target_, ")"), add_row));
  // The last series, once the cursor has shown that no more of its periods follow.
  if (any) flush();
  return absl::OkStatus();
}

absl::Status PostgresStore::ForEachObservation(
    const ExportQuery& query, const std::function<bool(const StoredObservation&)>& fn) {
  const std::pair<absl::string_view, const std::vector<std::string>*> lists[] = {
      {"reporters", &query.reporters},
      {"indicators", &query.indicators},
      {"care forms", &query.care_forms},
      {"municipalities", &query.municipalities},
  };
  Params params;
  params.Own(query.history ? "true" : "false").Add(query.period_end_from).Add(query.period_end_to);
  for (const auto& [name, list] : lists) {
    ArrayLiteral array;
    for (const std::string& value : *list) {
      if (HasNul(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("an export filter on ", name, " holds a NUL character"));
      }
      array.Add(value);
    }
    params.Own(std::move(array).Take());
  }
  if (HasNul(query.period_end_from) || HasNul(query.period_end_to)) {
    return absl::InvalidArgumentError("an export's period_end range holds a NUL character");
  }
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // One object reused for every row, so that its strings keep their capacity.
  StoredObservation observation;
  return StreamCursor(
      *lease, kDeclareExport, params, kFetchExport,
      absl::StrCat("reading observations for an export from PostgreSQL (", target_, ")"),
      [&](const PGresult* rows, int row) {
        ReadObservation(rows, row, &observation);
        observation.current = PQgetisnull(rows, row, 10) != 0;
        CopyValue(rows, row, 10, &observation.superseded_by_submission_id);
        observation.superseded_at = observation.current
                                        ? absl::InfinitePast()
                                        : absl::FromUnixMicros(Int64Value(rows, row, 11));
        CopyValue(rows, row, 12, &observation.region);
        return fn(observation);
      });
}

absl::StatusOr<std::vector<StoredObservation>> PostgresStore::History(
    const SeriesKey& series, const std::string& period_start, const std::string& period_end) {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Params params;
  params.Add(series.reporter)
      .Add(series.indicator)
      .Add(series.care_form)
      .Add(series.municipality)
      .Add(period_start)
      .Add(period_end);
  Reply reply = lease->RunPrepared("history", params);
  if (!reply.ok()) {
    return absl::UnavailableError(
        absl::StrCat("reading history from PostgreSQL (", target_, ") failed: ", reply.Describe()));
  }
  const PGresult* rows = reply.result.get();
  std::vector<StoredObservation> history;
  history.reserve(static_cast<size_t>(PQntuples(rows)));
  for (int row = 0; row < PQntuples(rows); ++row) {
    StoredObservation& observation = history.emplace_back();
    observation.series = series;
    observation.period_start = period_start;
    observation.period_end = period_end;
    observation.granularity = GranularityValue(rows, row, 0);
    observation.value = ParseFloat(Value(rows, row, 1));
    observation.current = Value(rows, row, 2) == "t";
    CopyValue(rows, row, 3, &observation.submission_id);
    observation.received_at = absl::FromUnixMicros(Int64Value(rows, row, 4));
  }
  return history;
}

absl::StatusOr<StoreCounts> PostgresStore::Counts() {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Reply reply = lease->RunPrepared("counts", Params());
  if (!reply.ok()) {
    return absl::UnavailableError(absl::StrCat("counting observations in PostgreSQL (", target_,
                                               ") failed: ", reply.Describe()));
  }
  const PGresult* row = reply.result.get();
  StoreCounts counts;
  counts.submissions = static_cast<uint64_t>(Int64Value(row, 0, 0));
  counts.observations = static_cast<uint64_t>(Int64Value(row, 0, 1));
  counts.current = counts.observations - static_cast<uint64_t>(Int64Value(row, 0, 2));
  return counts;
}

absl::StatusOr<PostgresStore::Settings> PostgresStore::ReadSettings() {
  VROEG_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Reply reply = lease->Run(kSettings);
  if (!reply.ok()) {
    return absl::UnavailableError(absl::StrCat("reading the settings of PostgreSQL (", target_,
                                               ") failed: ", reply.Describe()));
  }
  const PGresult* row = reply.result.get();
  Settings settings;
  CopyValue(row, 0, 0, &settings.server_version);
  CopyValue(row, 0, 1, &settings.synchronous_commit);
  CopyValue(row, 0, 2, &settings.fsync);
  CopyValue(row, 0, 3, &settings.database);
  CopyValue(row, 0, 4, &settings.user);
  settings.schema_version = Int64Value(row, 0, 5);
  return settings;
}

}  // namespace vroeg
