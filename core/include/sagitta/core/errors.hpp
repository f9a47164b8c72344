// SPDX-License-Identifier: GPL-3.0-or-later
// Typed errors of the measurement engine. Callers at a process or plugin boundary catch
// sagitta::core::Error and report what() as a one-line reason.
#pragma once

#include <stdexcept>
#include <string>

namespace sagitta::core {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The input (a landmarks file, a landmark value) is malformed or out of range.
class InvalidInput : public Error {
 public:
  using Error::Error;
};

// Calibration attributes are malformed or physically impossible (negative spacing...).
class InvalidCalibration : public Error {
 public:
  using Error::Error;
};

// The landmarks are well-formed but cannot describe an upright lateral spine
// (upside-down, rotated, facing undetermined).
class InvalidGeometry : public Error {
 public:
  using Error::Error;
};

}  // namespace sagitta::core
