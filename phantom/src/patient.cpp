// SPDX-License-Identifier: GPL-3.0-or-later
// Patient sampling. Every coefficient here is listed, with its source, in docs/PHANTOM.md.
#include "sagitta/phantom/patient.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace sagitta::phantom {
namespace {

constexpr std::array<std::string_view, kVarietyCount> kVarietyKeys{
    "scoliosis", "hyperkyphosis", "flatback", "spondylolisthesis", "degenerative",
    "osteoporosis", "instrumentation", "cage", "hip-prosthesis"};

// Vertebra indices (level numbers of the landmark catalogue): 0 = C2 ... 6 = T1 ... 18 = L1, 22 = L5.
constexpr int kT1 = 6, kT4 = 9, kT6 = 11, kT8 = 13, kT10 = 15, kT12 = 17, kL1 = 18, kL2 = 19, kL4 = 21, kL5 = 22;

// Clinical frequencies per age group {child, adult, elderly} in "mixed" mode.
struct Frequency {
  Variety variety;
  double child, adult, elderly;
};
constexpr std::array<Frequency, 8> kFrequencies{{
    {Variety::Scoliosis, 0.15, 0.06, 0.15},
    {Variety::Hyperkyphosis, 0.03, 0.05, 0.15},
    {Variety::FlatBack, 0.0, 0.04, 0.10},
    {Variety::Spondylolisthesis, 0.04, 0.06, 0.08},
    {Variety::Degenerative, 0.0, 0.20, 0.70},
    {Variety::Osteoporosis, 0.0, 0.02, 0.35},
    {Variety::Instrumentation, 0.03, 0.06, 0.12},
    {Variety::HipProsthesis, 0.0, 0.01, 0.08},
}};

double byGroup(AgeGroup group, double child, double adult, double elderly) {
  return group == AgeGroup::Child ? child : group == AgeGroup::Adult ? adult : elderly;
}

void chooseVarieties(Rng& rng, const VarietyPolicy& policy, PatientSpec& p) {
  if (!policy.mixed) {
    for (const auto v : policy.forced) p.set(v);
  } else {
    for (const auto& f : kFrequencies) {
      if (rng.chance(byGroup(p.group, f.child, f.adult, f.elderly))) p.set(f.variety);
    }
    if (p.has(Variety::Instrumentation) && rng.chance(0.5)) p.set(Variety::Cage);
  }
  if (p.has(Variety::Cage)) p.set(Variety::Instrumentation);  // cages come with a posterior construct
}

void applyVarieties(Rng& rng, PatientSpec& p) {
  if (p.has(Variety::Osteoporosis)) {
    p.boneDensity *= rng.uniform(0.5, 0.7);
    const int count = rng.integer(1, 3);
    for (int i = 0; i < count; ++i) p.fractures.push_back(rng.integer(kT6, kL2));
  }
  if (p.has(Variety::Hyperkyphosis)) {
    p.thoracicKyphosis = rng.normalIn(68.0, 8.0, 55.0, 90.0);
    if (p.group != AgeGroup::Child && rng.chance(0.6)) p.fractures.push_back(rng.integer(kT6, kT12));
  }
  if (p.has(Variety::FlatBack)) {
    p.lumbarLordosis -= rng.normalIn(30.0, 8.0, 15.0, 45.0);
    p.svaTarget += rng.uniform(30.0, 80.0);
  }
  if (p.has(Variety::Scoliosis)) {
    p.scoliosisCobb = rng.normalIn(32.0, 12.0, 12.0, 70.0);
    const int apexChoice = rng.integer(0, 3);
    p.scoliosisApex = apexChoice == 0 ? kT8 : apexChoice == 1 ? kT10 : apexChoice == 2 ? kT12 : kL2;
    if (p.group == AgeGroup::Child) p.thoracicKyphosis -= rng.uniform(5.0, 15.0);  // lordoscoliosis
  }
  if (p.has(Variety::Spondylolisthesis)) {
    p.slipLevel = p.group == AgeGroup::Elderly ? kL4 : kL5;  // degenerative L4-5, isthmic L5-S1
    p.slipFraction = rng.uniform(0.1, 0.45);
  }
  if (p.has(Variety::Instrumentation)) {
    if (p.has(Variety::Scoliosis) || rng.chance(0.2)) {
      p.fusionTop = rng.integer(kT4, kT10);  // long construct
      p.fusionBottom = rng.integer(kL2, kL5);
    } else {
      p.fusionBottom = rng.chance(0.6) ? kL5 : kL4;
      p.fusionTop = p.fusionBottom - rng.integer(1, 5);
    }
    p.fusionTop = std::max(p.fusionTop, p.fusionBottom - 17);  // at most 18 levels
    if (p.has(Variety::Cage)) {
      const int discs = rng.integer(1, 2);
      for (int d = 0; d < discs; ++d) {
        const int disc = std::max(p.fusionTop, std::max(kL1, p.fusionBottom - 1 - d));
        if (std::find(p.cageDiscs.begin(), p.cageDiscs.end(), disc) == p.cageDiscs.end()) p.cageDiscs.push_back(disc);
      }
    }
  }
  if (p.has(Variety::HipProsthesis)) p.prosthesisNear = rng.chance(0.5);
  p.thoracicKyphosis = std::clamp(p.thoracicKyphosis, 0.0, 95.0);
  p.lumbarLordosis = std::clamp(p.lumbarLordosis, -10.0, 90.0);
}

}  // namespace

std::string_view ageGroupKey(AgeGroup group) {
  return group == AgeGroup::Child ? "child" : group == AgeGroup::Adult ? "adult" : "elderly";
}

std::string_view varietyKey(Variety variety) { return kVarietyKeys.at(static_cast<std::size_t>(variety)); }

std::optional<Variety> varietyFromKey(std::string_view key) {
  for (std::size_t i = 0; i < kVarietyKeys.size(); ++i) {
    if (kVarietyKeys[i] == key) return static_cast<Variety>(i);
  }
  return std::nullopt;
}

VarietyPolicy VarietyPolicy::forCase(int index) const {
  if (!showcase) return *this;
  VarietyPolicy single;
  single.mixed = false;
  const int slot = index % static_cast<int>(kVarietyCount + 1);
  if (slot > 0) single.forced.push_back(static_cast<Variety>(slot - 1));
  return single;
}

VarietyPolicy VarietyPolicy::parse(std::string_view text) {
  VarietyPolicy policy;
  if (text == "mixed") return policy;
  policy.mixed = false;
  if (text == "normal") return policy;
  if (text == "showcase") {
    policy.showcase = true;
    return policy;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find(',', start);
    const auto key = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto variety = varietyFromKey(key);
    if (!variety) {
      std::string known = "mixed, normal, showcase";
      for (const auto k : kVarietyKeys) known += ", " + std::string(k);
      throw std::invalid_argument("unknown variety \"" + std::string(key) + "\" (known: " + known + ")");
    }
    policy.forced.push_back(*variety);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return policy;
}

PatientSpec samplePatient(Rng& rng, const VarietyPolicy& policy) {
  PatientSpec p;
  const double g = rng.uniform();
  p.group = g < 0.12 ? AgeGroup::Child : g < 0.65 ? AgeGroup::Adult : AgeGroup::Elderly;
  p.age = p.group == AgeGroup::Child ? rng.integer(6, 15) : p.group == AgeGroup::Adult ? rng.integer(18, 59)
                                                                                          : rng.integer(60, 88);
  p.female = rng.chance(0.5);
  if (p.group == AgeGroup::Child) {
    p.size = 0.55 + 0.035 * (p.age - 6) + rng.normal(0.0, 0.03);
  } else {
    p.size = rng.normalIn(p.female ? 0.95 : 1.05, 0.05, 0.82, 1.2) * (p.group == AgeGroup::Elderly ? 0.98 : 1.0);
  }
  p.bodyMass = p.group == AgeGroup::Child ? rng.normalIn(0.85, 0.1, 0.7, 1.2) : rng.normalIn(1.0, 0.18, 0.7, 1.6);

  p.pelvicIncidence = byGroup(p.group, rng.normalIn(46.0, 9.0, 28.0, 75.0), rng.normalIn(52.0, 10.0, 30.0, 85.0),
                              rng.normalIn(54.0, 11.0, 30.0, 88.0));
  p.degeneration = byGroup(p.group, 0.0, rng.normalIn(0.1, 0.1, 0.0, 0.6), rng.normalIn(0.45, 0.25, 0.0, 1.0));
  const double llIntercept = p.group == AgeGroup::Child ? 26.0 : 29.0;
  p.lumbarLordosis = 0.6 * p.pelvicIncidence + llIntercept + rng.normal(0.0, 6.0);
  p.thoracicKyphosis = byGroup(p.group, rng.normal(34.0, 8.0), rng.normal(40.0, 9.0), rng.normal(45.0, 10.0));
  p.thoracolumbar = rng.normal(0.0, 3.0);
  p.cervicothoracic = rng.normal(-1.0, 3.0);
  p.svaTarget = byGroup(p.group, rng.normal(-5.0, 15.0), rng.normal(0.0, 20.0), rng.normal(15.0, 25.0));
  p.cervicalMismatch = rng.normal(16.0, 7.0);
  p.pelvicRadius = rng.normalIn(125.0, 10.0, 100.0, 150.0) * p.size;
  p.boneDensity = byGroup(p.group, 0.9, rng.normalIn(1.0, 0.08, 0.8, 1.2), rng.normalIn(0.82, 0.1, 0.6, 1.0));

  chooseVarieties(rng, policy, p);
  if (p.has(Variety::Degenerative)) p.degeneration = std::min(1.0, p.degeneration + rng.uniform(0.3, 0.5));
  // Age-related change, then the varieties (which override where they define the shape).
  p.lumbarLordosis -= 25.0 * p.degeneration;
  p.thoracicKyphosis += 12.0 * p.degeneration;
  p.svaTarget += 60.0 * p.degeneration;
  applyVarieties(rng, p);
  return p;
}

}  // namespace sagitta::phantom
