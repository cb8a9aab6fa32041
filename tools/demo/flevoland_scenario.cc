#include "tools/demo/flevoland_scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace vroeg::demo {
namespace {

using type::v1::ReporterKind;

// ---------------------------------------------------------------------------------------------
// Noise. Each figure's noise is a hash of the seed and a key naming the figure rather than the
// next draw of a generator, so a figure stays the same when others are added or reordered.

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Noise {
 public:
  explicit Noise(uint64_t seed) : seed_(Mix(seed)) {}

  // Uniform in [-1, 1), fixed by the seed and the parts of the key.
  template <typename... Parts>
  double operator()(const Parts&... parts) const {
    std::string key;
    (absl::StrAppend(&key, parts, "|"), ...);
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : key) {
      hash = (hash ^ c) * 0x100000001b3ULL;
    }
    return static_cast<double>(Mix(hash ^ seed_) >> 11) * 0x1.0p-52 - 1.0;
  }

  // Like operator(), but correlated with the previous step of a series, so that monthly and
  // weekly figures wander instead of jumping.
  double Smooth(absl::string_view key, int64_t step) const {
    return 0.65 * (*this)(key, step) + 0.35 * (*this)(key, step - 1);
  }

 private:
  uint64_t seed_;
};

// ---------------------------------------------------------------------------------------------
// Calendar.

struct Period {
  absl::CivilDay start;
  absl::CivilDay end;
};

Period MonthPeriod(absl::CivilMonth month) {
  return {absl::CivilDay(month), absl::CivilDay(month + 1) - 1};
}

Period QuarterPeriod(absl::CivilMonth first_month) {
  return {absl::CivilDay(first_month), absl::CivilDay(first_month + 3) - 1};
}

// ISO weeks (Monday to Sunday) whose Monday falls in `month`.
std::vector<Period> WeeksStartingIn(absl::CivilMonth month) {
  std::vector<Period> weeks;
  absl::CivilDay day(month);
  while (absl::GetWeekday(day) != absl::Weekday::monday) ++day;
  for (; absl::CivilMonth(day) == month; day += 7) weeks.push_back({day, day + 6});
  return weeks;
}

int QuarterOf(absl::CivilMonth month) { return (month.month() - 1) / 3 + 1; }

std::string MonthText(absl::CivilMonth month) { return absl::FormatCivilTime(month); }

// Seasonality by calendar month (January first). Referrals dip in the summer holidays; waiting
// lists follow with a lag and peak in the autumn.
constexpr double kReferralSeason[12] = {1.08, 1.06, 1.05, 1.02, 1.00, 0.97,
                                        0.80, 0.72, 1.02, 1.08, 1.07, 0.93};
constexpr double kWaitingSeason[12] = {1.02, 1.03, 1.02, 1.00, 0.98, 0.97,
                                       0.96, 0.99, 1.03, 1.05, 1.05, 1.03};
// Sick leave peaks in winter.
constexpr double kSickLeaveSeason[4] = {0.011, -0.002, -0.008, 0.006};

// ---------------------------------------------------------------------------------------------
// The scenario's cast.

struct CareFormProfile {
  absl::string_view code;
  // First year the care form is procured regionally (as in the catalogue); 0 when it already is.
  int regional_from_year;
  // Occupied / operational places, typical. With the noise on top, every care form stays well
  // below the 0.95 at which a week counts as one of high occupancy, unless the story fills it.
  double occupancy;
  double waiting_per_place;  // youths waiting per contracted place, typical
  // Typical mean waiting times; with level, season and noise on top they stay well below the
  // norms (4 weeks to intake, 10 to treatment) unless the story says otherwise.
  double intake_weeks;
  double treatment_weeks;
  double unplaced_per_100k;  // placement requests without a place per month per 100,000 people
};

constexpr CareFormProfile kCareForms[] = {
    {"verblijf", 0, 0.90, 0.45, 2.4, 5.5, 2.0},
    {"crisishulp", 0, 0.78, 0.10, 0.3, 0.4, 0.8},
    {"hoogspecialistische_jeugd_ggz", 0, 0.88, 0.55, 2.8, 6.8, 1.5},
    {"jeugdbescherming", 0, 0.87, 0.06, 1.5, 1.0, 1.0},
    {"jeugdreclassering", 0, 0.86, 0.04, 1.0, 0.5, 0.3},
    {"kortdurend_verblijf", 2027, 0.75, 0.60, 2.5, 2.0, 1.0},
    {"dagbehandeling", 2027, 0.87, 0.50, 2.8, 5.5, 0.8},
    {"multidisciplinair_complex", 2027, 0.87, 0.55, 2.8, 6.5, 0.8},
    {"multidisciplinair_ggz_complex", 2027, 0.85, 0.65, 2.8, 6.8, 0.8},
};

const CareFormProfile& Profile(absl::string_view code) {
  for (const CareFormProfile& profile : kCareForms) {
    if (profile.code == code) return profile;
  }
  return kCareForms[0];  // unreachable: the tables below use catalogue codes only
}

// The region-wide squeeze at the end of the history, in weeks counted back from the newest
// complete week (0). Residential places fill up as the troubled provider's staffed places
// disappear, and crisis places, which can no longer pass youths on, fill up after them.
constexpr absl::string_view kSqueezedCareForm = "verblijf";
constexpr absl::string_view kCrisisCareForm = "crisishulp";
// The squeeze builds up over these weeks and is complete for the last kSqueezeFullWeeks.
constexpr int kSqueezeRampWeeks = 6;
constexpr int kSqueezeFullWeeks = 7;
// Once the squeeze is complete, residential services of at least this many contracted places
// keep one staffed place free for emergency placements and smaller ones fill every place: the
// region runs above 95% occupancy with a few places free.
constexpr int kEmergencyPlaceFrom = 20;
// Crisis occupancy once the squeeze is complete, and the weeks in which every crisis place is
// taken: fewer than the three periods after which high occupancy alerts.
constexpr double kSqueezedCrisisOccupancy = 0.85;
constexpr int kCrisisFullWeeks = 2;

enum class FileStyle {
  kLongCsv,         // ',' and decimal point, LF
  kLongCsvBomCrlf,  // as kLongCsv, with a UTF-8 BOM and CRLF
  kWideCsv,         // one column per indicator, ';' and decimal comma (Excel, Dutch locale)
  kWideCsvBomCrlf,  // as kWideCsv, with a UTF-8 BOM and CRLF
  kJson,            // {"observations": [...]}
};

absl::string_view StyleNote(FileStyle style) {
  switch (style) {
    case FileStyle::kLongCsv:
      return "long-form CSV, ',' separator, decimal point";
    case FileStyle::kLongCsvBomCrlf:
      return "long-form CSV, ',' separator, decimal point, UTF-8 BOM, CRLF";
    case FileStyle::kWideCsv:
      return "wide-form CSV, ';' separator, decimal comma";
    case FileStyle::kWideCsvBomCrlf:
      return "wide-form CSV, ';' separator, decimal comma, UTF-8 BOM, CRLF";
    case FileStyle::kJson:
      return "JSON";
  }
  return "";
}

// A location's part of a service's places, for capacity reported per municipality.
struct Location {
  absl::string_view municipality;
  double share;
};

// A municipality outside the region that pays part of a provider's youth-care revenue: providers
// also take youths from elsewhere.
struct OutsidePayer {
  absl::string_view municipality;
  absl::string_view name;
  double share;  // of the youth-care revenue
};

struct Service {
  absl::string_view care_form;
  int places;  // contracted places (for ambulant care and the GI: caseload)
  // Intake stop in the newest this many complete weeks.
  int intake_stop_weeks = 0;
  // Capacity reported per location municipality; empty: for the whole service.
  std::vector<Location> locations = {};
};

struct ProviderSpec {
  ReporterKind kind;
  absl::string_view agb;  // fictional
  absl::string_view name;
  std::vector<Service> services;  // main care form first
  double fte;
  FileStyle style;
  bool in_trouble = false;
  // The newest this many complete quarters close with a loss (a small provider under strain).
  int loss_quarters = 0;
  bool summer_intake_stop = false;     // a temporary intake stop in the summer before `end`
  bool split_by_municipality = false;  // availability reported per municipality of residence
  // The newest this many weeks have no places: the bed-management export broke, while the
  // intake-stop flag (from another system) keeps coming.
  int capacity_silent_weeks = 0;
  std::vector<OutsidePayer> outside_payers = {};
};

std::vector<ProviderSpec> Providers() {
  using enum FileStyle;
  const ReporterKind p = type::v1::REPORTER_KIND_PROVIDER;
  return {
      {.kind = p,
       .agb = "98990012",
       .name = "De Zeearend Jeugdzorg",
       .services = {{.care_form = "verblijf", .places = 32, .intake_stop_weeks = 6},
                    {.care_form = "kortdurend_verblijf", .places = 10, .intake_stop_weeks = 4}},
       .fte = 140,
       .style = kLongCsv,
       .in_trouble = true},
      {.kind = p,
       .agb = "98990020",
       .name = "Stichting Polderkracht Jeugdhulp",
       .services = {{.care_form = "verblijf",
                     .places = 48,
                     .locations = {{"GM0034", 0.5}, {"GM0995", 0.3}, {"GM0171", 0.2}}},
                    {.care_form = "crisishulp", .places = 8}},
       .fte = 210,
       .style = kLongCsv},
      {.kind = p,
       .agb = "98990039",
       .name = "Kompasroos Jeugd en Gezin",
       .services = {{.care_form = "crisishulp", .places = 9},
                    {.care_form = "verblijf", .places = 24},
                    {.care_form = "dagbehandeling", .places = 30}},
       .fte = 180,
       .style = kWideCsv},
      {.kind = p,
       .agb = "98990047",
       .name = "Zuiderzee Jeugd-GGZ",
       .services = {{.care_form = "hoogspecialistische_jeugd_ggz", .places = 140},
                    {.care_form = "multidisciplinair_ggz_complex", .places = 24}},
       .fte = 230,
       .style = kLongCsv,
       .outside_payers = {{"GM0363", "Amsterdam", 0.04}}},
      {.kind = p,
       .agb = "98990055",
       .name = "Lichtbaken Kinder- en Jeugdpsychiatrie",
       .services = {{.care_form = "hoogspecialistische_jeugd_ggz", .places = 120}},
       .fte = 120,
       .style = kWideCsvBomCrlf,
       .summer_intake_stop = true,
       .outside_payers = {{"GM0344", "Utrecht", 0.07}}},
      {.kind = p,
       .agb = "98990063",
       .name = "De Waterlelie Dagbehandeling",
       .services = {{.care_form = "dagbehandeling", .places = 36},
                    {.care_form = "kortdurend_verblijf", .places = 12}},
       .fte = 75,
       .style = kLongCsv},
      {.kind = p,
       .agb = "98990071",
       .name = "Logeerhuis Het Baken",
       .services = {{.care_form = "kortdurend_verblijf", .places = 12, .intake_stop_weeks = 2}},
       .fte = 14,
       .style = kWideCsv,
       .loss_quarters = 2},
      {.kind = p,
       .agb = "98990080",
       .name = "Stichting Windkracht Jeugdhulp",
       .services = {{.care_form = "multidisciplinair_complex", .places = 22},
                    {.care_form = "verblijf", .places = 18}},
       .fte = 110,
       .style = kLongCsv},
      {.kind = p,
       .agb = "98990098",
       .name = "Flevoborg Zorggroep",
       .services = {{.care_form = "verblijf", .places = 40},
                    {.care_form = "multidisciplinair_complex", .places = 16},
                    {.care_form = "dagbehandeling", .places = 24}},
       .fte = 260,
       .style = kWideCsvBomCrlf},
      {.kind = p,
       .agb = "98990101",
       .name = "De Lepelaar Jeugdhulp",
       .services = {{.care_form = "multidisciplinair_complex", .places = 18},
                    {.care_form = "multidisciplinair_ggz_complex", .places = 14}},
       .fte = 85,
       .style = kLongCsv},
      {.kind = p,
       .agb = "98990128",
       .name = "Oostvaarders Jeugd-GGZ",
       .services = {{.care_form = "hoogspecialistische_jeugd_ggz", .places = 100},
                    {.care_form = "crisishulp", .places = 7}},
       .fte = 105,
       .style = kLongCsv},
      {.kind = p,
       .agb = "98990136",
       .name = "Jeugdhulp De Schokker",
       .services = {{.care_form = "dagbehandeling", .places = 20},
                    {.care_form = "verblijf", .places = 12}},
       .fte = 60,
       .style = kWideCsv},
      {.kind = p,
       .agb = "98990144",
       .name = "Gezinshuizen De Haven",
       .services = {{.care_form = "verblijf", .places = 16}},
       .fte = 30,
       .style = kLongCsv,
       .capacity_silent_weeks = 5},
      {.kind = type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION,
       .agb = "98999001",
       .name = "Stichting Jeugdbescherming Nieuwland",
       .services = {{.care_form = "jeugdbescherming", .places = 520},
                    {.care_form = "jeugdreclassering", .places = 150}},
       .fte = 190,
       .style = kLongCsvBomCrlf,
       .split_by_municipality = true},
  };
}

struct MunicipalitySpec {
  absl::string_view code;
  absl::string_view name;
  int population;
  double use_factor;  // youth-care use relative to the region's average
};

constexpr MunicipalitySpec kMunicipalities[] = {
    {"GM0034", "Gemeente Almere", 226000, 1.00},
    {"GM0303", "Gemeente Dronten", 43000, 0.90},
    {"GM0995", "Gemeente Lelystad", 82000, 1.15},
    {"GM0171", "Gemeente Noordoostpolder", 49000, 0.95},
    {"GM0184", "Gemeente Urk", 22000, 0.80},
    {"GM0050", "Gemeente Zeewolde", 23000, 0.85},
};

// ---------------------------------------------------------------------------------------------
// Observations and the file formats they are written in.

struct Row {
  Period period;
  absl::string_view care_form;
  absl::string_view municipality;
  absl::string_view indicator;
  double value;
  int decimals;
};

double RoundTo(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  const double rounded = std::round(value * scale) / scale;
  return rounded == 0 ? 0.0 : rounded;  // never "-0"
}

std::string FormatValue(double value, int decimals, bool decimal_comma) {
  std::string text = absl::StrFormat("%.*f", decimals, value);
  if (decimal_comma) std::replace(text.begin(), text.end(), '.', ',');
  return text;
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

struct CsvDialect {
  bool wide;
  char separator;
  bool decimal_comma;
  bool bom;
  bool crlf;
};

CsvDialect DialectOf(FileStyle style) {
  switch (style) {
    case FileStyle::kLongCsvBomCrlf:
      return {false, ',', false, true, true};
    case FileStyle::kWideCsv:
      return {true, ';', true, false, false};
    case FileStyle::kWideCsvBomCrlf:
      return {true, ';', true, true, true};
    case FileStyle::kLongCsv:
    case FileStyle::kJson:
      break;
  }
  return {false, ',', false, false, false};
}

std::string RenderCsv(const std::vector<Row>& rows, const CsvDialect& dialect) {
  const std::string sep(1, dialect.separator);
  const absl::string_view eol = dialect.crlf ? "\r\n" : "\n";
  std::string out = dialect.bom ? "\xEF\xBB\xBF" : "";
  if (!dialect.wide) {
    absl::StrAppend(&out, "period_start", sep, "period_end", sep, "care_form", sep, "municipality",
                    sep, "indicator", sep, "value", eol);
    for (const Row& row : rows) {
      absl::StrAppend(&out, DayText(row.period.start), sep, DayText(row.period.end), sep,
                      row.care_form, sep, row.municipality, sep, row.indicator, sep,
                      FormatValue(row.value, row.decimals, dialect.decimal_comma), eol);
    }
    return out;
  }

  // Wide form: one line per period, care form and municipality; one column per indicator, in
  // the order the indicators first appear.
  std::vector<absl::string_view> columns;
  std::vector<std::tuple<absl::CivilDay, absl::string_view, absl::string_view>> keys;
  std::map<std::tuple<absl::CivilDay, absl::string_view, absl::string_view>,
           std::vector<std::optional<std::string>>>
      cells;
  for (const Row& row : rows) {
    auto column = std::find(columns.begin(), columns.end(), row.indicator);
    if (column == columns.end()) column = columns.insert(columns.end(), row.indicator);
    const auto key = std::make_tuple(row.period.start, row.care_form, row.municipality);
    auto [it, inserted] = cells.try_emplace(key);
    if (inserted) keys.push_back(key);
    it->second.resize(columns.size());
    it->second[column - columns.begin()] =
        FormatValue(row.value, row.decimals, dialect.decimal_comma);
  }
  std::map<absl::CivilDay, absl::CivilDay> period_end;
  for (const Row& row : rows) period_end[row.period.start] = row.period.end;

  absl::StrAppend(&out, "period_start", sep, "period_end", sep, "care_form", sep, "municipality");
  for (absl::string_view column : columns) absl::StrAppend(&out, sep, column);
  absl::StrAppend(&out, eol);
  for (const auto& key : keys) {
    const auto& [start, care_form, municipality] = key;
    absl::StrAppend(&out, DayText(start), sep, DayText(period_end[start]), sep, care_form, sep,
                    municipality);
    std::vector<std::optional<std::string>>& values = cells[key];
    values.resize(columns.size());
    for (const std::optional<std::string>& value : values) {
      absl::StrAppend(&out, sep, value.value_or(""));
    }
    absl::StrAppend(&out, eol);
  }
  return out;
}

std::string RenderJson(const std::vector<Row>& rows) {
  std::string out = "{\"observations\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    absl::StrAppend(&out, "  {\"period_start\": \"", DayText(row.period.start),
                    "\", \"period_end\": \"", DayText(row.period.end), "\", \"care_form\": \"",
                    row.care_form, "\", \"municipality\": \"", row.municipality,
                    "\", \"indicator\": \"", row.indicator,
                    "\", \"value\": ", FormatValue(row.value, row.decimals, false), "}",
                    i + 1 < rows.size() ? ",\n" : "\n");
  }
  absl::StrAppend(&out, "]}\n");
  return out;
}

// ---------------------------------------------------------------------------------------------
// The scenario itself.

class FlevolandScenario {
 public:
  explicit FlevolandScenario(const ScenarioOptions& options)
      : options_(options),
        noise_(options.seed),
        first_(options.end - (options.months - 1)),
        last_(options.end),
        // An `end` further back is seen from the last day on which it was the last complete
        // month, so that the weekly figures never run far past the monthly ones.
        as_of_(std::min(options.today, absl::CivilDay(options.end + 2) - 1)),
        last_quarter_(last_ - (last_.month() % 3)),
        providers_(Providers()) {
    absl::CivilDay sunday = as_of_ - 1;
    while (absl::GetWeekday(sunday) != absl::Weekday::sunday) --sunday;
    last_week_ = {sunday - 6, sunday};
    // The trouble starts five months before the newest complete quarter ends: that quarter
    // closes in full trouble and the one before halfway, so both are losses, while waiting,
    // places and intake stops keep drifting up to the newest complete week.
    trouble_from_ = absl::CivilDay(last_quarter_ - 5);
  }

  DemoData Build() {
    DemoData data;
    data.first_month = first_;
    data.last_month = last_;
    data.last_week_end = last_week_.end;
    for (const ProviderSpec& spec : providers_) AddProvider(spec, data);
    for (const MunicipalitySpec& spec : kMunicipalities) AddMunicipality(spec, data);

    std::string manifest = "kind\tid\tname\tfolder\tnote\n";
    for (const DemoReporter& reporter : data.reporters) {
      absl::StrAppend(&manifest, KindName(reporter.id.kind), "\t", reporter.id.id, "\t",
                      reporter.name, "\t", reporter.folder, "\t", reporter.note, "\n");
    }
    data.files.insert(data.files.begin(), DemoFile{"reporters.tsv", std::move(manifest), 0});
    for (const DemoFile& file : data.files) data.observations += file.observations;
    return data;
  }

 private:
  // How far the troubled provider has drifted on `day`: 0 before the trouble, 1 at the end of
  // the newest complete week.
  double Trouble(absl::CivilDay day) const {
    const double done = static_cast<double>(day - trouble_from_ + 1);
    const double total = static_cast<double>(last_week_.end - trouble_from_ + 1);
    return std::clamp(done / total, 0.0, 1.0);
  }

  // The same for quarterly figures (finance, staff): full at the end of the newest complete
  // quarter, about half at the end of the one before.
  double FinanceTrouble(absl::CivilDay day) const {
    const double done = static_cast<double>(day - trouble_from_ + 1);
    const double total = static_cast<double>(absl::CivilDay(last_quarter_ + 1) - trouble_from_);
    return std::clamp(done / total, 0.0, 1.0);
  }

  // 0 for the newest complete week, 1 for the week before, and so on.
  int64_t WeeksBeforeEnd(const Period& week) const { return (last_week_.start - week.start) / 7; }

  // 0 for the newest complete quarter (given by its first month), 1 for the one before, ...
  int64_t QuartersBeforeEnd(absl::CivilMonth quarter_start) const {
    return ((last_quarter_ - 2) - quarter_start) / 3;
  }

  // How far the region-wide squeeze has come in a week: 1 in the newest kSqueezeFullWeeks, then
  // less the further back, 0 before it began.
  static double Squeeze(int64_t weeks_before_end) {
    if (weeks_before_end < kSqueezeFullWeeks) return 1.0;
    const double back = static_cast<double>(weeks_before_end - kSqueezeFullWeeks + 1);
    return std::clamp(1.0 - back / (kSqueezeRampWeeks + 1), 0.0, 1.0);
  }

  // Years since a fixed reference, for slow trends that do not depend on the window.
  static double YearsSince2025(absl::CivilMonth month) {
    return static_cast<double>(month - absl::CivilMonth(2025, 1)) / 12.0;
  }

  void AddFile(DemoData& data, absl::string_view folder, std::string name, FileStyle style,
               std::vector<Row> rows) {
    // Nothing may describe a period that has not started yet.
    std::erase_if(rows, [&](const Row& row) { return row.period.start > options_.today; });
    if (rows.empty()) return;
    DemoFile file;
    file.path = absl::StrCat(folder, "/", name);
    file.contents =
        style == FileStyle::kJson ? RenderJson(rows) : RenderCsv(rows, DialectOf(style));
    file.observations = static_cast<int64_t>(rows.size());
    data.files.push_back(std::move(file));
  }

  // ------------------------------------------------------------------ providers

  int Contracted(const ProviderSpec& spec, const Service& service, int year) const {
    // The contracted volume is set per year; the troubled provider's contract does not change,
    // which is the point: its staffed capacity falls behind what the region bought.
    if (spec.in_trouble) return service.places;
    const double change = 0.08 * noise_(spec.agb, service.care_form, "contract", year);
    return std::max(1, static_cast<int>(std::lround(service.places * (1.0 + change))));
  }

  // The troubled provider's main care form takes the full drift, its others half of it.
  double DriftFor(const ProviderSpec& spec, size_t service_index, absl::CivilDay day) const {
    if (!spec.in_trouble) return 0.0;
    return Trouble(day) * (service_index == 0 ? 1.0 : 0.5);
  }

  double FinanceDriftFor(const ProviderSpec& spec, absl::CivilDay day) const {
    return spec.in_trouble ? FinanceTrouble(day) : 0.0;
  }

  bool InSummerStop(const ProviderSpec& spec, size_t service_index, absl::CivilDay day) const {
    if (!spec.summer_intake_stop || service_index != 0) return false;
    const int year = static_cast<int>(last_.year()) - 1;
    return day >= absl::CivilDay(year, 7, 1) && day <= absl::CivilDay(year, 8, 31);
  }

  std::vector<Row> Availability(const ProviderSpec& spec, absl::CivilMonth month) const {
    std::vector<Row> rows;
    const Period period = MonthPeriod(month);
    const int64_t step = month - absl::CivilMonth(2000, 1);
    const double season = kWaitingSeason[month.month() - 1];
    const double trend = 1.0 + 0.03 * YearsSince2025(month);
    for (size_t i = 0; i < spec.services.size(); ++i) {
      const Service& service = spec.services[i];
      const CareFormProfile& profile = Profile(service.care_form);
      const double drift = DriftFor(spec, i, period.end);
      // Only the main care form's waiting times run past the norms.
      const double wait_drift = i == 0 ? drift : 0.0;
      const double level = 1.0 + 0.10 * noise_(spec.agb, service.care_form, "level");
      const std::string series = absl::StrCat(spec.agb, service.care_form, "waiting");
      const double backlog = InSummerStop(spec, i, period.start) ? 1.3 : 1.0;
      // The troubled provider's list grows steadily rather than by fits and starts: each month
      // is above the mean of the three before.
      const double spread = spec.in_trouble ? 0.03 : 0.12;
      const double waiting = Contracted(spec, service, static_cast<int>(month.year())) *
                             profile.waiting_per_place * level * season * trend * backlog *
                             (1.0 + spread * noise_.Smooth(series, step)) * (1.0 + 2.2 * drift);
      const double intake = profile.intake_weeks * level * season *
                                (1.0 + 0.08 * noise_.Smooth(series + "intake", step)) +
                            7.0 * wait_drift;
      const double treatment = profile.treatment_weeks * level * season *
                                   (1.0 + 0.08 * noise_.Smooth(series + "treatment", step)) +
                               9.0 * wait_drift;
      if (!spec.split_by_municipality) {
        rows.push_back({period, service.care_form, "", "wachtenden", RoundTo(waiting, 0), 0});
        rows.push_back(
            {period, service.care_form, "", "wachttijd_intake_weken", RoundTo(intake, 1), 1});
        rows.push_back({period, service.care_form, "", "wachttijd_behandeling_weken",
                        RoundTo(treatment, 1), 1});
        continue;
      }
      // Split by the youth's municipality, in proportion to its size and youth-care use.
      double weight_total = 0;
      for (const MunicipalitySpec& m : kMunicipalities) weight_total += m.population * m.use_factor;
      for (const MunicipalitySpec& m : kMunicipalities) {
        const double share = m.population * m.use_factor / weight_total;
        const double local = 1.0 + 0.15 * noise_(spec.agb, service.care_form, m.code, step);
        const double local_time = 1.0 + 0.10 * noise_(spec.agb, service.care_form, m.code, "t");
        rows.push_back({period, service.care_form, m.code, "wachtenden",
                        RoundTo(waiting * share * local, 0), 0});
        rows.push_back({period, service.care_form, m.code, "wachttijd_intake_weken",
                        RoundTo(intake * local_time, 1), 1});
        rows.push_back({period, service.care_form, m.code, "wachttijd_behandeling_weken",
                        RoundTo(treatment * local_time, 1), 1});
      }
    }
    return rows;
  }

  // Share of the staffed places taken in a week (rounded and capped by the caller).
  double Occupancy(const ProviderSpec& spec, size_t service_index, const std::string& series,
                   const Period& week, int64_t step, int contracted, int operational,
                   bool intake_stop) const {
    const Service& service = spec.services[service_index];
    const int64_t weeks_before_end = WeeksBeforeEnd(week);
    const double squeeze = Squeeze(weeks_before_end);
    double occupancy =
        Profile(service.care_form).occupancy * (1.0 + 0.04 * noise_.Smooth(series + "bezet", step));
    // Under strain, every staffed place is taken.
    occupancy += 0.12 * DriftFor(spec, service_index, week.start);
    if (service.care_form == kSqueezedCareForm && operational > 0) {
      const int free = contracted >= kEmergencyPlaceFrom ? 1 : 0;
      occupancy += (static_cast<double>(operational - free) / operational - occupancy) * squeeze;
    } else if (service.care_form == kCrisisCareForm) {
      if (weeks_before_end < kCrisisFullWeeks) return 1.0;
      const double squeezed =
          kSqueezedCrisisOccupancy * (1.0 + 0.03 * noise_.Smooth(series + "crisis", step));
      occupancy += (squeezed - occupancy) * squeeze;
    }
    // A provider that stops intake because it is full has every staffed place taken; short stay
    // stops for want of night staff and keeps its usual occupancy.
    if (intake_stop && service.care_form != "kortdurend_verblijf") return 1.0;
    return occupancy;
  }

  std::vector<Row> Capacity(const ProviderSpec& spec, absl::CivilMonth month) const {
    std::vector<Row> rows;
    const double staffing = 0.955 + 0.025 * noise_(spec.agb, "staffing");
    for (const Period& week : WeeksStartingIn(month)) {
      // Only complete weeks are reported.
      if (week.end >= as_of_) continue;
      const int64_t step = (week.start - absl::CivilDay(2000, 1, 3)) / 7;
      // Holidays thin out the staff rota: summer weeks and the week of Christmas.
      double holiday = 1.0;
      if (week.start.month() == 7 || week.start.month() == 8) holiday = 0.95;
      const absl::CivilDay christmas(week.start.year(), 12, 25);
      if (christmas >= week.start && christmas <= week.end) holiday = 0.97;
      for (size_t i = 0; i < spec.services.size(); ++i) {
        const Service& service = spec.services[i];
        const bool intake_stop =
            WeeksBeforeEnd(week) < service.intake_stop_weeks || InSummerStop(spec, i, week.start);
        rows.push_back({week, service.care_form, "", "clientenstop", intake_stop ? 1.0 : 0.0, 0});
        if (WeeksBeforeEnd(week) < spec.capacity_silent_weeks) continue;

        const double drift = DriftFor(spec, i, week.start);
        const int contracted = Contracted(spec, service, static_cast<int>(week.start.year()));
        const std::vector<Location> locations =
            service.locations.empty() ? std::vector<Location>{{"", 1.0}} : service.locations;
        int allotted = 0;
        for (size_t l = 0; l < locations.size(); ++l) {
          const Location& location = locations[l];
          const int places = l + 1 == locations.size()
                                 ? contracted - allotted
                                 : static_cast<int>(std::lround(contracted * location.share));
          allotted += places;
          const std::string series =
              absl::StrCat(spec.agb, service.care_form, location.municipality, "capacity");
          const double staffed = staffing * holiday * (1.0 + 0.015 * noise_.Smooth(series, step)) *
                                 (1.0 - 0.45 * drift);
          const int operational =
              std::clamp(static_cast<int>(std::lround(places * staffed)), 0, places);
          const double occupancy =
              Occupancy(spec, i, series, week, step, places, operational, intake_stop);
          const int occupied =
              std::clamp(static_cast<int>(std::lround(operational * occupancy)), 0, operational);
          rows.push_back({week, service.care_form, location.municipality, "plaatsen_gecontracteerd",
                          static_cast<double>(places), 0});
          rows.push_back({week, service.care_form, location.municipality, "plaatsen_operationeel",
                          static_cast<double>(operational), 0});
          rows.push_back({week, service.care_form, location.municipality, "plaatsen_bezet",
                          static_cast<double>(occupied), 0});
        }
      }
    }
    return rows;
  }

  double BudgetedFte(const ProviderSpec& spec, int year) const {
    return spec.fte * (1.0 + 0.015 * (year - 2025)) *
           (1.0 + 0.01 * noise_(spec.agb, "formation", year));
  }

  std::vector<Row> Staff(const ProviderSpec& spec, absl::CivilMonth first_month) const {
    const Period period = QuarterPeriod(first_month);
    const int quarter = QuarterOf(first_month);
    const int year = static_cast<int>(first_month.year());
    const double drift = FinanceDriftFor(spec, period.end);
    const double budgeted = RoundTo(BudgetedFte(spec, year), 1);
    const double fill = 0.935 + 0.02 * noise_(spec.agb, "fill", year, quarter) - 0.13 * drift;
    const double filled = RoundTo(budgeted * fill, 1);
    const double vacancies = std::max(
        0.0, (budgeted - filled) * (0.75 + 0.15 * noise_(spec.agb, "vacancies", year, quarter)));
    const double sick_leave = 0.058 + 0.008 * noise_(spec.agb, "sick leave") +
                              kSickLeaveSeason[quarter - 1] +
                              0.005 * noise_(spec.agb, "sick leave", year, quarter) + 0.085 * drift;
    return {
        {period, "", "", "fte_begroot", budgeted, 1},
        {period, "", "", "fte_bezet", filled, 1},
        {period, "", "", "vacatures_fte", RoundTo(vacancies, 1), 1},
        {period, "", "", "verzuim_ratio", RoundTo(std::clamp(sick_leave, 0.0, 1.0), 3), 3},
    };
  }

  double AnnualRevenue(const ProviderSpec& spec, int year) const {
    const double per_fte = 95000.0 * (1.0 + 0.08 * noise_(spec.agb, "tariff"));
    return BudgetedFte(spec, year) * per_fte;
  }

  double QuarterRevenue(const ProviderSpec& spec, int year, int quarter) const {
    const double drift =
        FinanceDriftFor(spec, QuarterPeriod(absl::CivilMonth(year, 3 * quarter - 2)).end);
    // Fewer staffed places means less care delivered and billed.
    return AnnualRevenue(spec, year) / 4.0 *
           (1.0 + 0.03 * noise_(spec.agb, "revenue", year, quarter)) * (1.0 - 0.12 * drift);
  }

  // Youth-care revenue to date split over the paying municipalities: the outside payers' fixed
  // shares, and the rest over the region's by their size, their use of youth care and the
  // provider's own catchment. The parts add up to `youth_to_date`.
  std::vector<Row> RevenueByMunicipality(const ProviderSpec& spec, const Period& period,
                                         double youth_to_date) const {
    std::vector<Row> outside;
    double in_region = youth_to_date;
    for (const OutsidePayer& payer : spec.outside_payers) {
      const double part = RoundTo(youth_to_date * payer.share, 0);
      outside.push_back({period, "", payer.municipality, "omzet_jeugdzorg_gemeente", part, 0});
      in_region -= part;
    }
    std::vector<double> weights;
    double total_weight = 0;
    for (const MunicipalitySpec& m : kMunicipalities) {
      weights.push_back(m.population * m.use_factor *
                        (1.0 + 0.4 * noise_(spec.agb, m.code, "catchment")));
      total_weight += weights.back();
    }
    std::vector<Row> rows;
    double allotted = 0;
    size_t largest = 0;
    for (size_t k = 0; k < weights.size(); ++k) {
      const double part = RoundTo(in_region * weights[k] / total_weight, 0);
      rows.push_back({period, "", kMunicipalities[k].code, "omzet_jeugdzorg_gemeente", part, 0});
      allotted += part;
      if (weights[k] > weights[largest]) largest = k;
    }
    rows[largest].value += in_region - allotted;
    rows.insert(rows.end(), outside.begin(), outside.end());
    return rows;
  }

  std::vector<Row> Finance(const ProviderSpec& spec, absl::CivilMonth first_month,
                           std::optional<double>* equity) const {
    const Period period = QuarterPeriod(first_month);
    const int quarter = QuarterOf(first_month);
    const int year = static_cast<int>(first_month.year());
    const double drift = FinanceDriftFor(spec, period.end);

    double revenue_to_date = 0;
    for (int q = 1; q <= quarter; ++q) revenue_to_date += QuarterRevenue(spec, year, q);
    const double youth_share = spec.kind == type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION
                                   ? 1.0
                                   : 0.89 + 0.09 * noise_(spec.agb, "youth share");

    double margin = 0.022 + 0.008 * noise_(spec.agb, "margin") +
                    0.007 * noise_(spec.agb, "margin", year, quarter) -
                    (quarter == 4 ? 0.005 : 0.0);
    // At most 3.7% before the drift: halfway into the trouble is a loss already.
    margin = std::max(margin, 0.004) - 0.12 * drift;
    if (QuartersBeforeEnd(first_month) < spec.loss_quarters) margin -= 0.06;
    const double result = QuarterRevenue(spec, year, quarter) * margin;

    const double annual = AnnualRevenue(spec, year);
    const double fixed_assets = 0.22 * AnnualRevenue(spec, 2025);
    const double current_assets = 0.24 * annual *
                                  (1.0 + 0.04 * noise_(spec.agb, "current assets", year, quarter)) *
                                  (1.0 - 0.25 * drift);
    const double current_ratio =
        spec.in_trouble
            ? 1.5 - 0.75 * drift + 0.02 * noise_(spec.agb, "current ratio", year, quarter)
            : 1.6 + 0.25 * noise_(spec.agb, "current ratio") +
                  0.05 * noise_(spec.agb, "current ratio", year, quarter);
    const double cash = current_assets * (0.55 + 0.08 * noise_(spec.agb, "cash", year, quarter)) *
                        (1.0 - 0.55 * drift);
    const double total_assets = fixed_assets + current_assets;
    // Equity starts from a plausible solvency and then carries every quarter's result.
    *equity = equity->has_value() ? **equity + result
                                  : (0.28 + 0.06 * noise_(spec.agb, "solvency")) * total_assets;

    const double youth_to_date = RoundTo(revenue_to_date * youth_share, 0);
    std::vector<Row> rows = {
        {period, "", "", "omzet_totaal", RoundTo(revenue_to_date, 0), 0},
        {period, "", "", "omzet_jeugdzorg", youth_to_date, 0},
        {period, "", "", "bedrijfsresultaat", RoundTo(result, 0), 0},
        {period, "", "", "liquide_middelen", RoundTo(cash, 0), 0},
        {period, "", "", "vlottende_activa", RoundTo(current_assets, 0), 0},
        {period, "", "", "kortlopende_schulden", RoundTo(current_assets / current_ratio, 0), 0},
        {period, "", "", "eigen_vermogen", RoundTo(**equity, 0), 0},
        {period, "", "", "totaal_activa", RoundTo(total_assets, 0), 0},
    };
    for (Row& row : RevenueByMunicipality(spec, period, youth_to_date)) rows.push_back(row);
    return rows;
  }

  // Share of the region's contracted places for `care_form` that `spec` holds, by the cast.
  double PlaceShare(const ProviderSpec& spec, absl::string_view care_form) const {
    double own = 0;
    double all = 0;
    for (const ProviderSpec& provider : providers_) {
      for (const Service& service : provider.services) {
        if (service.care_form != care_form) continue;
        all += service.places;
        if (provider.agb == spec.agb) own += service.places;
      }
    }
    return all > 0 ? own / all : 0.0;
  }

  std::string ProviderNote(const ProviderSpec& spec) const {
    std::vector<std::string> parts = {std::string(StyleNote(spec.style))};
    if (spec.in_trouble) {
      parts.push_back(absl::StrCat(
          "drifts into trouble from ", MonthText(absl::CivilMonth(trouble_from_)),
          ": the waiting list grows and waiting times pass both norms for ",
          spec.services[0].care_form,
          ", staffed places fall, sick leave rises, losses in the last two quarters, current "
          "ratio below 1"));
    }
    for (size_t i = 0; i < spec.services.size(); ++i) {
      const Service& service = spec.services[i];
      if (service.intake_stop_weeks > 0) {
        absl::StrAppend(&parts.emplace_back(), "intake stop for ", service.care_form,
                        " in the last ", service.intake_stop_weeks, " weeks",
                        service.care_form == "kortdurend_verblijf" ? " (no night staff)" : "");
      }
      if (!service.locations.empty()) {
        absl::StrAppend(&parts.emplace_back(), "places for ", service.care_form,
                        " per location municipality");
      }
      const double share = PlaceShare(spec, service.care_form);
      if (share == 1.0) {
        absl::StrAppend(&parts.emplace_back(), "the only provider of ", service.care_form);
      } else if (share > 0.5) {
        absl::StrAppend(&parts.emplace_back(), "holds most places for ", service.care_form);
      }
      if (service.care_form == kSqueezedCareForm && !spec.in_trouble &&
          spec.capacity_silent_weeks == 0) {
        absl::StrAppend(&parts.emplace_back(), service.care_form, " nearly full in the last ",
                        kSqueezeFullWeeks, " weeks");
      }
      if (service.care_form == kCrisisCareForm) {
        absl::StrAppend(&parts.emplace_back(), "every crisis place taken in the last ",
                        kCrisisFullWeeks, " weeks");
      }
    }
    if (spec.loss_quarters > 0) {
      absl::StrAppend(&parts.emplace_back(),
                      "small (youth-care revenue under EUR 2 million, outside early-warning "
                      "scope): losses in the last ",
                      spec.loss_quarters, " quarters");
    }
    if (spec.summer_intake_stop) {
      absl::StrAppend(&parts.emplace_back(), "temporary intake stop for ",
                      spec.services[0].care_form, " in July and August ", last_.year() - 1);
    }
    if (spec.split_by_municipality) parts.emplace_back("availability split by municipality");
    for (const OutsidePayer& payer : spec.outside_payers) {
      absl::StrAppend(&parts.emplace_back(), std::lround(payer.share * 100),
                      "% of its youth-care revenue paid by ", payer.name, " (", payer.municipality,
                      "), outside the region");
    }
    if (spec.capacity_silent_weeks > 0) {
      absl::StrAppend(&parts.emplace_back(), "sends no places in the last ",
                      spec.capacity_silent_weeks,
                      " weeks (its bed-management export broke; intake stops and its other "
                      "figures keep coming)");
    }
    return absl::StrJoin(parts, "; ");
  }

  void AddProvider(const ProviderSpec& spec, DemoData& data) {
    DemoReporter reporter;
    reporter.id = {spec.kind, std::string(spec.agb)};
    reporter.name = std::string(spec.name);
    reporter.folder = absl::StrCat(KindName(spec.kind), "-", spec.agb);
    reporter.note = ProviderNote(spec);
    reporter.in_trouble = spec.in_trouble;

    std::optional<double> equity;
    // Weekly figures run on into the month after `end`, up to the newest complete week.
    const absl::CivilMonth last_capacity_month =
        std::max(last_, absl::CivilMonth(last_week_.start));
    for (absl::CivilMonth month = first_; month <= last_capacity_month; ++month) {
      const std::string prefix = MonthText(month);
      if (month <= last_) {
        AddFile(data, reporter.folder, absl::StrCat(prefix, "-beschikbaarheid.csv"), spec.style,
                Availability(spec, month));
      }
      AddFile(data, reporter.folder, absl::StrCat(prefix, "-capaciteit.csv"), spec.style,
              Capacity(spec, month));
      // Quarterly figures go out after the quarter's last month, and only for whole quarters.
      const absl::CivilMonth quarter_start = month - 2;
      if (month <= last_ && month.month() % 3 == 0 && quarter_start >= first_) {
        const std::string quarter = absl::StrCat(prefix, "-kw", QuarterOf(month));
        AddFile(data, reporter.folder, absl::StrCat(quarter, "-financien.csv"), spec.style,
                Finance(spec, quarter_start, &equity));
        AddFile(data, reporter.folder, absl::StrCat(quarter, "-personeel.csv"), spec.style,
                Staff(spec, quarter_start));
      }
    }
    data.reporters.push_back(std::move(reporter));
  }

  // ------------------------------------------------------------------ municipalities

  std::vector<Row> Access(const MunicipalitySpec& spec, absl::CivilMonth month,
                          absl::string_view strained_care_form) const {
    std::vector<Row> rows;
    const Period period = MonthPeriod(month);
    const int64_t step = month - absl::CivilMonth(2000, 1);
    const double season = kReferralSeason[month.month() - 1];
    const double scale =
        spec.population / 10000.0 * spec.use_factor * (1.0 + 0.04 * YearsSince2025(month));
    const auto referrals = [&](absl::string_view indicator, double per_10k, double seasonality,
                               double spread) {
      const double value = per_10k * scale * std::pow(season, seasonality) *
                           (1.0 + spread * noise_.Smooth(absl::StrCat(spec.code, indicator), step));
      rows.push_back({period, "", "", indicator, RoundTo(std::max(0.0, value), 0), 0});
    };
    referrals("verwijzingen_lokaal_team", 8.5, 1.0, 0.10);
    referrals("verwijzingen_huisarts", 10.0, 1.0, 0.10);
    referrals("verwijzingen_gi", 1.1, 0.3, 0.25);
    referrals("verwijzingen_rechter", 0.45, 0.3, 0.35);

    for (const CareFormProfile& profile : kCareForms) {
      if (profile.regional_from_year > month.year()) continue;
      // Placements get harder to find as the troubled provider's staffed places disappear.
      const double strain =
          profile.code == strained_care_form ? 1.0 + 2.0 * Trouble(period.end) : 1.0;
      const double expected = profile.unplaced_per_100k * spec.population / 100000.0 *
                              spec.use_factor * strain *
                              (1.0 + 0.5 * noise_(spec.code, profile.code, step));
      rows.push_back({period, profile.code, "", "plaatsingsverzoeken_zonder_plek",
                      RoundTo(std::max(0.0, expected), 0), 0});
    }
    return rows;
  }

  void AddMunicipality(const MunicipalitySpec& spec, DemoData& data) {
    DemoReporter reporter;
    reporter.id = {type::v1::REPORTER_KIND_MUNICIPALITY, std::string(spec.code)};
    reporter.name = std::string(spec.name);
    reporter.folder = absl::StrCat(KindName(type::v1::REPORTER_KIND_MUNICIPALITY), "-", spec.code);
    reporter.note = std::string(StyleNote(FileStyle::kJson));

    absl::string_view strained_care_form;
    for (const ProviderSpec& provider : providers_) {
      if (provider.in_trouble) strained_care_form = provider.services[0].care_form;
    }
    for (absl::CivilMonth month = first_; month <= last_; ++month) {
      AddFile(data, reporter.folder, absl::StrCat(MonthText(month), "-toegang.json"),
              FileStyle::kJson, Access(spec, month, strained_care_form));
    }
    data.reporters.push_back(std::move(reporter));
  }

  const ScenarioOptions options_;
  const Noise noise_;
  const absl::CivilMonth first_;
  const absl::CivilMonth last_;
  // The day the history is seen from; weekly figures run up to the last complete week before it.
  const absl::CivilDay as_of_;
  // Last month of the newest complete quarter.
  const absl::CivilMonth last_quarter_;
  const std::vector<ProviderSpec> providers_;
  Period last_week_;
  absl::CivilDay trouble_from_;
};

}  // namespace

absl::CivilMonth LastCompleteMonth(absl::CivilDay today) { return absl::CivilMonth(today) - 1; }

absl::StatusOr<absl::CivilMonth> ParseYearMonth(absl::string_view text) {
  int year = 0;
  int month = 0;
  if (text.size() != 7 || text[4] != '-' ||
      !std::all_of(text.begin(), text.begin() + 4, absl::ascii_isdigit) ||
      !std::all_of(text.begin() + 5, text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(text.substr(0, 4), &year) || !absl::SimpleAtoi(text.substr(5), &month) ||
      month < 1 || month > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("month '", text, "' is not of the form YYYY-MM"));
  }
  return absl::CivilMonth(year, month);
}

absl::StatusOr<DemoData> GenerateFlevoland(const ScenarioOptions& options) {
  if (options.months < 1 || options.months > 240) {
    return absl::InvalidArgumentError(
        absl::StrCat("months must be between 1 and 240, not ", options.months));
  }
  if (options.end > absl::CivilMonth(options.today)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "end month ", MonthText(options.end), " lies after today (", DayText(options.today), ")"));
  }
  return FlevolandScenario(options).Build();
}

absl::Status WriteDemoData(const DemoData& data, const std::string& out_dir, bool force) {
  namespace fs = std::filesystem;
  const fs::path root(out_dir);
  std::error_code error;
  const auto io_error = [&](const fs::path& path, absl::string_view what) {
    return absl::InternalError(
        absl::StrCat("cannot ", what, " ", path.string(), ": ", error.message()));
  };

  if (fs::exists(root, error)) {
    if (!fs::is_directory(root, error)) {
      return absl::FailedPreconditionError(
          absl::StrCat("output path ", root.string(), " is not a directory"));
    }
    const bool empty = fs::is_empty(root, error);
    if (error) return io_error(root, "read");
    if (!empty && !force) {
      return absl::FailedPreconditionError(
          absl::StrCat("output directory ", root.string(), " is not empty"));
    }
    // Replace only what this generator owns, so a mistyped directory loses nothing else.
    fs::remove(root / "reporters.tsv", error);
    if (error) return io_error(root / "reporters.tsv", "remove");
    for (const DemoReporter& reporter : data.reporters) {
      fs::remove_all(root / reporter.folder, error);
      if (error) return io_error(root / reporter.folder, "remove");
    }
  } else if (error) {
    return io_error(root, "read");
  }

  for (const DemoFile& file : data.files) {
    const fs::path path = root / file.path;
    fs::create_directories(path.parent_path(), error);
    if (error) return io_error(path.parent_path(), "create");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(file.contents.data(), static_cast<std::streamsize>(file.contents.size()));
    out.close();
    if (!out) {
      error = std::make_error_code(std::errc::io_error);
      return io_error(path, "write");
    }
  }
  return absl::OkStatus();
}

}  // namespace vroeg::demo
