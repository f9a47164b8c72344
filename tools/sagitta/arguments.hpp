// SPDX-License-Identifier: GPL-3.0-or-later
// A small command-line parser: "--name value", "--name=value", boolean flags, positionals.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sagitta::cli {

// A usage mistake: the command prints the message and exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Arguments {
 public:
  // Throws UsageError for an unknown option, a missing value or a repeated option.
  Arguments(const std::vector<std::string>& args, const std::set<std::string>& valueOptions,
            const std::set<std::string>& flagOptions);

  std::optional<std::string> value(const std::string& name) const;
  std::string required(const std::string& name) const;  // throws UsageError when absent
  // The option's value as a finite number; throws UsageError when it is absent or not one.
  double number(const std::string& name) const;
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace sagitta::cli
