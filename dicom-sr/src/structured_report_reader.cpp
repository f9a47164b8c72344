// SPDX-License-Identifier: GPL-3.0-or-later
// Our SR back into FORMATS.md JSON: the landmarks group's points, each parameter group's NUM,
// the calibration and the device observer (model identity).
#include <cstdlib>
#include <sstream>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <nlohmann/json.hpp>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/report_codes.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/dicom/cornerstone_tools.hpp"

namespace sagitta::dicom {
namespace {

using Json = nlohmann::ordered_json;

bool is(const DSRCodedEntryValue& code, const char* value, const char* scheme) {
  return code.getCodeValue() == value && code.getCodingSchemeDesignator() == scheme;
}

// "<key> <row> <column> | note" (see calibrationText in the writer).
core::Calibration parseCalibration(const std::string& text) {
  std::istringstream in(text.substr(0, text.find('|')));
  std::string key;
  double row = 0.0, column = 0.0;
  in >> key;
  const auto kind = core::calibrationFromKey(key);
  if (!kind) throw DicomError("SR calibration \"" + key + "\" is not one of ours");
  if (*kind == core::CalibrationKind::None) return core::Calibration::uncalibrated();
  if (!(in >> row >> column)) throw DicomError("SR calibration has no spacing");
  return core::Calibration::fromSpacing(*kind, row, column);
}

}  // namespace

std::string structuredReportToJson(const std::string& path) {
  DcmFileFormat file;
  if (const OFCondition loaded = file.loadFile(path.c_str()); loaded.bad()) {
    throw NotDicom("cannot read " + path + ": " + loaded.text());
  }
  DSRDocument document;
  if (const OFCondition read = document.read(*file.getDataset()); read.bad()) {
    throw DicomError(std::string("not a structured report: ") + read.text());
  }
  DSRDocumentTree& tree = document.getTree();
  core::LandmarkFile landmarks;
  Json parameters = Json::object();
  Json model = Json::object();
  std::string group, pendingLandmark, pendingParameter;
  bool sawCalibration = false;
  if (tree.gotoRoot() == 0) throw DicomError("empty SR content tree");
  do {
    DSRContentItem& item = tree.getCurrentContentItem();
    const DSRCodedEntryValue& concept = item.getConceptName();
    switch (item.getValueType()) {
      case DSRTypes::VT_Text:
        if (is(concept, "112039", "DCM")) {
          // Tracking Identifier: a new group ("Landmarks", a parameter key, or its Cornerstone form).
          group = std::string(parameterKeyOfTrackingIdentifier(item.getStringValue().c_str()));
        } else if (is(concept, "121013", "DCM")) {
          model["device"] = item.getStringValue().c_str();
        } else if (is(concept, "121015", "DCM")) {
          model["name"] = item.getStringValue().c_str();
        } else if (is(concept, "121016", "DCM")) {
          model["sha256"] = item.getStringValue().c_str();
        } else if (is(concept, "CALIBRATION", kPrivateScheme.data()) && !sawCalibration) {
          landmarks.image.calibration = parseCalibration(item.getStringValue().c_str());
          sawCalibration = true;
        } else if (is(concept, "NOT_MEASURED", kPrivateScheme.data())) {
          const std::string text = item.getStringValue().c_str();
          const auto colon = text.find(':');
          if (colon != std::string::npos) {
            parameters[text.substr(0, colon)] = Json{{"value", nullptr}, {"reason", text.substr(colon + 2)}};
          }
        }
        break;
      case DSRTypes::VT_Num: {
        const auto& value = item.getNumericValue();
        if (group == "Landmarks") {
          pendingLandmark = concept.getCodeValue().c_str();
        } else if (core::parameterFromKey(group)) {
          const auto& unit = value.getMeasurementUnit();
          parameters[group] = Json{{"value", std::strtod(value.getNumericValue().c_str(), nullptr)},
                                   {"unit", unit.getCodeValue() == "{ratio}"    ? "ratio"
                                            : unit.getCodeValue() == "{pixels}" ? "px"
                                                                                : unit.getCodeValue().c_str()}};
        }
        break;
      }
      case DSRTypes::VT_SCoord: {
        auto* coordinates = item.getSpatialCoordinatesPtr();
        if (group == "Landmarks" && coordinates != nullptr && !pendingLandmark.empty()) {
          const auto id = core::landmarkFromKey(pendingLandmark);
          Float32 x = 0, y = 0;
          if (id && coordinates->getGraphicDataList().getItem(1, x, y).good()) {
            landmarks.landmarks.set(*id, {static_cast<double>(x), static_cast<double>(y), std::nullopt});
          }
          pendingLandmark.clear();
        }
        break;
      }
      default:
        break;
    }
  } while (tree.iterate() != 0);
  if (landmarks.landmarks.size() == 0) throw DicomError("no Sagitta landmarks group in this SR");

  OFString sourceInstance;
  document.getCurrentRequestedProcedureEvidence().gotoFirstItem();
  document.getCurrentRequestedProcedureEvidence().getSOPInstanceUID(sourceInstance);
  Json ordered = Json::object();
  for (const auto& info : core::parameterCatalogue()) {
    const std::string key(info.key);
    if (parameters.contains(key)) ordered[key] = parameters[key];
  }
  Json root{{"source_sop_instance_uid", sourceInstance.c_str()},
            {"model", model},
            {"landmarks", Json::parse(core::landmarksToJson(landmarks))},
            {"parameters", {{"calibration", core::calibrationKey(landmarks.image.calibration.kind)},
                            {"parameters", ordered}}}};
  if (document.getVerificationFlag() == DSRTypes::VF_Verified) {
    OFString name, organization, dateTime;
    DSRCodedEntryValue code;
    document.getVerifyingObserver(document.getNumberOfVerifyingObservers(), dateTime, name, code, organization);
    Json predecessors = Json::array();
    auto& list = document.getPredecessorDocuments();
    if (list.gotoFirstItem().good()) {
      do {
        OFString uid;
        list.getSOPInstanceUID(uid);
        predecessors.push_back(uid.c_str());
      } while (list.gotoNextItem().good());
    }
    root["review"] = {{"verification", "VERIFIED"},
                      {"verifying_observer", name.c_str()},
                      {"organization", organization.c_str()},
                      {"verification_datetime", dateTime.c_str()},
                      {"predecessors", predecessors}};
  }
  return root.dump(2);
}

}  // namespace sagitta::dicom
