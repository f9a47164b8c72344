// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/radiograph.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <fstream>
#include <memory>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <opencv2/imgproc.hpp>

#include "codecs.hpp"
#include "sagitta/dicom/errors.hpp"

namespace sagitta::dicom {
namespace {

constexpr std::size_t kPreamble = 128;

std::string text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  return value.c_str();
}

std::optional<std::string> optionalText(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad() || value.empty()) return std::nullopt;
  return std::string(value.c_str());
}

int integer(DcmItem& item, const DcmTagKey& tag, int fallback) {
  Uint16 u = 0;
  if (item.findAndGetUint16(tag, u).good()) return u;
  Sint32 s = 0;
  if (item.findAndGetSint32(tag, s).good()) return static_cast<int>(s);
  return fallback;
}

// Loading errors: a stream that ends early means truncation; anything else is not DICOM.
[[noreturn]] void failLoad(const OFCondition& status) {
  const std::string reason = status.text();
  if (status == EC_StreamNotifyClient || reason.find("remature") != std::string::npos ||
      reason.find("end of stream") != std::string::npos) {
    throw TruncatedFile("truncated DICOM file: " + reason);
  }
  throw NotDicom("cannot parse DICOM: " + reason);
}

void requirePart10(const char* head, std::size_t size) {
  if (size < kPreamble + 4 || std::memcmp(head + kPreamble, "DICM", 4) != 0) {
    throw NotDicom("not a DICOM Part 10 file (no 128-byte preamble and \"DICM\" prefix: no file meta header)");
  }
}

// A robust window when the file has none: the 0.5 and 99.5 percentiles of the modality values.
// They are read off the 256-bin histogram of a min/max-windowed rendering, so the cost does not
// depend on the value range (DCMTK's own histogram window is slow for 32-bit data).
void percentileWindow(DicomImage& image, cv::Mat& scratch) {
  double lo = 0.0, hi = 0.0;
  if (image.getMinMaxValues(lo, hi) == 0 || hi <= lo) {
    image.setMinMaxWindow(0);
    return;
  }
  image.setWindow(0.5 * (lo + hi), hi - lo + 1.0);
  scratch.create(static_cast<int>(image.getHeight()), static_cast<int>(image.getWidth()), CV_8U);
  if (image.getOutputData(scratch.data, scratch.total(), 8, 0) == 0) return;
  std::array<std::size_t, 256> histogram{};
  for (int r = 0; r < scratch.rows; ++r) {
    const auto* row = scratch.ptr<std::uint8_t>(r);
    for (int c = 0; c < scratch.cols; ++c) ++histogram[row[c]];
  }
  auto binAt = [&](double fraction) {
    const auto target = static_cast<std::size_t>(fraction * static_cast<double>(scratch.total()));
    std::size_t sum = 0;
    for (std::size_t b = 0; b < histogram.size(); ++b) {
      sum += histogram[b];
      if (sum > target) return static_cast<double>(b);
    }
    return 255.0;
  };
  // The rendering is monotonic in the value (inverted for MONOCHROME1): order the two ends.
  const double a = lo + (binAt(0.005) + 0.5) / 256.0 * (hi - lo);
  const double b = lo + (binAt(0.995) + 0.5) / 256.0 * (hi - lo);
  const double low = std::min(a, b), high = std::max(a, b);
  image.setWindow(0.5 * (low + high), std::max(1.0, high - low));
}

std::size_t bytesPerPixel(DecodedFrame::Format format) {
  switch (format) {
    case DecodedFrame::Format::Grey8: return 1;
    case DecodedFrame::Format::Rgb24: return 3;
    case DecodedFrame::Format::Grey16:
    case DecodedFrame::Format::SignedGrey16: return 2;
  }
  return 0;
}

void put(OFCondition status) {
  if (status.bad()) throw DecodeFailure(std::string("cannot use the decoded frame: ") + status.text());
}

// Replaces the (encapsulated) pixel data by the frame, stored natively, and makes the image
// pixel module describe it; everything else in the data set is left as the file has it.
void substituteFrame(DcmDataset& dataset, const RadiographInfo& info, const DecodedFrame& frame) {
  if (frame.data == nullptr || frame.width != info.columns || frame.height != info.rows) {
    throw DecodeFailure("the decoded frame is " + std::to_string(frame.width) + " x " + std::to_string(frame.height) +
                        " but the header says " + std::to_string(info.columns) + " x " + std::to_string(info.rows));
  }
  const std::size_t rowBytes = bytesPerPixel(frame.format) * static_cast<std::size_t>(frame.width);
  if (frame.pitch < rowBytes) throw DecodeFailure("the decoded frame's row pitch is shorter than a row");
  dataset.findAndDeleteElement(DCM_PixelData);
  dataset.findAndDeleteElement(DCM_NumberOfFrames);
  const bool sixteen = frame.format == DecodedFrame::Format::Grey16 || frame.format == DecodedFrame::Format::SignedGrey16;
  const int stored = sixteen ? (info.bitsStored > 8 && info.bitsStored <= 16 ? info.bitsStored : 16) : 8;
  put(dataset.putAndInsertUint16(DCM_BitsAllocated, sixteen ? 16 : 8));
  put(dataset.putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(stored)));
  put(dataset.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(stored - 1)));
  put(dataset.putAndInsertUint16(DCM_PixelRepresentation, frame.format == DecodedFrame::Format::SignedGrey16 ? 1 : 0));
  if (frame.format == DecodedFrame::Format::Rgb24) {
    put(dataset.putAndInsertUint16(DCM_SamplesPerPixel, 3));
    put(dataset.putAndInsertString(DCM_PhotometricInterpretation, "RGB"));
    put(dataset.putAndInsertUint16(DCM_PlanarConfiguration, 0));
  } else {
    put(dataset.putAndInsertUint16(DCM_SamplesPerPixel, 1));
    dataset.findAndDeleteElement(DCM_PlanarConfiguration);
    if (info.photometric != "MONOCHROME1" && info.photometric != "MONOCHROME2") {
      put(dataset.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2"));
    }
  }
  // The rows without their padding, in host order (what DCMTK's native representation holds).
  const auto pack = [&](auto* into) {
    for (int r = 0; r < frame.height; ++r) {
      std::memcpy(reinterpret_cast<std::uint8_t*>(into) + rowBytes * static_cast<std::size_t>(r),
                  static_cast<const std::uint8_t*>(frame.data) + frame.pitch * static_cast<std::size_t>(r), rowBytes);
    }
  };
  const std::size_t bytes = rowBytes * static_cast<std::size_t>(frame.height);
  if (sixteen) {
    std::vector<Uint16> words(bytes / 2);
    pack(words.data());
    put(dataset.putAndInsertUint16Array(DCM_PixelData, words.data(), static_cast<unsigned long>(words.size())));
  } else {
    std::vector<Uint8> octets(bytes);
    pack(octets.data());
    put(dataset.putAndInsertUint8Array(DCM_PixelData, octets.data(), static_cast<unsigned long>(octets.size())));
  }
}

Radiograph decode(DcmFileFormat& file, const ReadLimits& limits, const DecodedFrame* frame = nullptr) {
  DcmDataset& dataset = *file.getDataset();
  if (const OFCondition loaded = dataset.loadAllDataIntoMemory(); loaded.bad()) failLoad(loaded);
  const E_TransferSyntax original = dataset.getOriginalXfer();
  const DcmXfer xfer(original);
  Radiograph out;
  out.info = describe(dataset, xfer.getXferID());
  const auto& info = out.info;

  if (!dataset.tagExists(DCM_PixelData)) {
    if (!info.sopClassUid.empty() && !dcmIsImageStorageSOPClassUID(info.sopClassUid.c_str())) {
      throw NotAnImage(std::string("not an image: SOP class ") + info.sopClassUid + " (" +
                       dcmFindNameOfUID(info.sopClassUid.c_str(), "unknown") + ")");
    }
    throw NotAnImage("no pixel data");
  }
  if (info.rows <= 0 || info.columns <= 0) throw NotAnImage("missing or zero Rows / Columns");
  const auto pixels = static_cast<std::size_t>(info.rows) * static_cast<std::size_t>(info.columns);
  if (pixels > limits.maxPixels) {
    throw NotAnImage("image too large: " + std::to_string(info.rows) + " x " + std::to_string(info.columns) +
                     " pixels exceeds the limit of " + std::to_string(limits.maxPixels));
  }
  // The limit holds for all frames together: a multi-frame object is a cine or a stack, never a
  // film we measure, and its frame count must not multiply what a hostile file can claim.
  if (pixels * static_cast<std::size_t>(info.frames) > limits.maxPixels) {
    throw NotAnImage("image too large: " + std::to_string(info.frames) + " frames of " + std::to_string(info.rows) +
                     " x " + std::to_string(info.columns) + " pixels exceed the limit of " +
                     std::to_string(limits.maxPixels) + " pixels in all");
  }
  // Only the analysed (first) frame of a compressed multi-frame object is decompressed.
  const bool partialDecode = frame == nullptr && xfer.isEncapsulated() && info.frames > 1;
  if (frame != nullptr) {
    substituteFrame(dataset, info, *frame);
    out.info = describe(dataset, info.transferSyntaxUid);  // the pixel module of what is rendered
    out.warnings.push_back(std::string("pixel data (") + xfer.getXferName() + ") decoded by " +
                           (frame->decoder.empty() ? "an external decoder" : frame->decoder));
  } else if (!isSupportedTransferSyntax(info.transferSyntaxUid)) {
    throw UnsupportedTransferSyntax(info.transferSyntaxUid, xfer.getXferName());
  } else if (xfer.isEncapsulated() && !partialDecode) {
    const OFCondition status = dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    if (status.bad() || !dataset.canWriteXfer(EXS_LittleEndianExplicit)) {
      throw CannotDecompress(std::string("cannot decompress ") + xfer.getXferName() + ": " + status.text());
    }
  }
  // DCMTK pads pixel data that is shorter than Rows x Columns with zeros (and only warns): a
  // truncated or inconsistent file must fail instead of being measured half black.
  if (DcmElement* element = nullptr;
      !partialDecode && dataset.findAndGetElement(DCM_PixelData, element).good() && element != nullptr) {
    const auto bitsAllocated = static_cast<std::size_t>(std::max(1, info.bitsAllocated));
    const auto needed = (pixels * static_cast<std::size_t>(std::max(1, info.samplesPerPixel)) * bitsAllocated + 7U) / 8U;
    const auto held = static_cast<std::size_t>(element->getLength());
    if (held < needed) {
      throw DecodeFailure("pixel data holds " + std::to_string(held) + " bytes, but Rows x Columns x Bits Allocated needs " +
                          std::to_string(needed) + " (truncated or inconsistent file)");
    }
  }
  if (info.frames > 1) {
    out.warnings.push_back("multi-frame image (" + std::to_string(info.frames) + " frames): the first frame is used");
  }

  // DicomImage applies the modality LUT / rescale, the VOI transform and the photometric
  // interpretation (MONOCHROME1 is inverted); it may detach the data set's pixel data once
  // it holds its own copy, so at most three full-size buffers exist.
  DicomImage image(&dataset, frame != nullptr ? EXS_LittleEndianExplicit : dataset.getCurrentXfer(),
                   partialDecode ? CIF_UsePartialAccessToPixelData : CIF_MayDetachPixelData, 0, 1);
  if (image.getStatus() != EIS_Normal) {
    const std::string why = DicomImage::getString(image.getStatus());
    // With partial access, DicomImage itself decompresses the frame: its failure is a codec's.
    if (partialDecode) throw CannotDecompress("cannot decompress the first frame of " + std::string(xfer.getXferName()) + ": " + why);
    throw DecodeFailure("cannot decode pixel data: " + why);
  }
  const int width = static_cast<int>(image.getWidth()), height = static_cast<int>(image.getHeight());
  if (image.isMonochrome() != 0) {
    double centre = 0.0, windowWidth = 0.0;
    if (image.getVoiLutCount() > 0 && image.setVoiLut(0) != 0) {
      out.window = "voi-lut";
    } else if (image.getWindowCount() > 0 && image.setWindow(0) != 0 && image.getWindow(centre, windowWidth) != 0 &&
               windowWidth >= 1.0) {
      out.window = "window";
    } else {
      if (image.getWindowCount() > 0) out.warnings.push_back("window in the file is invalid: percentile window used");
      percentileWindow(image, out.display);
      out.window = "percentile";
    }
    out.display.create(height, width, CV_8U);
    if (image.getOutputData(out.display.data, out.display.total(), 8, 0) == 0) {
      throw DecodeFailure("cannot render the image");
    }
  } else {
    cv::Mat rgb(height, width, CV_8UC3);
    if (image.getOutputData(rgb.data, rgb.total() * 3U, 8, 0, 0) == 0) throw DecodeFailure("cannot render the image");
    cv::cvtColor(rgb, out.display, cv::COLOR_RGB2GRAY);
    out.window = "none";
    out.warnings.push_back("colour image (" + info.photometric + ") converted to grey");
  }
  return out;
}

}  // namespace

bool isSupportedTransferSyntax(const std::string& uid) {
  static const char* const kSupported[] = {
      UID_LittleEndianImplicitTransferSyntax, UID_LittleEndianExplicitTransferSyntax,
      UID_BigEndianExplicitTransferSyntax,    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
      UID_JPEGProcess1TransferSyntax,         UID_JPEGProcess2_4TransferSyntax,
      UID_JPEGProcess14TransferSyntax,        UID_JPEGProcess14SV1TransferSyntax,
      UID_JPEGLSLosslessTransferSyntax,       UID_JPEGLSLossyTransferSyntax,
      UID_RLELosslessTransferSyntax};
  for (const char* supported : kSupported) {
    if (uid == supported) return true;
  }
  return false;
}

RadiographInfo describe(DcmDataset& d, const std::string& transferSyntaxUid) {
  RadiographInfo info;
  info.transferSyntaxUid = transferSyntaxUid;
  info.specificCharacterSet = text(d, DCM_SpecificCharacterSet);
  info.sopClassUid = text(d, DCM_SOPClassUID);
  info.sopInstanceUid = text(d, DCM_SOPInstanceUID);
  info.seriesInstanceUid = text(d, DCM_SeriesInstanceUID);
  info.modality = text(d, DCM_Modality);
  info.patient = {text(d, DCM_PatientName), text(d, DCM_PatientID), text(d, DCM_PatientBirthDate),
                  text(d, DCM_PatientSex), text(d, DCM_PatientAge)};
  info.study = {text(d, DCM_StudyInstanceUID), text(d, DCM_StudyDate),          text(d, DCM_StudyTime),
                text(d, DCM_StudyID),          text(d, DCM_AccessionNumber),    text(d, DCM_ReferringPhysicianName),
                text(d, DCM_StudyDescription)};
  info.bodyPartExamined = text(d, DCM_BodyPartExamined);
  info.viewPosition = text(d, DCM_ViewPosition);
  info.patientOrientation = text(d, DCM_PatientOrientation);
  info.seriesDescription = text(d, DCM_SeriesDescription);
  info.protocolName = text(d, DCM_ProtocolName);
  info.rows = integer(d, DCM_Rows, 0);
  info.columns = integer(d, DCM_Columns, 0);
  info.frames = std::max(1, integer(d, DCM_NumberOfFrames, 1));
  info.bitsAllocated = integer(d, DCM_BitsAllocated, 0);
  info.bitsStored = integer(d, DCM_BitsStored, 0);
  info.samplesPerPixel = integer(d, DCM_SamplesPerPixel, 1);
  info.signedPixels = integer(d, DCM_PixelRepresentation, 0) == 1;
  info.photometric = text(d, DCM_PhotometricInterpretation);
  // Lossy history: the file says so (Lossy Image Compression 01), or it is stored in a transfer
  // syntax that is lossy by definition (JPEG baseline / extended, JPEG-LS near-lossless).
  const bool lossyJpeg = transferSyntaxUid == "1.2.840.10008.1.2.4.50" || transferSyntaxUid == "1.2.840.10008.1.2.4.51";
  const bool lossyJpegLs = transferSyntaxUid == "1.2.840.10008.1.2.4.81";
  info.lossyCompressed = text(d, DCM_LossyImageCompression) == "01" || lossyJpeg || lossyJpegLs;
  info.lossyCompressionMethod = text(d, DCM_LossyImageCompressionMethod);
  if (info.lossyCompressionMethod.empty()) info.lossyCompressionMethod = lossyJpeg ? "ISO_10918_1" : lossyJpegLs ? "ISO_14495_1" : "";
  info.calibrationAttributes = {optionalText(d, DCM_PixelSpacing), optionalText(d, DCM_PixelSpacingCalibrationType),
                                optionalText(d, DCM_ImagerPixelSpacing),
                                optionalText(d, DCM_EstimatedRadiographicMagnificationFactor)};
  info.calibration = core::calibrationFromDicom(info.calibrationAttributes);
  return info;
}

Radiograph readRadiograph(const std::string& path, const ReadLimits& limits) {
  detail::registerDecoders();
  {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw NotDicom("cannot open " + path);
    char head[kPreamble + 4] = {};
    file.read(head, sizeof head);
    requirePart10(head, static_cast<std::size_t>(file.gcount()));
  }
  DcmFileFormat file;
  const OFCondition status = file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_fileOnly);
  if (status.bad()) failLoad(status);
  return decode(file, limits);
}

namespace {

void parseBuffer(DcmFileFormat& file, const void* data, std::size_t size) {
  detail::registerDecoders();
  requirePart10(static_cast<const char*>(data), size);
  DcmInputBufferStream stream;
  stream.setBuffer(data, static_cast<offile_off_t>(size));
  stream.setEos();
  file.transferInit();
  const OFCondition status = file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
  file.transferEnd();
  if (status.bad()) failLoad(status);
}

}  // namespace

Radiograph readRadiograph(const void* data, std::size_t size, const ReadLimits& limits) {
  DcmFileFormat file;
  parseBuffer(file, data, size);
  return decode(file, limits);
}

Radiograph readRadiograph(const void* data, std::size_t size, const DecodedFrame& frame, const ReadLimits& limits) {
  DcmFileFormat file;
  parseBuffer(file, data, size);
  return decode(file, limits, &frame);
}

}  // namespace sagitta::dicom
