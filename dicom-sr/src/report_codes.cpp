// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/report_codes.hpp"

namespace sagitta::dicom {

using P = core::ParameterId;

Code privateCode(std::string_view value, std::string_view meaning) {
  return {std::string(value), std::string(kPrivateScheme), std::string(meaning.substr(0, 64))};
}

Code conceptOf(P id) {
  switch (id) {
    case P::LL: case P::CL: case P::GTK: case P::PTK: case P::MTK: case P::L4SL:
      return {"285285000", "SCT", "Cobb angle"};
    default: {
      const auto& info = core::parameterInfo(id);
      return privateCode(info.key, info.name);
    }
  }
}

Code findingSiteOf(P id) {
  switch (id) {
    case P::CL: case P::cSVA: return {"122494005", "SCT", "Cervical spine"};
    case P::T1S: case P::GTK: case P::PTK: case P::MTK: return {"122495006", "SCT", "Thoracic spine"};
    case P::LL: case P::L4SL: return {"122496007", "SCT", "Lumbar spine"};
    case P::SS: return {"54735007", "SCT", "Sacrum"};
    case P::PI: case P::PT: return {"12921003", "SCT", "Pelvis"};
    default: return {"421060004", "SCT", "Spine"};
  }
}

Code unitOf(core::ParameterUnit unit, bool calibrated) {
  switch (unit) {
    case core::ParameterUnit::Degree: return {"deg", "UCUM", "degree"};
    case core::ParameterUnit::Length:
      return calibrated ? Code{"mm", "UCUM", "millimeter"} : Code{"{pixels}", "UCUM", "pixels"};
    case core::ParameterUnit::Ratio: return {"{ratio}", "UCUM", "ratio"};
  }
  return {"1", "UCUM", "no units"};
}

Code landmarkConcept(std::string_view landmarkKey) {
  return privateCode(landmarkKey, std::string(landmarkKey) + " localization uncertainty");
}

}  // namespace sagitta::dicom
