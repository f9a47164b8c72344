// SPDX-License-Identifier: GPL-3.0-or-later
// The TID 1500 Imaging Measurement Report (Comprehensive 3D SR) of one analysed radiograph, and
// the reader that turns our SR back into the landmarks and parameters of FORMATS.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/radiograph.hpp"

namespace sagitta::dicom {

struct ModelIdentity {
  std::string name = "supplied-landmarks";  // model bundle name, or where the landmarks came from
  std::string version;
  std::string sha256;  // bundle digest (hex); of the landmarks file when no model was used
};

// An SR or SC this report replaces (Predecessor Documents Sequence).
struct DocumentReference {
  std::string studyInstanceUid, seriesInstanceUid, sopClassUid, sopInstanceUid;
};

// A person's decision on an automatic report (the review page): the re-issued SR is COMPLETE and
// VERIFIED with the reviewer as Verifying Observer, and replaces its predecessors.
struct ReviewSignOff {
  int revision = 1;         // 1, 2, ... per film and model: part of the output UIDs' key
  bool corrected = false;   // landmarks moved, added or removed (else approved as proposed)
  std::string reviewer;     // the authenticated user, or the name the reviewer typed
  bool authenticated = false;
  std::string organization = "Sagitta review";  // Verifying Organization
  std::string dateTime;     // DICOM DT of the decision (YYYYMMDDHHMMSS, local time)
  std::vector<DocumentReference> predecessors;
};

struct ReportInput {
  RadiographInfo source;
  core::LandmarkFile landmarks;  // source pixels
  core::Measurement measurement;
  ModelIdentity model;
  std::optional<ReviewSignOff> review;  // absent: the automatic report
};

// Deterministic output identifiers: 2.25 UIDs from the source SOP Instance UID, the model
// digest and the output kind ("sr", "sc"); the same input gives the same objects.
struct OutputUids {
  std::string series, instance;
};
OutputUids outputUids(std::string_view sourceSopInstanceUid, std::string_view modelSha256, std::string_view kind);
// The UIDs of revision N's object of a kind ("sr", "sc"): revision 0 is the automatic report,
// N > 0 the one re-issued by review N (kind + "-review-" + N), so every revision is a new object.
OutputUids revisionUids(std::string_view sourceSopInstanceUid, std::string_view modelSha256, std::string_view kind,
                        int revision);
// The UIDs of this report's output: its review's revision, 0 when it has none.
OutputUids reportUids(const ReportInput& input, std::string_view kind);
// The reviewer's name as a DICOM PN value: control characters and backslashes dropped, at most
// 64 characters; throws std::invalid_argument when nothing is left.
std::string personName(std::string_view typed);

// The report as a Part 10 file in memory (what the plugin posts to Orthanc), or written to path.
// Throws DicomError with DCMTK's reason when the report cannot be built or written.
std::string structuredReportBytes(const ReportInput& input);
void writeStructuredReport(const ReportInput& input, const std::string& path);

// Our SR back as JSON: {"source", "model", "landmarks" (FORMATS.md landmarks file),
// "parameters" (FORMATS.md parameters)}, and for a reviewed one "review": {"verification",
// "verifying_observer", "organization", "verification_datetime", "predecessors": [SOP Instance
// UIDs]}. Throws DicomError for an SR that is not ours.
std::string structuredReportToJson(const std::string& path);

}  // namespace sagitta::dicom
