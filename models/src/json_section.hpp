// SPDX-License-Identifier: GPL-3.0-or-later
// Strict reading of configuration objects (models/ only): unknown keys and wrong types are
// ConfigErrors naming the key, so that a misspelt option never silently does nothing.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sagitta/models/errors.hpp"

namespace sagitta::models::detail {

using Json = nlohmann::json;

// Reads the keys of one object, refusing unknown ones.
class Section {
 public:
  Section(const Json& json, std::string where) : json_(json), where_(std::move(where)) {
    if (!json_.is_object()) throw ConfigError(where_ + " must be an object");
  }
  ~Section() = default;
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  template <typename T>
  void read(const char* key, T& value) {
    known_.insert(key);
    if (!json_.contains(key)) return;
    try {
      value = json_.at(key).get<T>();
    } catch (const Json::exception&) {
      throw ConfigError(where_ + "." + key + " has the wrong type");
    }
  }
  bool has(const char* key) {
    known_.insert(key);
    return json_.contains(key);
  }
  const Json& at(const char* key) const { return json_.at(key); }
  std::string where(const char* key) const { return where_ + "." + key; }
  void finish() const {
    for (const auto& item : json_.items()) {
      if (!known_.count(item.key())) throw ConfigError("unknown key " + where_ + "." + item.key().substr(0, 40));
    }
  }

 private:
  const Json& json_;
  std::string where_;
  std::set<std::string> known_;
};

inline void requireRange(bool ok, const std::string& what) {
  if (!ok) throw ConfigError(what + " is out of range");
}

inline void readPair(Section& s, const char* key, double& lo, double& hi) {
  std::vector<double> pair{lo, hi};
  s.read(key, pair);
  if (pair.size() != 2 || pair[0] > pair[1]) throw ConfigError(s.where(key) + " must be [low, high]");
  lo = pair[0];
  hi = pair[1];
}

}  // namespace sagitta::models::detail
