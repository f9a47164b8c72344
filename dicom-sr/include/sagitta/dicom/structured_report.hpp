// SPDX-License-Identifier: GPL-3.0-or-later
// The TID 1500 Imaging Measurement Report (Comprehensive 3D SR) of one analysed radiograph, and
// the reader that turns our SR back into the landmarks and parameters of FORMATS.md.
#pragma once

#include <string>
#include <string_view>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/radiograph.hpp"

namespace sagitta::dicom {

struct ModelIdentity {
  std::string name = "supplied-landmarks";  // model bundle name, or where the landmarks came from
  std::string version;
  std::string sha256;  // bundle digest (hex); of the landmarks file when no model was used
};

struct ReportInput {
  RadiographInfo source;
  core::LandmarkFile landmarks;  // source pixels
  core::Measurement measurement;
  ModelIdentity model;
};

// Deterministic output identifiers: 2.25 UIDs from the source SOP Instance UID, the model
// digest and the output kind ("sr", "sc"); the same input gives the same objects.
struct OutputUids {
  std::string series, instance;
};
OutputUids outputUids(std::string_view sourceSopInstanceUid, std::string_view modelSha256, std::string_view kind);

// The report as a Part 10 file in memory (what the plugin posts to Orthanc), or written to path.
// Throws DicomError with DCMTK's reason when the report cannot be built or written.
std::string structuredReportBytes(const ReportInput& input);
void writeStructuredReport(const ReportInput& input, const std::string& path);

// Our SR back as JSON: {"source", "model", "landmarks" (FORMATS.md landmarks file),
// "parameters" (FORMATS.md parameters)}. Throws DicomError for an SR that is not ours.
std::string structuredReportToJson(const std::string& path);

}  // namespace sagitta::dicom
