// SPDX-License-Identifier: GPL-3.0-or-later
// Reading a radiograph: what it is (identifiers, patient and study modules, view, geometry,
// calibration) and the image a human sees (modality LUT, MONOCHROME1 inverted, VOI LUT or
// window, or a robust percentile window when the file has none), 8-bit grey.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/core/calibration.hpp"

class DcmDataset;

namespace sagitta::dicom {

struct PatientModule {
  std::string name, id, birthDate, sex, age;
};

struct StudyModule {
  std::string studyInstanceUid, studyDate, studyTime, studyId, accessionNumber, referringPhysician,
      studyDescription;
};

struct RadiographInfo {
  std::string sopClassUid, sopInstanceUid, seriesInstanceUid, modality, transferSyntaxUid;
  std::string specificCharacterSet;  // copied into the objects we derive from this one
  PatientModule patient;
  StudyModule study;
  std::string bodyPartExamined, viewPosition, patientOrientation, seriesDescription, protocolName;
  int rows = 0, columns = 0, frames = 1, bitsAllocated = 0, bitsStored = 0, samplesPerPixel = 1;
  bool signedPixels = false;
  std::string photometric;
  bool lossyCompressed = false;        // has undergone lossy compression (copied into derived images)
  std::string lossyCompressionMethod;  // (0028,2114) when known, e.g. ISO_10918_1
  core::DicomCalibrationAttributes calibrationAttributes;
  core::Calibration calibration = core::Calibration::uncalibrated();
};

struct Radiograph {
  RadiographInfo info;
  cv::Mat display;                    // CV_8U, rows x columns, bright = dense (as displayed)
  std::string window;                 // "voi-lut", "window", "percentile" or "none" (colour)
  std::vector<std::string> warnings;  // e.g. multi-frame, colour converted, ignored zero spacing
};

struct ReadLimits {
  std::size_t maxPixels = 120'000'000;  // 12000 x 10000, rows x columns x frames: anything larger is refused
};

// The first frame decoded by someone else (the PACS's own decoder and its decoder plugins) for
// what DCMTK cannot decompress here, e.g. JPEG 2000. Values are the stored pixel values, before
// any rescale or VOI; the header still comes from the file, so calibration, rescale, window and
// MONOCHROME1 are applied exactly as for a file DCMTK decodes.
struct DecodedFrame {
  enum class Format { Grey8, Grey16, SignedGrey16, Rgb24 };
  Format format = Format::Grey16;
  int width = 0, height = 0;
  std::size_t pitch = 0;  // bytes from one row to the next
  const void* data = nullptr;
  std::string decoder;    // who decoded it, named in the warning
};

// Throws NotDicom, TruncatedFile, UnsupportedTransferSyntax, NotAnImage, DecodeFailure or
// core::InvalidCalibration with a one-line reason.
Radiograph readRadiograph(const std::string& path, const ReadLimits& limits = {});
Radiograph readRadiograph(const void* data, std::size_t size, const ReadLimits& limits = {});
// Header from the file, pixels from the frame. Throws DecodeFailure when the frame does not fit
// the header (size, format); the same limits and checks apply otherwise.
Radiograph readRadiograph(const void* data, std::size_t size, const DecodedFrame& frame, const ReadLimits& limits = {});

// Identifiers, modules and calibration only (no decoding), from an already-loaded data set.
RadiographInfo describe(DcmDataset& dataset, const std::string& transferSyntaxUid);

// Whether DCMTK (with the registered codecs) decodes this transfer syntax.
bool isSupportedTransferSyntax(const std::string& uid);

// DCMTK's logger is process-wide. The library never sets it: inside Orthanc the host's setting
// stands. A command-line tool (or a fuzzer) calls this once; our typed errors carry the reasons.
enum class DcmtkLog { Errors, Silent };
void setDcmtkLog(DcmtkLog level);

}  // namespace sagitta::dicom
