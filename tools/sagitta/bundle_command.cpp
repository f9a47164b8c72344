// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta bundle --member RUN [--member2 RUN] [--refiner RUN] --out DIR: packages training runs
// as a model bundle; the selection and the gate calibration are models::buildBundle's
// (training library).

#include <cmath>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/models/bundle_builder.hpp"

namespace sagitta::cli {

int runBundle(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"member", "member2", "refiner", "refiner-passes", "out", "name", "version", "commit"},
                            {"help"});
  if (arguments.flag("help")) {
    io.out << "usage: sagitta bundle --member RUN [--member2 RUN] [--refiner RUN [--refiner-passes N]] --out DIR\n"
              "                      [--name N] [--version V] [--commit SHA]\n";
    return kExitOk;
  }
  models::BundleBuildOptions options;
  options.members.emplace_back(arguments.required("member"));
  if (const auto second = arguments.value("member2")) options.members.emplace_back(*second);
  options.out = arguments.required("out");
  if (const auto refiner = arguments.value("refiner")) options.refiner = *refiner;
  if (arguments.value("refiner-passes")) {
    const double passes = arguments.number("refiner-passes");
    if (!(passes >= 1 && passes <= 4) || passes != std::floor(passes)) throw UsageError("--refiner-passes must be 1 to 4");
    options.refinerPasses = static_cast<int>(passes);
  }
  options.name = arguments.value("name").value_or(options.name);
  options.version = arguments.value("version").value_or(options.version);
  options.commit = arguments.value("commit").value_or("");
  const auto built = models::buildBundle(options, io.err);
  io.out << "bundle " << options.out.string() << " (" << built.kept << "), sha256 " << built.sha256 << "\n"
         << built.metricsJson << "\n";
  return kExitOk;
}

}  // namespace sagitta::cli
