// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta eval --bundle B --data DIR [--out DIR]: the paper's metrics on a labelled folder.
// sagitta eval --films LIST.tsv [--out DIR] [--check]: real films with partial annotations.
#include <ostream>

#include "arguments.hpp"
#include "cli.hpp"
#include "eval_report.hpp"
#include "realfilm_report.hpp"
#include "model_options.hpp"
#include "sagitta/models/evaluation.hpp"
#include "sagitta/models/real_film_evaluation.hpp"

namespace sagitta::cli {
namespace {

EvalContext contextOf(models::InferenceEngine& engine, const std::string& data) {
  const auto& manifest = engine.manifest();
  std::string composition;
  for (const auto& member : manifest.members) composition += (composition.empty() ? "CPN " : " + CPN ") + member.name;
  if (manifest.refiner) composition += " + local refiner " + manifest.refiner->name;
  return {manifest.name, manifest.version, engine.bundleSha256(), composition, engine.deviceName(), data};
}

}  // namespace

int runEval(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"bundle", "data", "films", "out", "device", "threads"}, {"help", "quiet", "check"});
  if (arguments.flag("help")) {
    io.out << "usage: sagitta eval --data DIR [--bundle B] [--out DIR] [--device D] [--threads N]\n"
              "       sagitta eval --films LIST.tsv [--bundle B] [--out DIR] [--check]\n"
              "  --data: DIR holds NAME.dcm (or NAME.png / NAME.jpg) beside NAME.json (true landmarks,\n"
              "  FORMATS.md); writes evaluation.md, landmarks.csv, parameters.csv, images.csv,\n"
              "  predictions.csv (every landmark of every image) and two PNG plots\n"
              "  --films: a films.tsv (set, category, kind, image, annotation, pixel_spacing_mm; paths\n"
              "  relative to it, '-' for none) of real films whose annotations may hold any subset of\n"
              "  the landmarks, negatives without; writes realfilms.md, films.csv, parameters.csv.\n"
              "  --check exits 3 when a negative is measured or a measured film is more than 10 deg\n"
              "  off its annotation on any angle it allows\n";
    return kExitOk;
  }
  if (arguments.value("films").has_value() == arguments.value("data").has_value()) {
    throw UsageError("give either --data DIR or --films LIST.tsv");
  }
  const bool quiet = arguments.flag("quiet");
  if (const auto list = arguments.value("films")) {
    const auto films = models::readFilmList(*list);
    auto engine = makeEngine(arguments);
    const auto evaluation = models::evaluateFilms(*engine, films, [&](std::size_t done, std::size_t total) {
      if (!quiet) io.err << "\revaluated " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
    });
    const auto context = contextOf(*engine, *list);
    io.out << writeRealFilmReport(evaluation, context, *list, arguments.value("out").value_or("realfilms"));
    if (arguments.flag("check") && !summariseRealFilms(evaluation).passes()) {
      io.err << "sagitta eval: the real-film check FAILS (a negative measured, or a measured angle more than "
             << kMaxRealFilmAngleErrorDeg << " deg off its annotation)\n";
      return kExitCheckFailed;
    }
    return kExitOk;
  }
  const auto data = arguments.required("data");
  const auto out = arguments.value("out").value_or("evaluation");
  auto engine = makeEngine(arguments);
  const auto evaluation = models::evaluateFolder(*engine, data, [&](std::size_t done, std::size_t total) {
    if (!quiet) io.err << "\revaluated " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
  });
  const auto context = contextOf(*engine, data);
  io.out << writeEvaluationReport(evaluation, context, out);
  return kExitOk;
}

}  // namespace sagitta::cli
