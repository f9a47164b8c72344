// SPDX-License-Identifier: GPL-3.0-or-later
// A sampled phantom patient: age group, size, varieties and the sagittal shape targets.
// Relations and their sources: docs/PHANTOM.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sagitta/phantom/rng.hpp"

namespace sagitta::phantom {

enum class AgeGroup { Child, Adult, Elderly };
std::string_view ageGroupKey(AgeGroup group);

// What a clinic sees beyond the average spine. Each is a flag of PatientSpec.
enum class Variety : std::uint8_t {
  Scoliosis,          // lateral curve seen laterally: rotated bodies, doubled endplates
  Hyperkyphosis,      // thoracic kyphosis 55-85 deg, often with compression fractures
  FlatBack,           // loss of lumbar lordosis, compensating pelvic retroversion
  Spondylolisthesis,  // anterior slip of L4 or L5, isthmic pars defect
  Degenerative,       // disc height loss, osteophytes, vacuum discs, sclerotic endplates
  Osteoporosis,       // low bone contrast, thin cortices, wedge fractures
  Instrumentation,    // pedicle screws and rods over 2-18 levels
  Cage,               // interbody cages (with instrumentation)
  HipProsthesis,      // one femoral head replaced by metal
};
inline constexpr std::size_t kVarietyCount = 9;
std::string_view varietyKey(Variety variety);
std::optional<Variety> varietyFromKey(std::string_view key);

// How varieties are chosen: "mixed" draws them with clinical frequencies (docs/PHANTOM.md),
// "normal" gives none, "showcase" cycles through them one per case, otherwise the listed ones
// are forced on every case (others off).
struct VarietyPolicy {
  bool mixed = true;
  bool showcase = false;  // case i gets the i-th entry of a fixed cycle (none, then each variety)
  std::vector<Variety> forced;
  // The policy that applies to case `index` (resolves "showcase").
  VarietyPolicy forCase(int index) const;
  // Parses "mixed", "normal", "showcase" or a comma-separated list of variety keys. Throws
  // std::invalid_argument naming the unknown key.
  static VarietyPolicy parse(std::string_view text);
};

struct PatientSpec {
  AgeGroup group = AgeGroup::Adult;
  int age = 45;
  bool female = false;
  double size = 1.0;       // skeletal scale (1 = average adult male-female mean)
  double bodyMass = 1.0;   // soft-tissue thickness factor (BMI-like)
  std::uint32_t varieties = 0;
  bool has(Variety v) const { return (varieties >> static_cast<unsigned>(v)) & 1U; }
  void set(Variety v) { varieties |= 1U << static_cast<unsigned>(v); }

  // Sagittal shape targets (deg, mm at patient scale).
  double pelvicIncidence = 52.0;
  double lumbarLordosis = 50.0;    // L1 superior to S1 endplate (LL)
  double thoracicKyphosis = 40.0;  // T1 superior to T12 inferior (GTK)
  double thoracolumbar = -2.0;     // T12 body + T12-L1 disc, lordosis-positive
  double cervicothoracic = 0.0;    // C7 body + C7-T1 disc
  double svaTarget = 10.0;         // balance the pelvis is rotated to reach (mm)
  double cervicalMismatch = 16.0;  // T1S - CL (deg): the cervical lordosis follows the T1 slope
  double pelvicRadius = 120.0;     // hip axis to S1 endplate midpoint (mm)
  double degeneration = 0.0;       // 0..1
  double boneDensity = 1.0;        // trabecular attenuation factor
  // Variety details.
  double scoliosisCobb = 0.0;      // coronal Cobb angle, deg (drives body rotation)
  int scoliosisApex = 0;           // index of the apex vertebra (0 = C2 ... 22 = L5)
  int slipLevel = -1;              // vertebra index that slips (21 = L4, 22 = L5)
  double slipFraction = 0.0;       // of the lower endplate depth
  std::vector<int> fractures;      // vertebra indices with wedge fractures
  int fusionTop = -1, fusionBottom = -1;  // instrumented vertebra range (inclusive)
  std::vector<int> cageDiscs;      // disc below vertebra index
  bool prosthesisNear = false;     // which femoral head is replaced (near = detector side)
};

PatientSpec samplePatient(Rng& rng, const VarietyPolicy& policy);

}  // namespace sagitta::phantom
