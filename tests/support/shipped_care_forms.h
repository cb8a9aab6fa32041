#ifndef VROEG_TESTS_SUPPORT_SHIPPED_CARE_FORMS_H_
#define VROEG_TESTS_SUPPORT_SHIPPED_CARE_FORMS_H_

#include <array>

namespace vroeg::testing {

// The care form codes of the shipped catalogue (deploy/catalogue/catalogue.yaml), in file order,
// for generators that must not load it. ShippedCatalogueTest fails when the two disagree.
inline constexpr std::array<const char*, 9> kShippedCareForms = {
    "verblijf",
    "crisishulp",
    "hoogspecialistische_jeugd_ggz",
    "jeugdbescherming",
    "jeugdreclassering",
    "kortdurend_verblijf",
    "dagbehandeling",
    "multidisciplinair_complex",
    "multidisciplinair_ggz_complex",
};

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_SHIPPED_CARE_FORMS_H_
