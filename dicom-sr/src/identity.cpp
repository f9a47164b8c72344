// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/identity.hpp"

namespace sagitta::dicom {

bool isSagittaOutput(std::string_view manufacturer, std::string_view sopClassUid) {
  return manufacturer == kManufacturer && (sopClassUid == kSrSopClass || sopClassUid == kScSopClass || sopClassUid == kPdfSopClass);
}

}  // namespace sagitta::dicom
