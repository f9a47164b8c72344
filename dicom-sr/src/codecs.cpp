// SPDX-License-Identifier: GPL-3.0-or-later
#include "codecs.hpp"

#include "sagitta/dicom/radiograph.hpp"

#include <mutex>

#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmimage/diregist.h>  // colour images in DicomImage (registers on inclusion)
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

namespace sagitta::dicom::detail {

void registerDecoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

}  // namespace sagitta::dicom::detail

namespace sagitta::dicom {

void setDcmtkLog(DcmtkLog level) {
  OFLog::configure(level == DcmtkLog::Errors ? OFLogger::ERROR_LOG_LEVEL : OFLogger::OFF_LOG_LEVEL);
}

}  // namespace sagitta::dicom
