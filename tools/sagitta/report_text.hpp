// SPDX-License-Identifier: GPL-3.0-or-later
// Small text helpers shared by the evaluation reports (eval_report, realfilm_report).
#pragma once

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "sagitta/core/errors.hpp"

namespace sagitta::cli {

// A number with a fixed number of decimals; "-" for NaN (not measured, not compared).
inline std::string fixedOrDash(double v, int digits) {
  if (std::isnan(v)) return "-";
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

// Throws core::InvalidInput naming the file when it cannot be written.
inline void writeTextFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw core::InvalidInput("cannot write " + path.string());
}

}  // namespace sagitta::cli
