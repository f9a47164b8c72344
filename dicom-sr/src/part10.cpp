// SPDX-License-Identifier: GPL-3.0-or-later
#include "part10.hpp"

#include <fstream>
#include <vector>

#include <dcmtk/dcmdata/dcostrmb.h>

#include "sagitta/dicom/errors.hpp"

namespace sagitta::dicom::detail {

std::string part10Bytes(DcmFileFormat& file) {
  constexpr E_TransferSyntax kXfer = EXS_LittleEndianExplicit;
  std::vector<char> chunk(1U << 20U);
  DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
  std::string bytes;
  file.transferInit();
  OFCondition status = EC_StreamNotifyClient;
  while (status == EC_StreamNotifyClient) {
    // The file-format write completes the meta header for kXfer, as saveFile does.
    status = file.write(stream, kXfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange, 0, 0, 0, EWM_fileformat);
    void* written = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(written, length);
    bytes.append(static_cast<const char*>(written), static_cast<std::size_t>(length));
  }
  file.transferEnd();
  if (status.bad()) throw DicomError(std::string("cannot encode the object: ") + status.text());
  return bytes;
}

void writePart10(const std::string& bytes, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw DicomError("cannot write " + path);
}

}  // namespace sagitta::dicom::detail
