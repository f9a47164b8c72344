// SPDX-License-Identifier: GPL-3.0-or-later
#include "arguments.hpp"

#include <cmath>

namespace sagitta::cli {

Arguments::Arguments(const std::vector<std::string>& args, const std::set<std::string>& valueOptions,
                     const std::set<std::string>& flagOptions) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    const auto equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    if (flagOptions.count(name) > 0) {
      if (equals != std::string::npos) throw UsageError("option --" + name + " takes no value");
      flags_.insert(name);
      continue;
    }
    if (valueOptions.count(name) == 0) throw UsageError("unknown option --" + name);
    if (values_.count(name) > 0) throw UsageError("option --" + name + " given twice");
    if (equals != std::string::npos) {
      values_[name] = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      values_[name] = args[++i];
    } else {
      throw UsageError("option --" + name + " needs a value");
    }
  }
}

std::optional<std::string> Arguments::value(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Arguments::required(const std::string& name) const {
  auto found = value(name);
  if (!found) throw UsageError("option --" + name + " is required");
  return *found;
}

double Arguments::number(const std::string& name) const {
  const std::string text = required(name);
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v)) throw UsageError("--" + name + " must be a number, not '" + text + "'");
  return v;
}

}  // namespace sagitta::cli
