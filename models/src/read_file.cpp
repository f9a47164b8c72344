// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/read_file.hpp"

#include <fstream>
#include <sstream>

namespace sagitta::models {

std::optional<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

}  // namespace sagitta::models
