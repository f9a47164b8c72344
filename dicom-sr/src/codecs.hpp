// SPDX-License-Identifier: GPL-3.0-or-later
// Internal: registers DCMTK's decoders (JPEG, JPEG-LS, RLE) and colour image support once.
#pragma once

namespace sagitta::dicom::detail {

void registerDecoders();

}  // namespace sagitta::dicom::detail
