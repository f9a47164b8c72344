// SPDX-License-Identifier: GPL-3.0-or-later
#include "realfilm_report.hpp"
#include "report_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/parameter_catalogue.hpp"

namespace sagitta::cli {
namespace fs = std::filesystem;
namespace {

bool isAngle(std::size_t k) { return core::parameterCatalogue()[k].unit == core::ParameterUnit::Degree; }

// Markdown and CSV cells hold no pipes or newlines.
std::string cell(std::string s) {
  std::replace(s.begin(), s.end(), '|', '/');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string decision(const models::FilmResult& f) {
  if (!f.readError.empty()) return "not read";
  if (!f.measured) return "refused";
  return f.withheld.empty() ? "measured" : "measured (" + std::to_string(f.withheld.size()) + " withheld)";
}

int allowedCount(const models::FilmResult& f) {
  int n = 0;
  for (const double t : f.truth) n += std::isnan(t) ? 0 : 1;
  return n;
}

}  // namespace

bool RealFilmSummary::passes() const {
  return negativesMeasured == 0 && (compared == 0 || worstAngleError <= kMaxRealFilmAngleErrorDeg);
}

RealFilmSummary summariseRealFilms(const models::RealFilmEvaluation& e) {
  RealFilmSummary s;
  double sum = 0.0;
  s.worstAngleError = std::nan("");
  for (const auto& f : e.films) {
    if (!f.readError.empty()) ++s.unreadable;
    if (f.entry.negative()) {
      ++s.negatives;
      s.negativesMeasured += f.measured ? 1 : 0;
      continue;
    }
    ++s.laterals;
    s.lateralsMeasured += f.measured ? 1 : 0;
    if (!f.measured) continue;
    for (std::size_t k = 0; k < core::kParameterCount; ++k) {
      if (!isAngle(k) || std::isnan(f.truth[k]) || std::isnan(f.predicted[k])) continue;
      const double error = std::abs(f.predicted[k] - f.truth[k]);
      sum += error;
      ++s.compared;
      if (std::isnan(s.worstAngleError) || error > s.worstAngleError) {
        s.worstAngleError = error;
        s.worst = f.name + " " + std::string(core::parameterCatalogue()[k].key);
      }
    }
  }
  s.angleMae = s.compared > 0 ? sum / s.compared : std::nan("");
  return s;
}

std::string writeRealFilmReport(const models::RealFilmEvaluation& e, const EvalContext& c, const std::string& listPath,
                                const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw core::InvalidInput("cannot create " + folder + ": " + ec.message());
  const auto s = summariseRealFilms(e);
  std::ostringstream md;
  md << "### Real films: " << c.bundleName << " " << c.bundleVersion << "\n\n"
     << "- bundle sha256: `" << c.bundleSha256 << "`; model: " << c.composition << "; device: " << c.device << "\n"
     << "- films: `" << listPath << "` (" << e.films.size() << " images: " << s.laterals << " lateral spine films, "
     << s.negatives << " negatives that must be refused), each through the production path: read (DICOM, PNG, JPEG), "
        "gate, inference, fail-closed measurement\n"
     << "- compared: every angle parameter a film's annotation allows (all its landmarks annotated) on the films "
        "that were measured; lengths are left out (most films have no pixel spacing)\n"
     << "- annotation uncertainty: the annotations are approximate visual readings. Each annotated point is redrawn "
     << "300 times with an SD of " << fixedOrDash(models::kAnnotationSdHighPx, 0) << " / " << fixedOrDash(models::kAnnotationSdMediumPx, 0)
     << " / " << fixedOrDash(models::kAnnotationSdLowPx, 0)
     << " px per axis for its stated high / medium / low confidence; the SD of each parameter over the redraws is "
        "the \"annotation SD\" below. An error within about twice that SD is within the annotation's own error.\n\n";

  md << "| target | result | limit |\n|---|---|---|\n"
     << "| negatives measured | " << s.negativesMeasured << " of " << s.negatives << " | 0 |\n"
     << "| lateral films measured | " << s.lateralsMeasured << " of " << s.laterals << " | (part 2: at least 6) |\n"
     << "| measured with a failed plausibility check | 0 (fail closed: such a value is withheld or the film refused) | 0 |\n"
     << "| worst angle error on a measured film | " << fixedOrDash(s.worstAngleError, 1) << (s.worst.empty() ? "" : " (" + s.worst + ")")
     << " deg | " << fixedOrDash(kMaxRealFilmAngleErrorDeg, 0) << " deg |\n"
     << "| angle MAE over the compared parameters | " << fixedOrDash(s.angleMae, 1) << " deg (" << s.compared
     << " compared) | (part 2: 5 deg) |\n"
     << "| verdict | " << (s.passes() ? "passes" : "FAILS") << " | |\n\n";

  md << "| film | category | kind | size | decision | reasons | median spread (input px) | annotated | median landmark "
        "error | parameters allowed |\n|---|---|---|---|---|---|---|---|---|---|\n";
  std::ostringstream films;
  films << "film,category,kind,columns,rows,calibrated,decision,reasons,withheld,median_spread_input_px,annotated,"
           "median_landmark_error,error_unit,parameters_allowed,inference_ms\n";
  for (const auto& f : e.films) {
    const std::string unit = f.calibrated ? "mm" : "px";
    md << "| " << f.name << " | " << f.entry.category << " | " << f.entry.kind << " | " << f.columns << " x " << f.rows
       << " | " << decision(f) << " | " << cell(joined(f.reasons, "; ")) << " | " << fixedOrDash(f.medianSpreadInputPx, 1) << " | "
       << (f.entry.negative() ? "-" : std::to_string(f.annotated)) << " | "
       << (std::isnan(f.medianLandmarkError) ? "-" : fixedOrDash(f.medianLandmarkError, 0) + " " + unit) << " | "
       << (f.entry.negative() ? "-" : std::to_string(allowedCount(f)) + (f.annotationNote.empty() ? "" : " (" + cell(f.annotationNote) + ")"))
       << " |\n";
    films << f.name << "," << f.entry.category << "," << f.entry.kind << "," << f.columns << "," << f.rows << ","
          << (f.calibrated ? 1 : 0) << "," << decision(f) << ",\"" << cell(joined(f.reasons, "; ")) << "\",\""
          << joined(f.withheld, " ") << "\"," << fixedOrDash(f.medianSpreadInputPx, 2) << "," << f.annotated << ","
          << fixedOrDash(f.medianLandmarkError, 2) << "," << unit << "," << allowedCount(f) << ","
          << fixedOrDash(f.inferenceSeconds * 1000.0, 0) << "\n";
  }

  md << "\nParameters each annotation allows (annotation value, its SD from the redraws, the model's value where the "
        "film was measured):\n\n| film | parameter | annotation | annotation SD | measured | error |\n|---|---|---|---|---|---|\n";
  std::ostringstream params;
  params << "film,parameter,unit,annotation,annotation_sd,measured,error\n";
  for (const auto& f : e.films) {
    for (std::size_t k = 0; k < core::kParameterCount; ++k) {
      if (std::isnan(f.truth[k])) continue;
      const auto& info = core::parameterCatalogue()[k];
      const std::string unit = isAngle(k) ? "deg" : std::string(core::unitSymbol(info.unit, f.calibrated));
      const double error = f.predicted[k] - f.truth[k];
      md << "| " << f.name << " | " << info.key << " | " << fixedOrDash(f.truth[k], 1) << " " << unit << " | "
         << fixedOrDash(f.annotationSd[k], 1) << " | " << fixedOrDash(f.predicted[k], 1) << " | " << fixedOrDash(error, 1) << " |\n";
      params << f.name << "," << info.key << "," << unit << "," << fixedOrDash(f.truth[k], 3) << "," << fixedOrDash(f.annotationSd[k], 3)
             << "," << fixedOrDash(f.predicted[k], 3) << "," << fixedOrDash(error, 3) << "\n";
    }
  }
  writeTextFile(fs::path(folder) / "realfilms.md", md.str());
  writeTextFile(fs::path(folder) / "films.csv", films.str());
  writeTextFile(fs::path(folder) / "parameters.csv", params.str());
  return md.str();
}

}  // namespace sagitta::cli
