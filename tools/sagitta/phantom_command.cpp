// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta phantom --count N --seed S --out DIR --mode dicom|png|optical [--variety ...]
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <stdexcept>

#include "arguments.hpp"
#include "cli.hpp"
#include "phantom_outputs.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/models/field_of_view.hpp"
#include "sagitta/phantom/generator.hpp"

namespace sagitta::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHelp =
    "usage: sagitta phantom --out DIR [--count N] [--seed S] [--mode dicom|png|optical]\n"
    "                       [--variety mixed|normal|KEY[,KEY...]] [--rows R] [--first I]\n"
    "                       [--contact-sheet FILE.png] [--field-of-view KIND]\n"
    "  --mode dicom    full-size DX (0.1-0.2 mm, 5000-8000 rows) + truth JSON (default)\n"
    "  --mode png      8-bit windowed PNG at --rows (default 864) + truth JSON, for training\n"
    "  --mode optical  phone photo / screenshot of the film (JPEG) + vertebra masks JSON\n"
    "  --variety       mixed (clinical frequencies, default), normal, showcase (one variety\n"
    "                  per case, cycling), or forced keys:\n"
    "                  scoliosis hyperkyphosis flatback spondylolisthesis degenerative\n"
    "                  osteoporosis instrumentation cage hip-prosthesis\n"
    "  --field-of-view (png) cuts each film to a partial field as training does: lumbar,\n"
    "                  thoracolumbar, thoracic, cervical, window, whole, or mixed (all of them\n"
    "                  in turn); the truth JSON then holds only the landmarks on the cut\n"
    "  Case i depends only on (seed, i): --first selects where numbering starts.\n";

long parseInteger(const std::string& option, const std::string& text, long lo, long hi) {
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < lo || value > hi) {
    throw UsageError("--" + option + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return value;
}

std::uint64_t parseSeed(const std::string& text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-') throw UsageError("--seed must be a non-negative integer");
  return value;
}

void progress(std::ostream& err, int done, int total, std::chrono::steady_clock::time_point start) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double eta = done > 0 ? elapsed / done * (total - done) : 0.0;
  const int width = 30;
  const int filled = total > 0 ? width * done / total : width;
  err << "\r[" << std::string(static_cast<std::size_t>(filled), '#') << std::string(static_cast<std::size_t>(width - filled), '.')
      << "] " << done << "/" << total << std::fixed << std::setprecision(1) << "  " << elapsed << " s, ETA " << eta
      << " s   " << std::flush;
  if (done == total) err << "\n";
}

}  // namespace

int runPhantom(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"out", "count", "seed", "mode", "variety", "rows", "first", "contact-sheet",
                                   "field-of-view"},
                            {"help", "quiet"});
  if (arguments.flag("help")) {
    io.out << kHelp;
    return kExitOk;
  }
  if (!arguments.positional().empty()) throw UsageError("unexpected argument " + arguments.positional()[0]);
  const fs::path out = arguments.required("out");
  const int count = static_cast<int>(parseInteger("count", arguments.value("count").value_or("1"), 1, 1000000));
  const int first = static_cast<int>(parseInteger("first", arguments.value("first").value_or("0"), 0, 100000000));
  const std::uint64_t seed = parseSeed(arguments.value("seed").value_or("1"));
  const std::string mode = arguments.value("mode").value_or("dicom");
  const auto kind = outputKindFromKey(mode);
  if (!kind) throw UsageError("--mode must be dicom, png or optical");

  phantom::GeneratorOptions options;
  try {
    options.varieties = phantom::VarietyPolicy::parse(arguments.value("variety").value_or("mixed"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--variety: ") + e.what());
  }
  if (*kind != OutputKind::Dicom) {
    options.rows = static_cast<int>(parseInteger("rows", arguments.value("rows").value_or("864"), 64, 20000));
  } else if (arguments.value("rows")) {
    throw UsageError("--rows applies to png and optical modes; dicom is always full size");
  }

  std::optional<std::string> field = arguments.value("field-of-view");
  if (field && *kind != OutputKind::Png) throw UsageError("--field-of-view applies to png mode");
  if (field) {
    bool known = *field == "mixed";
    for (std::size_t k = 0; k < models::kFieldOfViewKinds; ++k) known |= *field == models::fieldOfViewKey(static_cast<models::FieldOfView>(k));
    if (!known) throw UsageError("--field-of-view must be lumbar, thoracolumbar, thoracic, cervical, window, whole or mixed");
  }

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw core::InvalidInput("cannot create " + out.string() + ": " + ec.message());

  std::vector<cv::Mat> thumbnails;
  const bool quiet = arguments.flag("quiet");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const auto phantomCase = phantom::generateCase(seed, first + i, options);
    if (field) {
      writeCutCase(phantomCase, *field, out);
    } else {
      writeCase(phantomCase, *kind, out);
    }
    if (arguments.value("contact-sheet")) thumbnails.push_back(thumbnail(phantomCase, 360));
    if (!quiet) progress(io.err, i + 1, count, start);
  }
  if (const auto sheet = arguments.value("contact-sheet")) writeContactSheet(thumbnails, *sheet);
  return kExitOk;
}

}  // namespace sagitta::cli
