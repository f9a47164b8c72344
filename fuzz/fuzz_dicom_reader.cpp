// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: any bytes through the DICOM reading and decoding path the plugin uses
// (Part 10 check, DCMTK parse, transfer syntax, decompression, modality / VOI / photometric
// rendering). A typed sagitta error is an answer; anything else (a crash, a sanitizer report,
// another exception, a hang, runaway memory) is a finding.
#include <cstddef>
#include <cstdint>

#include "sagitta/core/errors.hpp"
#include "sagitta/dicom/radiograph.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sagitta::dicom::setDcmtkLog(sagitta::dicom::DcmtkLog::Silent);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    // The plugin's pixel limit is far larger; a small one keeps each run quick and the RSS low.
    const auto r = sagitta::dicom::readRadiograph(data, size, {4'000'000});
    if (r.display.empty() || r.display.rows != r.info.rows || r.display.cols != r.info.columns) __builtin_trap();
  } catch (const sagitta::core::Error&) {
  }
  return 0;
}
