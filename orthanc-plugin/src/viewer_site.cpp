// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/viewer_site.hpp"

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

namespace sagitta::plugin {
namespace fs = std::filesystem;

namespace {

// Characters of the dist's file names and OHIF's routes; anything else is not ours to serve.
bool safeSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '@' || c == '+' || c == '~';
}

bool safeRelative(const std::string& relative) {
  if (relative.size() > 512) return false;
  std::size_t start = 0;
  while (start <= relative.size()) {
    const auto end = relative.find('/', start);
    const auto segment = relative.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end != std::string::npos && segment.empty()) return false;  // "//"
    if (segment == "." || segment == "..") return false;
    if (!segment.empty() && segment.front() == '.') return false;  // hidden files (the marker)
    for (const char c : segment) {
      if (!safeSegmentChar(c)) return false;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

}  // namespace

ViewerSite::ViewerSite(const fs::path& folder) {
  std::error_code error;
  if (folder.empty() || !fs::is_directory(folder, error)) {
    throw ViewerSiteError("the OHIF folder " + folder.string() + " does not exist (scripts/install_ohif.sh installs it)");
  }
  folder_ = fs::canonical(folder, error);
  if (error) throw ViewerSiteError("the OHIF folder " + folder.string() + " cannot be read: " + error.message());
  if (!fs::is_regular_file(folder_ / "index.html", error)) {
    throw ViewerSiteError("the OHIF folder " + folder_.string() + " has no index.html");
  }
  std::ifstream marker(folder_ / ".sagitta-relocated");
  std::string prefix;
  std::getline(marker, prefix);
  if (prefix.empty()) {
    throw ViewerSiteError("the OHIF folder " + folder_.string() + " is not relocated to " + kViewerPrefix +
                          " (install it with scripts/install_ohif.sh)");
  }
  if (prefix != kViewerPrefix) {
    throw ViewerSiteError("the OHIF folder " + folder_.string() + " is relocated to " + prefix.substr(0, 40) +
                          ", not " + kViewerPrefix);
  }
}

std::optional<SiteFile> ViewerSite::resolve(const std::string& relative) const {
  if (!safeRelative(relative)) return std::nullopt;
  const fs::path index = folder_ / "index.html";
  if (relative.empty() || relative.back() == '/') return SiteFile{index, mimeTypeOf(index)};
  const fs::path candidate = folder_ / relative;
  std::error_code error;
  if (fs::is_regular_file(candidate, error)) {
    // A link inside the dist must not lead out of it.
    const auto real = fs::canonical(candidate, error);
    if (error) return std::nullopt;
    const auto rel = real.lexically_relative(folder_);
    if (rel.empty() || *rel.begin() == "..") return std::nullopt;
    return SiteFile{real, mimeTypeOf(real)};
  }
  const auto slash = relative.rfind('/');
  const auto last = relative.substr(slash == std::string::npos ? 0 : slash + 1);
  if (last.find('.') == std::string::npos) return SiteFile{index, mimeTypeOf(index)};
  return std::nullopt;
}

std::string mimeTypeOf(const fs::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".wasm", "application/wasm"}, {".svg", "image/svg+xml"},
      {".png", "image/png"}, {".ico", "image/x-icon"}, {".jpg", "image/jpeg"}, {".gif", "image/gif"},
      {".woff", "font/woff"}, {".woff2", "font/woff2"}, {".ttf", "font/ttf"}, {".txt", "text/plain; charset=utf-8"},
      {".xml", "application/xml"}, {".map", "application/json"}, {".onnx", "application/octet-stream"}};
  const auto found = types.find(file.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

std::string ohifAppConfig(const std::string& dicomWebRoot) {
  std::string root = dicomWebRoot.empty() ? "/dicom-web" : dicomWebRoot;
  if (root.front() != '/') root.insert(root.begin(), '/');
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::string basename = kViewerPrefix;
  basename.pop_back();
  // Same origin as Orthanc: root-relative URLs, and the browser's Orthanc credentials apply.
  const nlohmann::ordered_json config = {
      {"routerBasename", basename},
      {"showStudyList", true},
      {"extensions", nlohmann::json::array()},
      {"modes", nlohmann::json::array()},
      {"showWarningMessageForCrossOrigin", false},
      {"showCPUFallbackMessage", true},
      {"showLoadingIndicator", true},
      {"maxNumberOfWebWorkers", 2},
      {"defaultDataSourceName", "orthanc"},
      {"dataSources",
       {{{"namespace", "@ohif/extension-default.dataSourcesModule.dicomweb"},
         {"sourceName", "orthanc"},
         {"configuration",
          {{"friendlyName", "Orthanc (Sagitta)"},
           {"name", "orthanc"},
           {"wadoUriRoot", root},
           {"qidoRoot", root},
           {"wadoRoot", root},
           {"qidoSupportsIncludeField", false},
           {"imageRendering", "wadors"},
           {"thumbnailRendering", "wadors"},
           {"enableStudyLazyLoad", true},
           {"supportsFuzzyMatching", false},
           {"supportsWildcard", true},
           {"omitQuotationForMultipartRequest", true},
           {"bulkDataURI", {{"enabled", true}}}}}}}}};
  return "// Generated by the Sagitta plugin: OHIF over this Orthanc's DICOMweb.\nwindow.config = " + config.dump(2) +
         ";\n";
}

}  // namespace sagitta::plugin
