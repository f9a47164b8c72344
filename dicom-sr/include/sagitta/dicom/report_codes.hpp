// SPDX-License-Identifier: GPL-3.0-or-later
// Codes of the Sagitta SR: standard ones where they exist (SNOMED CT, DCM, UCUM), otherwise the
// private scheme 99SAGITTA, declared in every SR's Coding Scheme Identification Sequence.
#pragma once

#include <string>
#include <string_view>

#include "sagitta/core/parameter_catalogue.hpp"

namespace sagitta::dicom {

inline constexpr std::string_view kPrivateScheme = "99SAGITTA";
inline constexpr std::string_view kPrivateSchemeName = "Sagitta sagittal spine measurement codes";

struct Code {
  std::string value, scheme, meaning;
};

// Concept name of a parameter's NUM: SCT "Cobb angle" for the endplate-to-endplate angles (LL,
// CL, GTK, PTK, MTK, L4SL), a 99SAGITTA code (value = parameter id) for the others.
Code conceptOf(core::ParameterId id);
// Finding site: SCT body structures (spine, cervical / thoracic / lumbar spine, pelvis, sacrum).
Code findingSiteOf(core::ParameterId id);
// UCUM unit: deg, mm, {ratio}; {pixels} for lengths without calibration.
Code unitOf(core::ParameterUnit unit, bool calibrated);
// A landmark's NUM (its localisation uncertainty, mm): 99SAGITTA, value = landmark id.
Code landmarkConcept(std::string_view landmarkKey);

Code privateCode(std::string_view value, std::string_view meaning);

}  // namespace sagitta::dicom
