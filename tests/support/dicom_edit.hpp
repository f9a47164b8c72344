// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM objects made and changed by tests (DCMTK): read from memory, pixel data re-encapsulated.
#pragma once

#include <memory>
#include <string>

#include <dcmtk/dcmdata/dcfilefo.h>

namespace sagitta::testing {

// A Part 10 file read from memory; nullptr when DCMTK cannot read it.
std::unique_ptr<DcmFileFormat> readPart10(const std::string& bytes);

// Replaces the pixel data with one JPEG 2000 Lossless fragment that nothing can decode (and
// nothing need: a transfer syntax DCMTK does not decompress here). Save with
// EXS_JPEG2000LosslessOnly.
void encapsulateAsUndecodableJpeg2000(DcmDataset& dataset);

}  // namespace sagitta::testing
