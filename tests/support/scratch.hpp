// SPDX-License-Identifier: GPL-3.0-or-later
// A fresh, empty scratch folder per test name (and process), under the system's temp folder.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace sagitta::testing {

inline std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sagitta-test-" + name + "-" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace sagitta::testing
