// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta catalogue [--format json|table]: the landmark and parameter catalogues.
#include <iomanip>
#include <ostream>

#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/core/parameter_catalogue.hpp"

namespace sagitta::cli {

int runCatalogue(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"format"}, {});
  const std::string format = arguments.value("format").value_or("table");
  if (format != "json" && format != "table") throw UsageError("--format must be json or table");

  if (format == "json") {
    nlohmann::ordered_json landmarks = nlohmann::ordered_json::array();
    for (const auto& info : core::landmarkCatalogue()) {
      landmarks.push_back({{"index", core::indexOf(info.id)},
                           {"id", info.key},
                           {"description", info.description},
                           {"region", core::regionName(info.region)}});
    }
    nlohmann::ordered_json parameters = nlohmann::ordered_json::array();
    for (const auto& info : core::parameterCatalogue()) {
      nlohmann::ordered_json needs = nlohmann::ordered_json::array();
      for (const auto id : info.landmarks) needs.push_back(core::landmarkKey(id));
      parameters.push_back({{"id", info.key},
                            {"name", info.name},
                            {"group", core::groupName(info.group)},
                            {"unit", core::unitSymbol(info.unit, true)},
                            {"definition", info.definition},
                            {"landmarks", needs},
                            {"paper_mean", info.paperMean},
                            {"paper_sd", info.paperSd}});
    }
    io.out << nlohmann::ordered_json{{"landmarks", landmarks}, {"parameters", parameters}}.dump(2) << "\n";
    return kExitOk;
  }

  io.out << "Landmarks (channel order)\n";
  for (const auto& info : core::landmarkCatalogue()) {
    io.out << std::setw(3) << core::indexOf(info.id) << "  " << std::left << std::setw(9) << info.key
           << std::setw(10) << core::regionName(info.region) << info.description << std::right << "\n";
  }
  io.out << "\nParameters\n";
  for (const auto& info : core::parameterCatalogue()) {
    io.out << std::left << std::setw(8) << info.key << std::setw(6) << core::unitSymbol(info.unit, true)
           << info.definition << "\n        needs:";
    for (const auto id : info.landmarks) io.out << " " << core::landmarkKey(id);
    io.out << std::right << "\n";
  }
  return kExitOk;
}

}  // namespace sagitta::cli
