// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/dicom_edit.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

namespace sagitta::testing {

std::unique_ptr<DcmFileFormat> readPart10(const std::string& bytes) {
  DcmInputBufferStream in;
  in.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  in.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  file->transferInit();
  const bool read = file->read(in).good();
  file->transferEnd();
  return read ? std::move(file) : nullptr;
}

void encapsulateAsUndecodableJpeg2000(DcmDataset& dataset) {
  dataset.findAndDeleteElement(DCM_PixelData);
  auto* pixelData = new DcmPixelData(DCM_PixelData);
  auto* sequence = new DcmPixelSequence(DCM_PixelSequenceTag);
  sequence->insert(new DcmPixelItem(DCM_PixelItemTag));  // empty basic offset table
  auto* fragment = new DcmPixelItem(DCM_PixelItemTag);
  Uint8 bytes[16] = {0xFF, 0x4F, 0xFF, 0x51};
  fragment->putUint8Array(bytes, sizeof bytes);
  sequence->insert(fragment);
  pixelData->putOriginalRepresentation(EXS_JPEG2000LosslessOnly, nullptr, sequence);
  dataset.insert(pixelData, true);
}

}  // namespace sagitta::testing
