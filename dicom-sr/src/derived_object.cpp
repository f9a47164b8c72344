// SPDX-License-Identifier: GPL-3.0-or-later
#include "derived_object.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>

#include "sagitta/dicom/errors.hpp"

namespace sagitta::dicom::detail {

void putString(DcmItem& item, const DcmTagKey& tag, const std::string& value) {
  if (item.putAndInsertString(tag, value.c_str()).bad()) {
    throw DicomError(std::string("cannot set ") + DcmTag(tag).getTagName());
  }
}

void putDerivedIdentity(DcmItem& d, const RadiographInfo& s, const char* sopClassUid, const OutputUids& uids) {
  if (!s.specificCharacterSet.empty()) putString(d, DCM_SpecificCharacterSet, s.specificCharacterSet);
  putString(d, DCM_SOPClassUID, sopClassUid);
  putString(d, DCM_SOPInstanceUID, uids.instance);
  // Patient and study copied from the source as they are (no re-validation of its values).
  putString(d, DCM_PatientName, s.patient.name);
  putString(d, DCM_PatientID, s.patient.id);
  putString(d, DCM_PatientBirthDate, s.patient.birthDate);
  putString(d, DCM_PatientSex, s.patient.sex);
  putString(d, DCM_StudyInstanceUID, s.study.studyInstanceUid);
  putString(d, DCM_StudyDate, s.study.studyDate);
  putString(d, DCM_StudyTime, s.study.studyTime);
  putString(d, DCM_StudyID, s.study.studyId);
  putString(d, DCM_AccessionNumber, s.study.accessionNumber);
  putString(d, DCM_ReferringPhysicianName, s.study.referringPhysician);
  putString(d, DCM_StudyDescription, s.study.studyDescription);
  putString(d, DCM_SeriesInstanceUID, uids.series);
}

void putSourceReference(DcmItem& d, const DcmTagKey& sequence, const RadiographInfo& s) {
  DcmItem* source = nullptr;
  if (d.findOrCreateSequenceItem(sequence, source, -2).bad() || source == nullptr) {
    throw DicomError(std::string("cannot create the ") + DcmTag(sequence).getTagName());
  }
  putString(*source, DCM_ReferencedSOPClassUID, s.sopClassUid);
  putString(*source, DCM_ReferencedSOPInstanceUID, s.sopInstanceUid);
}

}  // namespace sagitta::dicom::detail
