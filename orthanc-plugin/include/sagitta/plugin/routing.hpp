// SPDX-License-Identifier: GPL-3.0-or-later
// Routing rules: an ordered list, the first rule whose conditions all hold decides (analyse or
// skip); no rule matching means skip. Conditions read DICOM values Orthanc already indexed.
#pragma once

#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace sagitta::plugin {

enum class RouteAction { Analyse, Skip };

struct RoutingRule {
  std::string name;
  RouteAction action = RouteAction::Analyse;
  // Each present condition must hold. Lists match case-insensitively, any element.
  std::vector<std::string> modalities, sopClassUids, bodyParts, viewPositions, callingAets, calledAets;
  std::optional<std::string> seriesDescription, protocolName;  // ECMAScript regex, searched, case-insensitive
  int minRows = 0;
  std::vector<std::string> forward;  // destinations of the results ("modality:NAME" / "peer:NAME")
};

// What a rule can read of an instance: DICOM keyword -> value ("Modality", "SOPClassUID",
// "BodyPartExamined", "ViewPosition", "SeriesDescription", "ProtocolName", "Rows"; the loop
// guard reads "Manufacturer") plus the association's "RemoteAET" and "CalledAET".
using InstanceFacts = std::map<std::string, std::string>;

struct RouteDecision {
  RouteAction action = RouteAction::Skip;
  std::string rule;    // the deciding rule, or "" when none matched
  std::string reason;  // one line for the job's record
  std::vector<std::string> forward;  // the deciding rule's destinations
};

// A result destination: an Orthanc DICOM modality (C-STORE) or an Orthanc peer (HTTP).
struct Destination {
  enum class Kind { Modality, Peer };
  Kind kind = Kind::Modality;
  std::string name;
  std::string key() const { return (kind == Kind::Modality ? "modality:" : "peer:") + name; }
};
// "modality:NAME", "peer:NAME", or a bare NAME (a modality). Throws std::invalid_argument.
Destination parseDestination(const std::string& text);

class Router {
 public:
  explicit Router(std::vector<RoutingRule> rules);  // throws std::invalid_argument on a bad regex
  RouteDecision decide(const InstanceFacts& facts) const;
  const std::vector<RoutingRule>& rules() const { return rules_; }

 private:
  std::vector<RoutingRule> rules_;
  struct Compiled;  // the rules' regular expressions (<regex> stays out of this header)
  std::shared_ptr<const Compiled> compiled_;
};

// The default: CR and DX films of the spine in a lateral view, nothing else.
std::vector<RoutingRule> defaultRules();

}  // namespace sagitta::plugin
