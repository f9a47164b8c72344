// SPDX-License-Identifier: GPL-3.0-or-later
// What an object Sagitta derives from a film (the overlay SC, the PDF report) copies from it: the
// character set, the patient and the study as they are, with its own SOP class and UIDs.
#pragma once

#include <string>

#include <dcmtk/dcmdata/dcitem.h>

#include "sagitta/dicom/structured_report.hpp"

namespace sagitta::dicom::detail {

// Sets one attribute; throws DicomError naming it.
void putString(DcmItem& item, const DcmTagKey& tag, const std::string& value);

// SOP Common (character set, class, instance), Patient, General Study and the Series Instance UID.
void putDerivedIdentity(DcmItem& item, const RadiographInfo& source, const char* sopClassUid, const OutputUids& uids);

// One item in sequence (Source Image / Source Instance Sequence) naming the source film.
void putSourceReference(DcmItem& item, const DcmTagKey& sequence, const RadiographInfo& source);

}  // namespace sagitta::dicom::detail
