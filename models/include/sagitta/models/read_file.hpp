// SPDX-License-Identifier: GPL-3.0-or-later
// A whole file as bytes; callers turn "unreadable" into their own typed error.
#pragma once

#include <optional>
#include <string>

namespace sagitta::models {

std::optional<std::string> readWholeFile(const std::string& path);

}  // namespace sagitta::models
