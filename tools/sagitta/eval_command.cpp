// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta eval --bundle B --data DIR [--out DIR]: the paper's metrics on a labelled folder.
#include <ostream>

#include "arguments.hpp"
#include "cli.hpp"
#include "eval_report.hpp"
#include "model_options.hpp"
#include "sagitta/models/evaluation.hpp"

namespace sagitta::cli {

int runEval(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"bundle", "data", "out", "device", "threads"}, {"help", "quiet"});
  if (arguments.flag("help")) {
    io.out << "usage: sagitta eval --data DIR [--bundle B] [--out DIR] [--device D] [--threads N]\n"
              "  DIR holds NAME.dcm (or NAME.png) beside NAME.json (true landmarks, FORMATS.md);\n"
              "  writes evaluation.md, landmarks.csv, parameters.csv, images.csv,\n"
              "  predictions.csv (every landmark of every image) and two PNG plots\n";
    return kExitOk;
  }
  const auto data = arguments.required("data");
  const auto out = arguments.value("out").value_or("evaluation");
  auto engine = makeEngine(arguments);
  const bool quiet = arguments.flag("quiet");
  const auto evaluation = models::evaluateFolder(*engine, data, [&](std::size_t done, std::size_t total) {
    if (!quiet) io.err << "\revaluated " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
  });
  const auto& manifest = engine->manifest();
  std::string composition;
  for (const auto& member : manifest.members) composition += (composition.empty() ? "CPN " : " + CPN ") + member.name;
  if (manifest.refiner) composition += " + local refiner " + manifest.refiner->name;
  const EvalContext context{manifest.name, manifest.version, engine->bundleSha256(), composition, engine->deviceName(), data};
  io.out << writeEvaluationReport(evaluation, context, out);
  return kExitOk;
}

}  // namespace sagitta::cli
