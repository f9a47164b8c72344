// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta info IN.dcm: decode a radiograph and print what Sagitta reads from it (identifiers,
// view, geometry, calibration, window, warnings) as JSON, without patient data.
#include <ostream>

#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/dicom/radiograph.hpp"

namespace sagitta::cli {

int runInfo(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {}, {"help"});
  if (arguments.flag("help") || arguments.positional().size() != 1) {
    (arguments.flag("help") ? io.out : io.err) << "usage: sagitta info IN.dcm\n";
    return arguments.flag("help") ? kExitOk : kExitBadInput;
  }
  const auto r = dicom::readRadiograph(arguments.positional()[0]);
  const auto& i = r.info;
  nlohmann::ordered_json out{
      {"sop_class_uid", i.sopClassUid},
      {"sop_instance_uid", i.sopInstanceUid},
      {"study_instance_uid", i.study.studyInstanceUid},
      {"series_instance_uid", i.seriesInstanceUid},
      {"transfer_syntax_uid", i.transferSyntaxUid},
      {"modality", i.modality},
      {"body_part_examined", i.bodyPartExamined},
      {"view_position", i.viewPosition},
      {"patient_orientation", i.patientOrientation},
      {"rows", i.rows},
      {"columns", i.columns},
      {"frames", i.frames},
      {"bits_stored", i.bitsStored},
      {"photometric", i.photometric},
      {"calibration", core::calibrationKey(i.calibration.kind)},
      {"calibration_note", i.calibration.note},
      {"window", r.window},
      {"warnings", r.warnings}};
  io.out << out.dump(2) << "\n";
  return kExitOk;
}

}  // namespace sagitta::cli
