// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/structured_report.hpp"

#include <cstdio>
#include <stdexcept>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmsr/cmr/tid1500.h>
#include <dcmtk/dcmsr/codes/dcm.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include "sagitta/core/construction.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/core/uid.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/identity.hpp"
#include "sagitta/dicom/report_codes.hpp"
#include "sagitta/dicom/cornerstone_tools.hpp"
#include "part10.hpp"

namespace sagitta::dicom {
namespace {

using core::ParameterId;

void check(const OFCondition& status, const std::string& what) {
  if (status.bad()) throw DicomError("cannot build the SR (" + what + "): " + status.text());
}

// The item OHIF's SR viewport and Cornerstone's adapters read as a group's label.
const Code kComment{"121106", "DCM", "Comment"};

DSRCodedEntryValue coded(const Code& code) {
  return DSRCodedEntryValue(code.value.c_str(), code.scheme.c_str(), code.meaning.c_str());
}

std::string number(double value, ParameterId id) {
  char text[32];
  std::snprintf(text, sizeof text, core::parameterInfo(id).unit == core::ParameterUnit::Ratio ? "%.3f" : "%.2f",
                core::roundForDisplay(value, core::parameterInfo(id).unit));
  return text;
}

// The calibration as one text value a reader can parse back: "<key> <row> <column> | <note>".
std::string calibrationText(const core::Calibration& c) {
  char spacing[64];
  std::snprintf(spacing, sizeof spacing, " %.6g %.6g", c.rowSpacingMm, c.columnSpacingMm);
  return std::string(core::calibrationKey(c.kind)) + (c.calibrated() ? spacing : "") + " | " + c.note;
}

DSRSpatialCoordinatesValue polyline(const std::vector<core::Vec2>& points) {
  DSRSpatialCoordinatesValue value(points.size() == 1 ? DSRTypes::GT_Point : DSRTypes::GT_Polyline);
  for (const auto& p : points) {
    value.getGraphicDataList().addItem(static_cast<Float32>(p.x), static_cast<Float32>(p.y));
  }
  return value;
}

// The source image as TID 1600 expects it (identifiers and projection descriptors).
void describeSource(const RadiographInfo& s, DcmItem& item) {
  item.putAndInsertString(DCM_SOPClassUID, s.sopClassUid.c_str());
  item.putAndInsertString(DCM_SOPInstanceUID, s.sopInstanceUid.c_str());
  item.putAndInsertString(DCM_Modality, s.modality.c_str());
  item.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(s.rows));
  item.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(s.columns));
  if (!s.viewPosition.empty()) item.putAndInsertString(DCM_ViewPosition, s.viewPosition.c_str());
  if (!s.patientOrientation.empty()) item.putAndInsertString(DCM_PatientOrientation, s.patientOrientation.c_str());
  if (!s.study.studyDate.empty()) item.putAndInsertString(DCM_StudyDate, s.study.studyDate.c_str());
  if (const auto& ps = s.calibrationAttributes.pixelSpacing) item.putAndInsertString(DCM_PixelSpacing, ps->c_str());
}

void addParameterGroup(TID1500_MeasurementReport& report, const ReportInput& in, const core::ParameterValue& value,
                       const OutputUids& uids) {
  const auto& info = core::parameterInfo(value.id);
  check(report.addIndividualMeasurements(), "measurement group");
  auto& group = report.getIndividualMeasurements();
  const std::string key(info.key);
  // The Cornerstone form where a Cornerstone3D tool measures the same angle (OHIF loads it as
  // that tool); cornerstone_tools.hpp.
  check(group.setTrackingIdentifier(trackingIdentifierOf(value.id)), "tracking identifier");
  check(group.setTrackingUniqueIdentifier(core::uidFromKey(uids.instance + "/tracking/" + key)), "tracking UID");
  check(group.addFindingSite(coded(findingSiteOf(value.id))), "finding site");
  // The parameter's abbreviation: OHIF's first text line and a loaded tool's label, with its
  // name where the NUM's concept does not say it ("Cobb angle" for six of them).
  const auto concept = conceptOf(value.id);
  check(group.addQualitativeEvaluation(coded(kComment),
                                       concept.meaning == info.name ? key : key + " " + std::string(info.name)),
        "comment " + key);
  const bool calibrated = in.measurement.calibration.calibrated();
  const CID7181_AbstractMultiDimensionalImageModelComponentUnits unit(coded(unitOf(info.unit, calibrated)));
  const TID1500_MeasurementReport::TID1501_Measurements::MeasurementValue measured(number(*value.value, value.id), unit);
  check(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(coded(concept)), measured),
        "measurement " + key);
  auto& measurement = group.getMeasurement();
  check(measurement.setEquivalentMeaningOfConceptName(std::string(info.name)), "meaning " + key);
  check(measurement.addSpatialCoordinates(DSRCodedEntryValue(CODE_DCM_ImageRegion),
                                          polyline(measurementGraphicOf(value.id, in.landmarks.landmarks)),
                                          DSRImageReferenceValue(in.source.sopClassUid, in.source.sopInstanceUid)),
        "construction " + key);
  const bool reliable = value.warnings.empty();
  check(group.addQualitativeEvaluation(coded(privateCode("RELIABILITY", "Measurement reliability")),
                                       coded(reliable ? privateCode("RELIABLE", "Reliable")
                                                      : privateCode("UNRELIABLE", "Unreliable: see reliability note"))),
        "reliability " + key);
  for (const auto& warning : value.warnings) {
    check(group.addQualitativeEvaluation(coded(privateCode("RELIABILITY_NOTE", "Reliability note")), warning),
          "reliability note " + key);
  }
  check(group.addQualitativeEvaluation(coded(privateCode("CALIBRATION", "Calibration")),
                                       calibrationText(in.measurement.calibration)),
        "calibration " + key);
}

void addLandmarkGroup(TID1500_MeasurementReport& report, const ReportInput& in, const OutputUids& uids) {
  check(report.addIndividualMeasurements(), "landmark group");
  auto& group = report.getIndividualMeasurements();
  check(group.setTrackingIdentifier("Landmarks"), "landmark tracking identifier");
  check(group.setTrackingUniqueIdentifier(core::uidFromKey(uids.instance + "/tracking/landmarks")), "landmark UID");
  check(group.addFindingSite(coded({"421060004", "SCT", "Spine"})), "landmark finding site");
  // OHIF's title line for the points (it lists the first few landmarks' uncertainties under it).
  check(group.addQualitativeEvaluation(coded(kComment), "Landmarks (localisation uncertainty)"),
        "landmark comment");
  const CID7181_AbstractMultiDimensionalImageModelComponentUnits mm(coded({"mm", "UCUM", "millimeter"}));
  // TID 300 needs a value: without a model spread the uncertainty is written as 0 and this
  // evaluation says that it was not estimated (exact for phantom truth, unknown for annotations).
  // A NUM without a value and with the qualifier "Measurement not attempted" (CID 42) is valid
  // for dciodvfy and dcmjs, but PixelMed's TID 300 check calls it an error ("Missing value").
  bool anySigma = false;
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& l = in.landmarks.landmarks.get(info.id);
    anySigma = anySigma || (l && l->sigmaMm);
  }
  check(group.addQualitativeEvaluation(
            coded(privateCode("UNCERTAINTY_SOURCE", "Landmark uncertainty source")),
            anySigma ? std::string("model heatmap spread (sigma, mm)")
                     : std::string("not estimated: landmarks supplied without uncertainty, values are 0")),
        "uncertainty source");
  bool first = true;
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& landmark = in.landmarks.landmarks.get(info.id);
    if (!landmark) continue;
    char sigma[32];
    std::snprintf(sigma, sizeof sigma, "%.2f", landmark->sigmaMm.value_or(0.0));
    const TID1500_MeasurementReport::TID1501_Measurements::MeasurementValue value(sigma, mm);
    check(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(coded(landmarkConcept(info.key))), value,
                               !first),
          "landmark " + std::string(info.key));
    first = false;
    auto& measurement = group.getMeasurement();
    check(measurement.setEquivalentMeaningOfConceptName(std::string(info.description)), "landmark meaning");
    check(measurement.addSpatialCoordinates(DSRCodedEntryValue(CODE_DCM_ImageRegion), polyline({{landmark->x, landmark->y}}),
                                            DSRImageReferenceValue(in.source.sopClassUid, in.source.sopInstanceUid)),
          "landmark point");
  }
}

// A typed "Given Family" as DICOM's "Family^Given" (a PN with spaces and no carets is the
// retired form dciodvfy warns about); a name that already has carets, or one word, is kept.
std::string dicomPersonName(const std::string& typed) {
  const auto name = personName(typed);
  const auto space = name.rfind(' ');
  if (name.find('^') != std::string::npos || space == std::string::npos) return name;
  auto given = name.substr(0, space);
  given.erase(given.find_last_not_of(' ') + 1);
  return name.substr(space + 1) + "^" + given;
}

}  // namespace

OutputUids outputUids(std::string_view sourceSopInstanceUid, std::string_view modelSha256, std::string_view kind) {
  const std::string key = "sagitta/" + std::string(sourceSopInstanceUid) + "/" + std::string(modelSha256) + "/" +
                          std::string(kind);
  return {core::uidFromKey(key + "/series"), core::uidFromKey(key + "/instance")};
}

OutputUids revisionUids(std::string_view sourceSopInstanceUid, std::string_view modelSha256, std::string_view kind,
                        int revision) {
  std::string key(kind);
  if (revision > 0) key += "-review-" + std::to_string(revision);
  return outputUids(sourceSopInstanceUid, modelSha256, key);
}

OutputUids reportUids(const ReportInput& in, std::string_view kind) {
  return revisionUids(in.source.sopInstanceUid, in.model.sha256, kind, in.review ? in.review->revision : 0);
}

std::string personName(std::string_view typed) {
  std::string name;
  for (const char c : typed) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\' || c == 0x7f) continue;
    if (name.size() == 64) break;
    name += c;
  }
  const auto first = name.find_first_not_of(' ');
  if (first == std::string::npos) throw std::invalid_argument("the reviewer's name is empty");
  return name.substr(first, name.find_last_not_of(' ') - first + 1);
}

std::string structuredReportBytes(const ReportInput& in) {
  const auto& s = in.source;
  if (s.sopInstanceUid.empty() || s.study.studyInstanceUid.empty() || s.sopClassUid.empty()) {
    throw DicomError("the source has no SOP Instance / SOP Class / Study Instance UID: cannot reference it");
  }
  const OutputUids uids = reportUids(in, "sr");

  TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
  check(report.setLanguage(CID5000_Languages::English), "language");
  check(report.getObservationContext().addDeviceObserver(
            core::uidFromKey("sagitta/device/" + in.model.sha256), "Sagitta", "Sagitta project",
            in.model.name + (in.model.version.empty() ? "" : " " + in.model.version), in.model.sha256),
        "device observer");
  if (in.review) {
    check(report.getObservationContext().addPersonObserver(dicomPersonName(in.review->reviewer), in.review->organization),
          "person observer");
  }
  check(report.addProcedureReported(CMR_CID100::ImagingProcedure), "procedure reported");
  check(report.getImageLibrary().createNewImageLibrary(), "image library");  // not created by TID 1500
  check(report.getImageLibrary().addImageGroup(), "image library group");
  DcmItem source;
  describeSource(s, source);
  check(report.getImageLibrary().addImageEntry(source, TID1600_ImageLibrary::withAllDescriptors), "image library entry");

  for (const auto& value : in.measurement.parameters) {
    if (value.value) addParameterGroup(report, in, value, uids);
  }
  addLandmarkGroup(report, in, uids);
  for (const auto& value : in.measurement.parameters) {
    if (value.value) continue;
    check(report.addQualitativeEvaluation(coded(privateCode("NOT_MEASURED", "Parameter not measured")),
                                          std::string(core::parameterKey(value.id)) + ": " + value.reason),
          "not measured");
  }
  for (const auto& modifier : in.measurement.indices.schwab) {
    const std::string key = "SCHWAB_" + std::string(modifier.key == "PI-LL" ? "PI_LL" : modifier.key);
    const std::string grade = modifier.grade ? std::string(core::schwabGradeKey(*modifier.grade)) : "n/a";
    check(report.addQualitativeEvaluation(coded(privateCode(key, "SRS-Schwab " + std::string(modifier.key) + " modifier")),
                                          grade + (modifier.grade ? "" : " (" + modifier.reason + ")")),
          "Schwab modifier");
  }
  if (const auto& r = in.review) {
    check(report.addQualitativeEvaluation(
              coded(privateCode("REVIEW", "Review")),
              std::string(r->corrected ? "corrected" : "approved") + " by " + personName(r->reviewer) +
                  (r->authenticated ? " (authenticated Orthanc user)" : " (not authenticated: name as typed on the review page)") +
                  ", revision " + std::to_string(r->revision)),
          "review");
  }
  if (!report.isValid()) throw DicomError("the SR content tree is not a valid TID 1500 report");

  DSRDocument document;
  check(document.setTreeFromRootTemplate(report, OFTrue), "document tree");
  check(document.changeDocumentType(DSRTypes::DT_Comprehensive3DSR), "Comprehensive 3D SR");
  auto& schemes = document.getCodingSchemeIdentification();
  check(schemes.addItem(std::string(kPrivateScheme)), "coding scheme");
  check(schemes.setCodingSchemeName(std::string(kPrivateSchemeName)), "coding scheme name");
  check(schemes.setCodingSchemeResponsibleOrganization(kManufacturer), "coding scheme organisation");
  check(schemes.setCodingSchemeUID(core::uidFromKey("sagitta/coding-scheme/99SAGITTA")), "coding scheme UID");
  if (!s.specificCharacterSet.empty()) document.setSpecificCharacterSet(s.specificCharacterSet, OFFalse);
  check(document.createNewSeriesInStudy(s.study.studyInstanceUid, OFFalse), "study");
  // Patient and study copied from the source as they are (no re-validation of its values).
  document.setPatientName(s.patient.name, OFFalse);
  document.setPatientID(s.patient.id, OFFalse);
  document.setPatientBirthDate(s.patient.birthDate, OFFalse);
  document.setPatientSex(s.patient.sex, OFFalse);
  document.setStudyDate(s.study.studyDate, OFFalse);
  document.setStudyTime(s.study.studyTime, OFFalse);
  document.setStudyID(s.study.studyId, OFFalse);
  document.setAccessionNumber(s.study.accessionNumber, OFFalse);
  document.setReferringPhysicianName(s.study.referringPhysician, OFFalse);
  document.setStudyDescription(s.study.studyDescription, OFFalse);
  document.setSeriesDescription(in.review ? "Sagitta sagittal spine measurements (reviewed)"
                                          : "Sagitta sagittal spine measurements");
  document.setSeriesNumber(in.review ? "9903" : "9901");
  document.setInstanceNumber(in.review ? std::to_string(in.review->revision) : "1");
  document.setManufacturer(kManufacturer);
  document.setManufacturerModelName(kModelName);
  document.setSoftwareVersions(in.model.version.empty() ? "sagitta" : in.model.version);
  if (const auto& r = in.review) {
    // A person stands by it: COMPLETE, then VERIFIED with the reviewer, replacing its predecessors.
    check(document.completeDocument(r->corrected ? "automated measurement corrected by a reviewer"
                                                 : "automated measurement approved by a reviewer"),
          "completion");
    check(document.verifyDocument(dicomPersonName(r->reviewer), r->organization, r->dateTime), "verification");
    for (const auto& p : r->predecessors) {
      check(document.getPredecessorDocuments().addItem(p.studyInstanceUid, p.seriesInstanceUid, p.sopClassUid,
                                                       p.sopInstanceUid),
            "predecessor");
    }
  } else {
    document.setCompletionFlagDescription("automated measurement - verify before clinical use");
  }
  check(document.getCurrentRequestedProcedureEvidence().addItem(s.study.studyInstanceUid, s.seriesInstanceUid,
                                                                s.sopClassUid, s.sopInstanceUid),
        "evidence");

  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  check(document.write(dataset), "write");
  check(dataset.putAndInsertString(DCM_SeriesInstanceUID, uids.series.c_str()), "series UID");
  check(dataset.putAndInsertString(DCM_SOPInstanceUID, uids.instance.c_str()), "instance UID");
  return detail::part10Bytes(file);
}

void writeStructuredReport(const ReportInput& in, const std::string& path) {
  detail::writePart10(structuredReportBytes(in), path);
}

}  // namespace sagitta::dicom
