// SPDX-License-Identifier: GPL-3.0-or-later
// OHIF's prebuilt viewer served by the plugin at /ohif/ (scripts/install_ohif.sh installs and
// relocates it): which file answers a request path, and the app-config.js pointing OHIF at
// this Orthanc's DICOMweb. No Orthanc here; the plugin only answers with what this returns.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace sagitta::plugin {

// The URL prefix OHIF is relocated to and served at.
inline constexpr const char* kViewerPrefix = "/ohif/";

class ViewerSiteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SiteFile {
  std::filesystem::path path;
  std::string mime;
};

class ViewerSite {
 public:
  // folder: a relocated OHIF dist (its .sagitta-relocated marker names kViewerPrefix). Throws
  // ViewerSiteError saying what is wrong (missing, not relocated, relocated elsewhere).
  explicit ViewerSite(const std::filesystem::path& folder);

  // relative: the request path after /ohif/, without the query. A file of the dist; a path
  // without an extension in its last segment is one of OHIF's routes (/ohif/viewer?...) and
  // gets index.html; anything else, or a path that could leave the folder, is nullopt (404).
  std::optional<SiteFile> resolve(const std::string& relative) const;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
};

// The MIME type a browser needs for a file of the dist (application/wasm matters: browsers
// compile WebAssembly streamed only with it).
std::string mimeTypeOf(const std::filesystem::path& file);

// OHIF's window.config: one DICOMweb data source at dicomWebRoot (this Orthanc's DicomWeb.Root,
// same origin), the router under kViewerPrefix.
std::string ohifAppConfig(const std::string& dicomWebRoot);

}  // namespace sagitta::plugin
