// SPDX-License-Identifier: GPL-3.0-or-later
// Typed errors of DICOM reading; what() is a one-line reason without patient data.
#pragma once

#include <string>

#include "sagitta/core/errors.hpp"

namespace sagitta::dicom {

class DicomError : public core::Error {
 public:
  using core::Error::Error;
};
// Not a DICOM Part 10 file (no preamble / "DICM" / meta header), or unreadable.
class NotDicom : public DicomError {
 public:
  using DicomError::DicomError;
};
class TruncatedFile : public DicomError {
 public:
  using DicomError::DicomError;
};
class UnsupportedTransferSyntax : public DicomError {
 public:
  explicit UnsupportedTransferSyntax(const std::string& uid, const std::string& name)
      : DicomError("unsupported transfer syntax " + uid + (name.empty() ? "" : " (" + name + ")")), uid_(uid) {}
  const std::string& uid() const { return uid_; }

 private:
  std::string uid_;
};
// A valid DICOM object that is not an image we can measure (SR, no pixel data, too large...).
class NotAnImage : public DicomError {
 public:
  using DicomError::DicomError;
};
class DecodeFailure : public DicomError {
 public:
  using DicomError::DicomError;
};
// The pixel data is well formed but DCMTK's codecs cannot decompress it here: another decoder
// (the PACS's own, with its plugins) may. Callers choose the fallback by this type.
class CannotDecompress : public DecodeFailure {
 public:
  using DecodeFailure::DecodeFailure;
};

}  // namespace sagitta::dicom
