// SPDX-License-Identifier: GPL-3.0-or-later
// One radiograph analysed end to end, as `sagitta analyse` and the Orthanc plugin both do it:
// decoded image -> inference and gate -> measurement -> SR, overlay SC and JSON. An image the
// gate refuses, or whose landmarks fail the anatomical checks, is never measured: the result
// carries the reasons instead.
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
  std::vector<std::string> reasons;  // the gate's or the failed quality checks', when refused
  std::vector<core::ParameterId> withheld;  // "not measurable": a failed check concerns them
  Prediction prediction;
  dicom::ReportInput report;         // source, landmarks (with sigma), measurement, model identity
  double inferenceSeconds = 0.0, measurementSeconds = 0.0;
};

// The measurement of a model's landmarks under the fail-closed policy (core/fail_closed.hpp):
// refused with the reasons, or measured with the parameters that failed checks concern withheld.
struct FailClosedMeasurement {
  bool accepted = false;
  std::vector<std::string> reasons;
  std::vector<core::ParameterId> withheld;
  core::Measurement measurement;
};
FailClosedMeasurement measureFailClosed(const core::LandmarkSet& landmarks, const core::Calibration& calibration);

// A parameter the model could not measure because landmarks it reads are off the film (the
// presence output says so) gets core::kOutsideFieldOfViewPrefix, then the landmarks' names: a
// lumbar film is not refused for its missing cervical spine, and the report says why CL is absent.
void markOutsideFieldOfView(core::Measurement& measurement, const Prediction& prediction);

Analysis analyse(InferenceEngine& engine, const dicom::Radiograph& radiograph);

// {"accepted", "reasons", "model": {...}, "landmarks": <landmarks file>, "parameters": <measurement>}
// indent < 0: compact (one line), as the plugin keeps it in its queue database.
std::string analysisToJson(const Analysis& analysis, int indent = 2);

}  // namespace sagitta::models
