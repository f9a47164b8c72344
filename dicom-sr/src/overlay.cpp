// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/overlay.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <opencv2/imgproc.hpp>

#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/identity.hpp"
#include "derived_object.hpp"
#include "part10.hpp"

namespace sagitta::dicom {

std::string overlayBytes(const ReportInput& in, const cv::Mat& display) {
  const auto& s = in.source;
  const OutputUids uids = reportUids(in, "sc");
  cv::Mat rgb;
  cv::cvtColor(renderOverlay(in, display), rgb, cv::COLOR_BGR2RGB);

  DcmFileFormat file;
  DcmDataset& d = *file.getDataset();
  const auto put = [&](const DcmTagKey& tag, const std::string& value) { detail::putString(d, tag, value); };
  detail::putDerivedIdentity(d, s, UID_SecondaryCaptureImageStorage, uids);
  put(DCM_Modality, "OT");
  put(DCM_SeriesNumber, in.review ? "9904" : "9902");
  // Copied, never invented (type 3): a source without one says nothing about the body part.
  // An unpaired body part: General Series Laterality must then be absent.
  if (!s.bodyPartExamined.empty()) put(DCM_BodyPartExamined, s.bodyPartExamined);
  put(DCM_SeriesDescription, in.review ? "Sagitta overlay (reviewed)" : "Sagitta overlay");
  put(DCM_ConversionType, "WSD");
  put(DCM_Manufacturer, kManufacturer);
  put(DCM_SecondaryCaptureDeviceManufacturer, kManufacturer);
  put(DCM_SecondaryCaptureDeviceManufacturerModelName, kModelName);
  put(DCM_SecondaryCaptureDeviceSoftwareVersions, in.model.version.empty() ? "sagitta" : in.model.version);
  put(DCM_InstanceNumber, in.review ? std::to_string(in.review->revision) : "1");
  put(DCM_PatientOrientation, s.patientOrientation);
  put(DCM_ImageType, "DERIVED\\SECONDARY");
  put(DCM_BurnedInAnnotation, "YES");
  // A derived image inherits its source's lossy history (the SC itself is stored uncompressed).
  put(DCM_LossyImageCompression, s.lossyCompressed ? "01" : "00");
  if (s.lossyCompressed && !s.lossyCompressionMethod.empty()) put(DCM_LossyImageCompressionMethod, s.lossyCompressionMethod);
  put(DCM_DerivationDescription, "Sagitta landmarks and sagittal parameters drawn on the windowed source image");
  detail::putSourceReference(d, DCM_SourceImageSequence, s);
  put(DCM_SamplesPerPixel, "3");
  put(DCM_PhotometricInterpretation, "RGB");
  put(DCM_PlanarConfiguration, "0");
  put(DCM_Rows, std::to_string(rgb.rows));
  put(DCM_Columns, std::to_string(rgb.cols));
  put(DCM_BitsAllocated, "8");
  put(DCM_BitsStored, "8");
  put(DCM_HighBit, "7");
  put(DCM_PixelRepresentation, "0");
  cv::Mat contiguous = rgb.isContinuous() ? rgb : rgb.clone();
  if (d.putAndInsertUint8Array(DCM_PixelData, contiguous.data, static_cast<unsigned long>(contiguous.total() * 3)).bad()) {
    throw DicomError("cannot set the overlay pixel data");
  }
  return detail::part10Bytes(file);
}

void writeOverlay(const ReportInput& in, const cv::Mat& display, const std::string& path) {
  detail::writePart10(overlayBytes(in, display), path);
}

}  // namespace sagitta::dicom
