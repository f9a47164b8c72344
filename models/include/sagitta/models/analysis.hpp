// SPDX-License-Identifier: GPL-3.0-or-later
// One radiograph analysed end to end, as `sagitta analyze` and the Orthanc plugin both do it:
// decoded image -> inference and gate -> measurement -> SR, overlay SC and JSON. An image the
// gate refuses is never measured: the result carries the reasons instead.
#pragma once

#include <string>
#include <vector>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/models/inference_engine.hpp"

namespace sagitta::models {

struct Analysis {
  bool accepted = false;
  std::vector<std::string> reasons;  // the gate's, when refused
  Prediction prediction;
  dicom::ReportInput report;         // source, landmarks (with sigma), measurement, model identity
  double inferenceSeconds = 0.0, measurementSeconds = 0.0;
};

Analysis analyse(InferenceEngine& engine, const dicom::Radiograph& radiograph);

// {"accepted", "reasons", "model": {...}, "landmarks": <landmarks file>, "parameters": <measurement>}
std::string analysisToJson(const Analysis& analysis);

}  // namespace sagitta::models
