// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/routing.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>

namespace sagitta::plugin {
namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // DICOM pads with spaces; values compare trimmed.
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

std::string fact(const InstanceFacts& facts, const char* key) {
  const auto it = facts.find(key);
  return it == facts.end() ? std::string() : it->second;
}

bool inList(const std::vector<std::string>& list, const std::string& value) {
  const auto v = upper(value);
  return std::any_of(list.begin(), list.end(), [&](const std::string& e) { return upper(e) == v; });
}

std::optional<std::regex> compile(const std::optional<std::string>& pattern, const std::string& rule) {
  if (!pattern) return std::nullopt;
  try {
    return std::regex(*pattern, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error&) {
    throw std::invalid_argument("rule \"" + rule + "\": invalid regular expression \"" + pattern->substr(0, 60) + "\"");
  }
}

}  // namespace

struct Router::Compiled {
  std::vector<std::optional<std::regex>> series, protocol;
};

Router::Router(std::vector<RoutingRule> rules) : rules_(std::move(rules)) {
  auto compiled = std::make_shared<Compiled>();
  for (const auto& r : rules_) {
    compiled->series.push_back(compile(r.seriesDescription, r.name));
    compiled->protocol.push_back(compile(r.protocolName, r.name));
  }
  compiled_ = compiled;
}

RouteDecision Router::decide(const InstanceFacts& facts) const {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    const auto listHolds = [&](const std::vector<std::string>& list, const char* key) {
      return list.empty() || inList(list, fact(facts, key));
    };
    bool holds = listHolds(r.modalities, "Modality") && listHolds(r.sopClassUids, "SOPClassUID") &&
                 listHolds(r.bodyParts, "BodyPartExamined") && listHolds(r.viewPositions, "ViewPosition") &&
                 listHolds(r.callingAets, "RemoteAET") && listHolds(r.calledAets, "CalledAET");
    const auto& series = compiled_->series[i];
    const auto& protocol = compiled_->protocol[i];
    if (holds && series) holds = std::regex_search(fact(facts, "SeriesDescription"), *series);
    if (holds && protocol) holds = std::regex_search(fact(facts, "ProtocolName"), *protocol);
    if (holds && r.minRows > 0) {
      int rows = 0;
      try {
        rows = std::stoi(fact(facts, "Rows"));
      } catch (const std::exception&) {
        rows = 0;
      }
      holds = rows >= r.minRows;
    }
    if (holds) {
      const bool analyse = r.action == RouteAction::Analyse;
      return {r.action, r.name, (analyse ? "selected by rule \"" : "skipped by rule \"") + r.name + "\"",
              analyse ? r.forward : std::vector<std::string>()};
    }
  }
  return {RouteAction::Skip, "", "no routing rule selects this instance (modality " + fact(facts, "Modality") +
                                     ", body part " + fact(facts, "BodyPartExamined") + ", view " +
                                     fact(facts, "ViewPosition") + ")", {}};
}

Destination parseDestination(const std::string& text) {
  Destination d;
  std::string name = text;
  if (text.rfind("modality:", 0) == 0) {
    name = text.substr(9);
  } else if (text.rfind("peer:", 0) == 0) {
    d.kind = Destination::Kind::Peer;
    name = text.substr(5);
  }
  // Orthanc's symbolic names go into a REST path: keep them to a safe alphabet.
  if (name.empty() || name.size() > 64) throw std::invalid_argument("destination \"" + text.substr(0, 80) + "\" has no name");
  for (const char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                    ch == '_' || ch == '.';
    if (!ok) throw std::invalid_argument("destination \"" + text.substr(0, 80) + "\": names use A-Z a-z 0-9 - _ .");
  }
  d.name = name;
  return d;
}

std::vector<RoutingRule> defaultRules() {
  RoutingRule spine;
  spine.name = "whole-spine lateral (CR/DX)";
  spine.action = RouteAction::Analyse;
  spine.modalities = {"CR", "DX"};
  spine.bodyParts = {"SPINE", "WHOLESPINE", "WHOLE SPINE", "CSPINE", "TSPINE", "LSPINE", "CTSPINE", "TLSPINE", "LSSPINE"};
  spine.viewPositions = {"LL", "RL", "LAT", "LATERAL", "LLD", "RLD"};
  return {spine};
}

}  // namespace sagitta::plugin
