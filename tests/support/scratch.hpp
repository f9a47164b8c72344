// SPDX-License-Identifier: GPL-3.0-or-later
// A fresh, empty scratch folder per test name (and process), under the system's temp folder.
// The folders a process made are removed when it exits, unless SAGITTA_KEEP_SCRATCH is set
// (to look at what a failing test left).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace sagitta::testing {

namespace detail {
struct ScratchRegistry {
  std::vector<std::filesystem::path> folders;
  ~ScratchRegistry() {
    if (std::getenv("SAGITTA_KEEP_SCRATCH") != nullptr) return;
    std::error_code ignored;
    for (const auto& folder : folders) std::filesystem::remove_all(folder, ignored);
  }
};
inline ScratchRegistry& registry() {
  static ScratchRegistry r;
  return r;
}
}  // namespace detail

inline std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sagitta-test-" + name + "-" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  detail::registry().folders.push_back(dir);
  return dir;
}

}  // namespace sagitta::testing
