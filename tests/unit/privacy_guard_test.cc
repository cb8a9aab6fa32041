// Guards the rule in DESIGN.md that Vroeg holds no client-level data: no BSN, names, birth dates
// or addresses anywhere, counts only. Every field of the API, catalogue, config and agent schemas,
// every column of the SQLite store and every indicator of the shipped catalogue is matched
// against words that denote a person's data, so that such a field cannot slip in unnoticed in a
// review of a long change.

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/catalogue.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "server/storage/sqlite_store.h"
#include "tests/support/temp_dir.h"
#include "vroeg/agent/v1/agent_status.pb.h"
#include "vroeg/agent/v1/spool.pb.h"
#include "vroeg/api/v1/catalogue_service.pb.h"
#include "vroeg/api/v1/export.pb.h"
#include "vroeg/api/v1/observation.pb.h"
#include "vroeg/api/v1/status.pb.h"
#include "vroeg/api/v1/submission.pb.h"
#include "vroeg/catalogue/v1/catalogue.pb.h"
#include "vroeg/collector/v1/state.pb.h"
#include "vroeg/config/v1/agent.pb.h"
#include "vroeg/config/v1/collector.pb.h"
#include "vroeg/config/v1/tls.pb.h"
#include "vroeg/type/v1/types.pb.h"

namespace vroeg {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FileDescriptor;
using ::testing::IsEmpty;
using ::vroeg::testing::TempDir;

// A word part containing one of these is client-level data. Matching inside a part catches Dutch
// compounds (geboortedatum, woonadres, telefoonnummer, clientnaam) and English ones (birthdate).
constexpr absl::string_view kStems[] = {"bsn",          "burgerservicenummer",
                                        "naam",         "surname",
                                        "birth",        "geboorte",
                                        "address",      "adres",
                                        "street",       "straat",
                                        "huisnummer",   "postcode",
                                        "zipcode",      "phone",
                                        "telefoon",     "email",
                                        "gender",       "geslacht",
                                        "clientnummer", "clientnr",
                                        "clientid",     "patient"};

// Too short or too common inside innocent words (hostname, namespace) to match within a part:
// these match a whole part only.
constexpr absl::string_view kWords[] = {"name", "dob", "zip"};

// Two consecutive word parts that together name a person's data.
constexpr std::pair<absl::string_view, absl::string_view> kPhrases[] = {
    {"house", "number"},  {"postal", "code"},   {"client", "id"}, {"client", "nr"},
    {"client", "number"}, {"client", "nummer"}, {"e", "mail"},
};

// `identifier` split into lower-case word parts at '_' and where a lower-case letter is followed
// by an upper-case one, so snake_case and camelCase spellings read alike.
std::vector<std::string> WordParts(absl::string_view identifier) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < identifier.size(); ++i) {
    const char c = identifier[i];
    const bool camel_boundary =
        i > 0 && absl::ascii_isupper(c) && absl::ascii_islower(identifier[i - 1]);
    if (c == '_' || camel_boundary) {
      if (!parts.back().empty()) parts.emplace_back();
      if (c == '_') continue;
    }
    parts.back().push_back(absl::ascii_tolower(c));
  }
  if (parts.back().empty()) parts.pop_back();
  return parts;
}

// The pattern `identifier` matches, or "" when it does not look like client-level data.
std::string ClientDataPattern(absl::string_view identifier) {
  const std::vector<std::string> parts = WordParts(identifier);
  for (const std::string& part : parts) {
    for (absl::string_view stem : kStems) {
      if (absl::StrContains(part, stem)) return std::string(stem);
    }
    for (absl::string_view word : kWords) {
      if (part == word) return std::string(word);
    }
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    for (const auto& [first, second] : kPhrases) {
      if (parts[i] == first && parts[i + 1] == second) return absl::StrCat(first, "_", second);
    }
  }
  return "";
}

struct Allowed {
  absl::string_view name;
  absl::string_view reason;
};

// Fields whose names match but that are not about a person. Fully qualified; an entry that no
// longer exists or no longer matches fails the test, so the list cannot outlive its fields.
constexpr Allowed kAllowed[] = {
    {"vroeg.config.v1.AgentConfig.collector_name", "the host name in the collector's certificate"},
    {"vroeg.config.v1.Upstream.collector_name",
     "the host name in the national collector's certificate"},
    {"vroeg.config.v1.Region.name", "the youth-care region's name, e.g. Flevoland"},
    {"vroeg.config.v1.RegionMember.name", "a member municipality's name"},
    {"vroeg.catalogue.v1.CareForm.name_nl", "a care form's Dutch name"},
    {"vroeg.catalogue.v1.CareForm.name_en", "a care form's English name"},
    {"vroeg.catalogue.v1.ProductCategory.name_nl", "an iJw product category's Dutch name"},
    {"vroeg.catalogue.v1.Indicator.name_nl", "an indicator's Dutch name"},
    {"vroeg.catalogue.v1.Indicator.name_en", "an indicator's English name"},
    {"vroeg.catalogue.v1.Metric.name", "a Prometheus metric name"},
    {"vroeg.catalogue.v1.Metric.region_name", "the regional aggregate's Prometheus metric name"},
    {"vroeg.catalogue.v1.Metric.region_max_name", "the regional maximum's Prometheus metric name"},
    {"vroeg.catalogue.v1.Metric.municipality_name",
     "the per-municipality aggregate's Prometheus metric name"},
    {"vroeg.catalogue.v1.Ratio.metric_name", "a derived ratio's Prometheus metric name"},
};

bool IsAllowed(absl::string_view name) {
  for (const Allowed& allowed : kAllowed) {
    if (allowed.name == name) return true;
  }
  return false;
}

std::string Complaint(absl::string_view what, absl::string_view pattern) {
  return absl::StrCat(what, " looks like client-level data (matches \"", pattern,
                      "\"). Vroeg exchanges counts only: no BSN, names, birth dates or addresses "
                      "(DESIGN.md, Data model). Remove it, or, if it does not describe a person, "
                      "add it to kAllowed in tests/unit/privacy_guard_test.cc with the reason.");
}

constexpr absl::string_view kCheckedPackages[] = {"vroeg.api.v1",       "vroeg.type.v1",
                                                  "vroeg.catalogue.v1", "vroeg.config.v1",
                                                  "vroeg.agent.v1",     "vroeg.collector.v1"};

bool IsChecked(const FileDescriptor* file) {
  for (absl::string_view package : kCheckedPackages) {
    if (file->package() == package) return true;
  }
  return false;
}

// One generated type per proto file links that file into this test, which brings it into the
// generated pool; EveryProtoFileIsReached catches a file added without an anchor here.
std::vector<const FileDescriptor*> AnchorFiles() {
  return {
      type::v1::ReporterKind_descriptor()->file(),
      api::v1::Observation::descriptor()->file(),
      api::v1::SubmitRequest::descriptor()->file(),
      api::v1::GetCatalogueRequest::descriptor()->file(),
      api::v1::GetStatusRequest::descriptor()->file(),
      api::v1::ExportObservationsRequest::descriptor()->file(),
      catalogue::v1::Catalogue::descriptor()->file(),
      config::v1::Tls::descriptor()->file(),
      config::v1::CollectorConfig::descriptor()->file(),
      config::v1::AgentConfig::descriptor()->file(),
      agent::v1::SpoolRecord::descriptor()->file(),
      agent::v1::AgentStatus::descriptor()->file(),
      collector::v1::StateCheckpoint::descriptor()->file(),
  };
}

// The anchors and every file of a checked package that they import.
std::set<const FileDescriptor*> CheckedFiles() {
  std::set<const FileDescriptor*> files;
  std::vector<const FileDescriptor*> pending = AnchorFiles();
  while (!pending.empty()) {
    const FileDescriptor* file = pending.back();
    pending.pop_back();
    if (!IsChecked(file) || !files.insert(file).second) continue;
    for (int i = 0; i < file->dependency_count(); ++i) pending.push_back(file->dependency(i));
  }
  return files;
}

void AddFields(const Descriptor* message, std::vector<std::string>* out) {
  for (int i = 0; i < message->field_count(); ++i) out->push_back(message->field(i)->full_name());
  for (int i = 0; i < message->nested_type_count(); ++i) AddFields(message->nested_type(i), out);
}

// Fully qualified names of every field of every message, nested ones included.
std::vector<std::string> SchemaFields() {
  std::vector<std::string> fields;
  for (const FileDescriptor* file : CheckedFiles()) {
    for (int i = 0; i < file->message_type_count(); ++i) AddFields(file->message_type(i), &fields);
  }
  return fields;
}

std::string SourceDir() {
  const char* dir = std::getenv("VROEG_SOURCE_DIR");
  if (dir == nullptr) {
    ADD_FAILURE() << "VROEG_SOURCE_DIR is not set; run the test through ctest";
    return "";
  }
  return dir;
}

// "table.column" for every column of every table a fresh SQLite store creates.
std::vector<std::string> StorageColumns() {
  TempDir dir;
  const std::string path = dir.Sub("collector.db");
  std::vector<std::string> columns;
  if (auto store = SqliteStore::Open(path); !store.ok()) {
    ADD_FAILURE() << store.status();
    return columns;
  }

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return columns;
  }
  sqlite3_stmt* stmt = nullptr;
  // pragma_table_info as a table-valued function lists tables and columns in one query.
  const char* sql =
      "SELECT m.name, c.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c "
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid";
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot list columns: " << sqlite3_errmsg(db);
  }
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    columns.push_back(absl::StrCat(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), ".",
                                   reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return columns;
}

// Units of figures about many youths or about an organisation. A new unit (a date, a free text)
// could carry one person's data, so it has to be judged before an indicator may use it.
constexpr catalogue::v1::Unit kAggregateUnits[] = {
    catalogue::v1::UNIT_COUNT, catalogue::v1::UNIT_WEEKS, catalogue::v1::UNIT_BOOLEAN,
    catalogue::v1::UNIT_RATIO, catalogue::v1::UNIT_FTE,   catalogue::v1::UNIT_EUROS,
};

bool IsAggregateUnit(catalogue::v1::Unit unit) {
  for (catalogue::v1::Unit aggregate : kAggregateUnits) {
    if (unit == aggregate) return true;
  }
  return false;
}

// Names the matcher must flag, then names it must leave alone; space-separated.
constexpr absl::string_view kClientLevelNames =
    "client_birth_date postcode bsn BSN clientBirthDate date_of_birth dob first_name last_name "
    "child_name voornaam achternaam geboortedatum woonadres street house_number huisnummer "
    "postal_code zip telefoonnummer phone e_mail email_address gender geslacht client_id "
    "clientnummer patient_count";

constexpr absl::string_view kAggregateNames =
    "care_form municipality reporter indicator period_start value submission_id caller hostname "
    "namespace client_certificate storage wachtenden plaatsen_operationeel observation_count";

TEST(PrivacyGuardMatcherTest, CatchesClientLevelNames) {
  for (absl::string_view name : absl::StrSplit(kClientLevelNames, ' ')) {
    EXPECT_NE(ClientDataPattern(name), "") << name;
  }
}

TEST(PrivacyGuardMatcherTest, LeavesAggregateNamesAlone) {
  for (absl::string_view name : absl::StrSplit(kAggregateNames, ' ')) {
    EXPECT_EQ(ClientDataPattern(name), "") << name;
  }
}

TEST(PrivacyGuardMatcherTest, SplitsSnakeAndCamelCase) {
  EXPECT_THAT(WordParts("client_birth_date"), ::testing::ElementsAre("client", "birth", "date"));
  EXPECT_THAT(WordParts("clientBirthDate"), ::testing::ElementsAre("client", "birth", "date"));
  EXPECT_THAT(WordParts("_care__form_"), ::testing::ElementsAre("care", "form"));
}

TEST(PrivacyGuardTest, EveryProtoFileIsReached) {
  std::set<std::string> reached;
  for (const FileDescriptor* file : CheckedFiles()) reached.insert(file->name());
  const std::filesystem::path root = std::filesystem::path(SourceDir()) / "proto";
  std::vector<std::string> missing;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name = entry.path().lexically_relative(root).string();
    if (!reached.contains(name)) missing.push_back(name);
  }
  EXPECT_THAT(missing, IsEmpty())
      << "these proto files are not checked: add one of their types to AnchorFiles() in "
         "tests/unit/privacy_guard_test.cc (and its package to kCheckedPackages if it is new)";
}

TEST(PrivacyGuardTest, NoSchemaFieldLooksLikeClientData) {
  const std::vector<std::string> fields = SchemaFields();
  ASSERT_GT(fields.size(), 50u) << "the schemas were not found in the generated pool";
  for (const std::string& field : fields) {
    const std::string pattern = ClientDataPattern(field.substr(field.rfind('.') + 1));
    if (!pattern.empty() && !IsAllowed(field)) ADD_FAILURE() << Complaint(field, pattern);
  }
}

TEST(PrivacyGuardTest, NoStorageColumnLooksLikeClientData) {
  const std::vector<std::string> columns = StorageColumns();
  ASSERT_THAT(columns, ::testing::Contains("observations.care_form"))
      << "the store's tables were not found";
  for (const std::string& column : columns) {
    const std::string pattern = ClientDataPattern(column.substr(column.find('.') + 1));
    if (!pattern.empty()) ADD_FAILURE() << Complaint(absl::StrCat("column ", column), pattern);
  }
}

TEST(PrivacyGuardTest, EveryAllowedFieldExistsAndStillMatches) {
  const std::vector<std::string> fields = SchemaFields();
  const std::set<std::string> known(fields.begin(), fields.end());
  for (const Allowed& allowed : kAllowed) {
    const std::string name(allowed.name);
    if (!known.contains(name)) {
      ADD_FAILURE() << name << " is in kAllowed but no longer exists: remove it from the list";
    } else if (ClientDataPattern(name.substr(name.rfind('.') + 1)).empty()) {
      ADD_FAILURE() << name << " is in kAllowed (" << allowed.reason
                    << ") but no longer matches a pattern: remove it from the list";
    }
  }
}

TEST(PrivacyGuardTest, NoCatalogueIndicatorLooksLikeClientData) {
  auto catalogue = Catalogue::LoadFile(SourceDir() + "/deploy/catalogue/catalogue.yaml");
  ASSERT_TRUE(catalogue.ok()) << catalogue.status();
  ASSERT_GT((*catalogue)->proto().indicators_size(), 0);
  for (const catalogue::v1::Indicator& indicator : (*catalogue)->proto().indicators()) {
    const std::string where = absl::StrCat("catalogue indicator ", indicator.code());
    if (const std::string p = ClientDataPattern(indicator.code()); !p.empty()) {
      ADD_FAILURE() << Complaint(where, p);
    }
    if (!IsAggregateUnit(indicator.unit())) {
      ADD_FAILURE() << where << ": unit " << catalogue::v1::Unit_Name(indicator.unit())
                    << " is not known to hold an aggregate figure; if it does, add it to "
                       "kAggregateUnits in tests/unit/privacy_guard_test.cc";
    }
    for (const auto& [label, value] : indicator.metric().labels()) {
      if (const std::string p = ClientDataPattern(label); !p.empty()) {
        ADD_FAILURE() << Complaint(absl::StrCat(where, ": metric label ", label), p);
      }
    }
  }
}

}  // namespace
}  // namespace vroeg
