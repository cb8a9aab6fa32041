#include "server/early_warning/roles.h"

namespace vroeg::early_warning {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kWaiting:
      return "waiting";
    case Role::kWaitingTimeIntake:
      return "waiting_time_intake";
    case Role::kWaitingTimeTreatment:
      return "waiting_time_treatment";
    case Role::kIntakeStop:
      return "intake_stop";
    case Role::kPlacesOperational:
      return "places_operational";
    case Role::kPlacesOccupied:
      return "places_occupied";
    case Role::kStaffFilled:
      return "staff_filled";
    case Role::kStaffVacancies:
      return "staff_vacancies";
    case Role::kRevenueTotal:
      return "revenue_total";
    case Role::kRevenueYouth:
      return "revenue_youth";
    case Role::kRevenueYouthByMunicipality:
      return "revenue_youth_by_municipality";
    case Role::kOperatingResult:
      return "operating_result";
    case Role::kCurrentAssets:
      return "current_assets";
    case Role::kCurrentLiabilities:
      return "current_liabilities";
    case Role::kEquity:
      return "equity";
    case Role::kTotalAssets:
      return "total_assets";
  }
  return "unknown";
}

RoleCodes DefaultRoleCodes() {
  RoleCodes codes;
  auto set = [&codes](Role role, const char* code) { codes[static_cast<int>(role)] = code; };
  set(Role::kWaiting, "wachtenden");
  set(Role::kWaitingTimeIntake, "wachttijd_intake_weken");
  set(Role::kWaitingTimeTreatment, "wachttijd_behandeling_weken");
  set(Role::kIntakeStop, "clientenstop");
  set(Role::kPlacesOperational, "plaatsen_operationeel");
  set(Role::kPlacesOccupied, "plaatsen_bezet");
  set(Role::kStaffFilled, "fte_bezet");
  set(Role::kStaffVacancies, "vacatures_fte");
  set(Role::kRevenueTotal, "omzet_totaal");
  set(Role::kRevenueYouth, "omzet_jeugdzorg");
  set(Role::kRevenueYouthByMunicipality, "omzet_jeugdzorg_gemeente");
  set(Role::kOperatingResult, "bedrijfsresultaat");
  set(Role::kCurrentAssets, "vlottende_activa");
  set(Role::kCurrentLiabilities, "kortlopende_schulden");
  set(Role::kEquity, "eigen_vermogen");
  set(Role::kTotalAssets, "totaal_activa");
  return codes;
}

IndicatorRoles IndicatorRoles::Resolve(const Catalogue& catalogue, const RoleCodes& codes) {
  IndicatorRoles roles;
  for (int i = 0; i < kRoleCount; ++i) {
    const Role role = static_cast<Role>(i);
    if (catalogue.FindIndicator(codes[i]) == nullptr) {
      roles.missing_.push_back({role, codes[i]});
      continue;
    }
    roles.codes_[i] = codes[i];
    roles.by_code_[codes[i]] = role;
  }
  return roles;
}

void LogMissingRoles(const IndicatorRoles& roles, Logger* logger) {
  for (const IndicatorRoles::Missing& missing : roles.missing()) {
    logger->Warning("early_warning_input_missing",
                    {{"indicator", missing.code},
                     {"role", RoleName(missing.role)},
                     {"hint", "not in the catalogue; the figures that need it are left out"}});
  }
}

std::optional<Role> IndicatorRoles::RoleOf(absl::string_view indicator) const {
  auto it = by_code_.find(indicator);
  if (it == by_code_.end()) return std::nullopt;
  return it->second;
}

}  // namespace vroeg::early_warning
