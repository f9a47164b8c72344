// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/measurement_table.hpp"

#include <iomanip>
#include <sstream>

#include "sagitta/core/measurement_json.hpp"

namespace sagitta::core {
namespace {

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

}  // namespace

std::string measurementToTable(const Measurement& m) {
  const bool calibrated = m.calibration.calibrated();
  std::ostringstream out;
  out << "Calibration: " << calibrationKey(m.calibration.kind) << " (" << m.calibration.note << ")\n";
  out << "Patient faces: " << facingKey(m.facing) << "\n\n";
  out << std::left << std::setw(8) << "Param" << std::setw(52) << "Name" << std::right << std::setw(10) << "Value"
      << "  " << std::left << std::setw(6) << "Unit" << std::setw(16) << "Paper mean (SD)" << "Notes\n";
  out << std::string(100, '-') << "\n";
  for (const auto& value : m.parameters) {
    const auto& info = parameterInfo(value.id);
    const int decimals = info.unit == ParameterUnit::Ratio ? 2 : 1;
    const std::string shown = value.value ? fixed(roundForDisplay(*value.value, info.unit), decimals) : "n/a";
    std::string notes = value.value ? std::string() : value.reason;
    if (!value.warnings.empty()) {
      notes += (notes.empty() ? "" : "; ") + std::string("! ") + std::to_string(value.warnings.size()) +
               (value.warnings.size() == 1 ? " warning" : " warnings");
    }
    out << std::left << std::setw(8) << info.key << std::setw(52) << info.name << std::right << std::setw(10) << shown
        << "  " << std::left << std::setw(6) << unitSymbol(info.unit, calibrated) << std::setw(16)
        << (fixed(info.paperMean, decimals) + " (" + fixed(info.paperSd, decimals) + ")") << notes << "\n";
  }
  out << "\nPI-LL mismatch: "
      << (m.indices.piMinusLl ? fixed(*m.indices.piMinusLl, 1) + " deg" : "n/a (" + m.indices.piMinusLlReason + ")")
      << "\nSRS-Schwab sagittal modifiers:";
  for (const auto& modifier : m.indices.schwab) {
    out << "\n  " << std::left << std::setw(6) << modifier.key << " "
        << (modifier.grade ? std::string(schwabGradeKey(*modifier.grade)) : std::string("n/a")) << "  ("
        << (modifier.grade ? std::string(modifier.thresholds) : modifier.reason) << ")";
  }
  out << "\n";
  if (!m.warnings.empty()) {
    out << "\nWarnings:\n";
    for (const auto& warning : m.warnings) out << "  [" << warning.code << "] " << warning.message << "\n";
  }
  out << "\nPaper mean (SD): ground truth of Yeh et al., Sci Rep 2021 (Table 1), a mixed clinical cohort, "
         "not a normal range.\n";
  return out.str();
}

}  // namespace sagitta::core
