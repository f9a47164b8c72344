// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "arguments.hpp"
#include "http_client.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/version.hpp"

namespace sagitta::cli {
namespace {

constexpr const char* kUsage =
    "usage: sagitta <command> [options]\n"
    "\n"
    "commands:\n"
    "  measure    --landmarks FILE.json [--format json|table] [--strict]\n"
    "             the 18 sagittal parameters, indices and warnings from a landmarks file\n"
    "  catalogue  [--format json|table]\n"
    "             the 45 landmarks and the 18 parameters with the landmarks each needs\n"
    "  phantom    --out DIR [--count N] [--seed S] [--mode dicom|png|optical] [--variety ...]\n"
    "             [--rows R] [--first I] [--contact-sheet FILE.png]\n"
    "             synthetic whole-spine lateral radiographs with exact ground truth\n"
    "  report     IN.dcm --landmarks L.json --out DIR\n"
    "             TID 1500 SR, overlay Secondary Capture and parameters JSON for given landmarks\n"
    "  dump-sr    SR.dcm   our SR back as landmarks and parameters JSON\n"
    "  info       IN.dcm   decode a radiograph; print identifiers, view, calibration, window\n"
    "  analyse    IN.dcm|IN.png|IN.jpg --out DIR [--bundle B] [--format json|table] [--no-sc]\n"
    "             [--pixel-spacing MM] [--device auto|cpu|cuda:N] [--threads N]\n"
    "             find the 45 landmarks, measure (fail closed), write SR, overlay SC and JSON\n"
    "  eval       --data DIR | --films LIST.tsv [--check] [--bundle B] [--out DIR] [--device D] [--threads N]\n"
    "             the paper's metrics on a labelled folder, or real films with partial annotations\n"
    "  bundle     --member RUN [--member2 RUN] [--refiner RUN [--refiner-passes N]] --out DIR\n"
    "             [--name N] [--version V] [--commit C]\n"
    "             package trained runs as a model bundle (ensemble kept when it helps)\n"
    "  train      --config FILE.json [--resume]\n"
    "             train a landmark network on phantoms and / or an annotated folder\n"
    "  corrections --from URL --out DIR [--since YYYY-MM-DD] [--user USER:PASSWORD]\n"
    "             a node's reviewed films as a training folder (DICOM + landmarks JSON)\n"
    "  version    print the version\n"
    "\n"
    "exit status: 0 success, 1 internal error, 2 bad input or usage (or not measured),\n"
    "3 a failed check (eval --check)\n";

}  // namespace

std::string readInputFile(const std::string& path, std::istream& in, std::size_t maxBytes) {
  std::string content;
  auto readAll = [&](std::istream& stream) {
    char chunk[65536];
    while (stream.read(chunk, sizeof chunk) || stream.gcount() > 0) {
      content.append(chunk, static_cast<std::size_t>(stream.gcount()));
      if (content.size() > maxBytes) {
        throw core::InvalidInput(path + " is larger than " + std::to_string(maxBytes) + " bytes");
      }
    }
  };
  if (path == "-") {
    readAll(in);
    return content;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw core::InvalidInput("cannot read " + path + ": " + std::strerror(errno));
  readAll(file);
  if (file.bad()) throw core::InvalidInput("cannot read " + path + ": I/O error");
  return content;
}

int run(const std::vector<std::string>& args, Streams io) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? io.err : io.out) << kUsage;
    return args.empty() ? kExitBadInput : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& command = args[0];
  try {
    if (command == "measure") return runMeasure(rest, io);
    if (command == "catalogue") return runCatalogue(rest, io);
    if (command == "phantom") return runPhantom(rest, io);
    if (command == "report") return runReport(rest, io);
    if (command == "dump-sr") return runDumpSr(rest, io);
    if (command == "info") return runInfo(rest, io);
    if (command == "train") return runTrain(rest, io);
    // The product writes "analyse"; the American spelling is accepted for those who type it.
    if (command == "analyse" || command == "analyze") return runAnalyse(rest, io);
    if (command == "eval") return runEval(rest, io);
    if (command == "bundle") return runBundle(rest, io);
    if (command == "corrections") return runCorrections(rest, io);
    if (command == "version" || command == "--version") {
      io.out << "sagitta " << kVersion << "\n";
      return kExitOk;
    }
    throw UsageError("unknown command \"" + command + "\" (see sagitta --help)");
  } catch (const UsageError& e) {
    io.err << "sagitta " << command << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const core::Error& e) {
    io.err << "sagitta " << command << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const HttpError& e) {
    io.err << "sagitta " << command << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const models::ModelError& e) {
    io.err << "sagitta " << command << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    io.err << "sagitta " << command << ": internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace sagitta::cli
