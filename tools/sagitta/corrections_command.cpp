// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta corrections --from URL --out DIR [--since DATE] [--user USER:PASSWORD]: the films a
// node's reviewers approved or corrected, as the training folder `sagitta train` reads
// (NAME.dcm beside its landmarks file NAME.json; the DICOM keeps its Patient ID, which is how
// training splits by patient), with corrections.json saying who decided what and when.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "cli.hpp"
#include "http_client.hpp"
#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"

namespace sagitta::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxIndexBytes = 256U << 20U;  // the list with every film's landmarks
constexpr std::size_t kMaxFilmBytes = 2048ULL << 20U;

constexpr const char* kCorrectionsUsage =
    "usage: sagitta corrections --from URL --out DIR [--since YYYY-MM-DD] [--user USER:PASSWORD]\n"
    "  the reviewed films of a running Sagitta node as a training folder; the credentials may\n"
    "  also come from SAGITTA_CREDENTIALS (USER:PASSWORD), which keeps them out of the process list\n";

void writeFile(const fs::path& path, const std::string& bytes) {
  const auto partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << bytes;
    if (!out) throw core::InvalidInput("cannot write " + partial);
  }
  fs::rename(partial, path);  // a film is there whole or not at all
}

// A name from the node is used as a file name only when it is one.
bool safeName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

int runCorrections(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"from", "out", "since", "user"}, {"help"});
  if (arguments.flag("help")) {
    io.out << kCorrectionsUsage;
    return kExitOk;
  }
  if (!arguments.value("from") || !arguments.value("out") || !arguments.positional().empty()) {
    io.err << kCorrectionsUsage;
    return kExitBadInput;
  }
  HttpUrl node;
  try {
    node = parseHttpUrl(arguments.required("from"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::string credentials = arguments.value("user").value_or("");
  if (credentials.empty() && std::getenv("SAGITTA_CREDENTIALS") != nullptr) credentials = std::getenv("SAGITTA_CREDENTIALS");
  const std::string since = arguments.value("since").value_or("");
  if (since.find_first_not_of("0123456789-:TZ") != std::string::npos) throw UsageError("--since must be YYYY-MM-DD");
  const fs::path out = arguments.required("out");
  fs::create_directories(out);

  nlohmann::json index;
  try {
    index = nlohmann::json::parse(httpGet(node, "/sagitta/corrections" + (since.empty() ? "" : "?since=" + since), credentials,
                                          kMaxIndexBytes));
  } catch (const nlohmann::json::exception&) {
    throw core::InvalidInput("the node's /sagitta/corrections is not JSON: is this a Sagitta node?");
  }
  nlohmann::ordered_json manifest{{"from", arguments.required("from")}, {"since", since}, {"films", nlohmann::ordered_json::array()}};
  int corrected = 0, approved = 0;
  for (const auto& entry : index.at("corrections")) {
    const auto name = entry.at("name").get<std::string>();
    const auto instance = entry.at("instance").get<std::string>();
    if (!safeName(name) || !safeName(instance)) throw core::InvalidInput("the node named a film unsafely: " + name.substr(0, 40));
    // Parsed before anything is written: a landmarks file training could not read is not exported.
    const auto landmarks = core::parseLandmarksJson(entry.at("landmarks").dump());
    writeFile(out / (name + ".dcm"), httpGet(node, "/instances/" + instance + "/file", credentials, kMaxFilmBytes));
    writeFile(out / (name + ".json"), core::landmarksToJson(landmarks));
    nlohmann::ordered_json record = nlohmann::ordered_json::parse(entry.dump());
    record.erase("landmarks");
    manifest["films"].push_back(std::move(record));
    (entry.value("landmarks_changed_from_model", 0) > 0 ? corrected : approved) += 1;
  }
  writeFile(out / "corrections.json", manifest.dump(2) + "\n");
  io.out << manifest["films"].size() << " reviewed film(s) exported to " << out.string() << " (" << corrected
         << " with points corrected, " << approved << " approved as the model proposed)\n";
  return kExitOk;
}

}  // namespace sagitta::cli
