#ifndef VROEG_SERVER_EARLY_WARNING_ROLES_H_
#define VROEG_SERVER_EARLY_WARNING_ROLES_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/catalogue.h"
#include "common/log.h"

namespace vroeg::early_warning {

// What an indicator means to the derived figures. Everything else on /metrics follows the
// catalogue alone; these figures need to know which figure is which.
enum class Role {
  kWaiting,
  kWaitingTimeIntake,
  kWaitingTimeTreatment,
  kIntakeStop,
  kPlacesOperational,
  kPlacesOccupied,
  kStaffFilled,
  kStaffVacancies,
  kRevenueTotal,
  kRevenueYouth,
  kRevenueYouthByMunicipality,
  kOperatingResult,
  kCurrentAssets,
  kCurrentLiabilities,
  kEquity,
  kTotalAssets,
};
inline constexpr int kRoleCount = static_cast<int>(Role::kTotalAssets) + 1;

// Lower-case name for logs, e.g. "waiting_time_intake".
absl::string_view RoleName(Role role);

// The catalogue codes that play each role: the one place that names indicator codes.
using RoleCodes = std::array<std::string, kRoleCount>;
// The shipped catalogue's codes (deploy/catalogue/catalogue.yaml).
RoleCodes DefaultRoleCodes();

// The roles resolved against one catalogue. Immutable, hence thread-safe.
class IndicatorRoles {
 public:
  // Roles whose code the catalogue lacks stay unresolved (see missing()).
  static IndicatorRoles Resolve(const Catalogue& catalogue,
                                const RoleCodes& codes = DefaultRoleCodes());

  // The role `indicator` plays, if any.
  std::optional<Role> RoleOf(absl::string_view indicator) const;
  bool has(Role role) const { return !codes_[static_cast<int>(role)].empty(); }
  // Resolved code of `role`; empty when missing.
  const std::string& code(Role role) const { return codes_[static_cast<int>(role)]; }

  struct Missing {
    Role role;
    std::string code;
  };
  // Roles the catalogue could not fill; the figures that need them are left out.
  const std::vector<Missing>& missing() const { return missing_; }

 private:
  RoleCodes codes_;
  absl::flat_hash_map<std::string, Role> by_code_;
  std::vector<Missing> missing_;
};

// Logs one warning (event=early_warning_input_missing) per missing role, naming the code.
void LogMissingRoles(const IndicatorRoles& roles, Logger* logger);

}  // namespace vroeg::early_warning

#endif  // VROEG_SERVER_EARLY_WARNING_ROLES_H_
