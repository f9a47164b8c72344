// SPDX-License-Identifier: GPL-3.0-or-later
// A data set as a DICOM Part 10 file, in memory or on disk: the plugin posts its SR and SC from
// memory (no scratch files that another process could read, replace or collide with).
#pragma once

#include <string>

#include <dcmtk/dcmdata/dcfilefo.h>

namespace sagitta::dicom::detail {

// Preamble, meta header (completed for the transfer syntax) and data set, Explicit VR Little
// Endian. Throws DicomError with DCMTK's reason.
std::string part10Bytes(DcmFileFormat& file);

// The same bytes written to path (truncated first). Throws DicomError.
void writePart10(const std::string& bytes, const std::string& path);

}  // namespace sagitta::dicom::detail
