// SPDX-License-Identifier: GPL-3.0-or-later
// Stacks the spine from S1 upwards. Angles are "lordosis-positive": each body wedge and disc
// adds its angle to the endplate inclination going up, so LL = sum of lumbar pieces and
// GTK = -(sum of thoracic pieces) hold exactly (docs/PHANTOM.md, "Spine").
#include <algorithm>
#include <functional>

#include "sagitta/phantom/spine_geometry.hpp"

namespace sagitta::phantom {
namespace {

constexpr int kC2 = 0, kC7 = 5, kT1 = 6, kT5 = 10, kT11 = 16, kT12 = 17, kL1 = 18, kL5 = 22;

// Adult dimensions (mm) by vertebra index C2..L5: posterior body height, endplate depth,
// lateral body width, and height of the disc below.
constexpr std::array<double, kVertebraCount> kHeight{22, 14, 14, 14, 14.5, 15, 17, 18, 18.5, 19, 19.5, 20,
                                                     20.5, 21, 22, 23, 24, 25, 26, 27, 28, 28, 27};
constexpr std::array<double, kVertebraCount> kDepth{16, 16, 16.5, 17, 17.5, 18, 24, 25, 26, 27, 28, 29,
                                                    30, 31, 33, 35, 37, 39, 42, 44, 46, 48, 50};
constexpr std::array<double, kVertebraCount> kLateral{24, 20, 21, 23, 25, 28, 30, 30, 31, 32, 33, 34,
                                                      35, 36, 38, 40, 41, 43, 45, 47, 49, 51, 53};
constexpr std::array<double, kVertebraCount> kDisc{5, 5, 5, 5, 5, 5, 3.5, 3.7, 3.9, 4.1, 4.3, 4.5,
                                                   4.8, 5.1, 5.4, 5.7, 6.0, 7.5, 8.5, 9.5, 10.5, 11, 10.5};

constexpr std::size_t ix(int v) { return static_cast<std::size_t>(v); }

struct Pieces {
  std::array<double, kVertebraCount> body{};  // wedge of each body
  std::array<double, kVertebraCount> disc{};  // disc below each vertebra (L5: L5-S1)
};

// Splits total over weights (with multiplicative noise), summing exactly to total.
std::vector<double> distribute(double total, const std::vector<double>& weights, Rng& rng, double noise) {
  std::vector<double> w(weights);
  double sum = 0.0;
  for (auto& x : w) {
    x *= std::max(0.05, 1.0 + rng.normal(0.0, noise));
    sum += x;
  }
  for (auto& x : w) x = total * x / sum;
  return w;
}

Pieces allocatePieces(const PatientSpec& p, Rng& rng) {
  Pieces a;
  // Wedge fractures are part of the sampled kyphosis / lordosis: the other pieces make up the
  // rest, so that the regional angles stay those sampled.
  double thoracicFractures = 0.0, lumbarFractures = 0.0;
  std::array<double, kVertebraCount> fracture{};
  for (const int f : p.fractures) {
    const double w = rng.normalIn(16.0, 5.0, 8.0, 28.0);
    fracture[ix(f)] += w;
    (f >= kL1 ? lumbarFractures : thoracicFractures) += w;
  }
  // Lumbar: share of LL per segment (disc below + body), L1..L5.
  const auto lumbar = distribute(p.lumbarLordosis + lumbarFractures, {0.07, 0.10, 0.17, 0.28, 0.38}, rng, 0.15);
  for (int i = 0; i < 5; ++i) {
    const int v = kL1 + i;
    const double bodyShare = v == kL5 ? 0.4 : 0.25;
    a.body[ix(v)] = bodyShare * lumbar[static_cast<std::size_t>(i)];
    a.disc[ix(v)] = lumbar[static_cast<std::size_t>(i)] - a.body[ix(v)];
  }
  a.disc[kT12] = p.thoracolumbar;
  // Thoracic: kyphosis spread over bodies T1..T12 and discs T1-2..T11-12, peaking mid-thoracic.
  std::vector<double> weights;
  for (int v = kT1; v <= kT12; ++v) weights.push_back(0.6 + std::sin(3.14159 * (v - kT1 + 0.5) / 12.0));  // bodies
  for (int v = kT1; v <= kT11; ++v) weights.push_back(0.4 + 0.6 * std::sin(3.14159 * (v - kT1 + 1.0) / 12.0));  // discs
  const auto thoracic = distribute(-(p.thoracicKyphosis - thoracicFractures), weights, rng, 0.2);
  for (int v = kT1; v <= kT12; ++v) a.body[ix(v)] = thoracic[static_cast<std::size_t>(v - kT1)];
  for (int v = kT1; v <= kT11; ++v) a.disc[ix(v)] = thoracic[static_cast<std::size_t>(12 + v - kT1)];
  for (int v = 0; v < kVertebraCount; ++v) a.body[ix(v)] -= fracture[static_cast<std::size_t>(v)];
  // Cervicothoracic junction: the C7-T1 disc. The C7 body stays square, so that
  // CL = e(C2 inf) - e(C7 inf) is exactly the cervical pieces.
  a.disc[kC7] = p.cervicothoracic;
  return a;
}

// Cervical pieces for a total lordosis CL: discs C2-3..C6-7 and bodies C3..C6.
void setCervical(Pieces& a, double cl, const std::array<double, 9>& shares) {
  for (int v = kC2; v <= 4; ++v) a.disc[ix(v)] = cl * shares[static_cast<std::size_t>(v)];
  for (int v = 1; v <= 4; ++v) a.body[ix(v)] = cl * shares[static_cast<std::size_t>(4 + v)];
}

struct Dimensions {
  std::array<double, kVertebraCount> height{}, depth{}, lateral{}, disc{};
  double s1Depth = 0.0;
};

Dimensions dimensionsFor(const PatientSpec& p, Rng& rng) {
  Dimensions d;
  for (int v = 0; v < kVertebraCount; ++v) {
    const auto i = static_cast<std::size_t>(v);
    const double jitter = 1.0 + rng.normal(0.0, 0.03);
    d.height[i] = kHeight[i] * p.size * jitter * (p.group == AgeGroup::Elderly ? 0.97 : 1.0);
    d.depth[i] = kDepth[i] * p.size * (1.0 + rng.normal(0.0, 0.03));
    d.lateral[i] = kLateral[i] * p.size;
    const bool lumbar = v >= kL1 - 1;
    const double loss = p.degeneration * (lumbar ? rng.uniform(0.3, 0.7) : rng.uniform(0.1, 0.4));
    d.disc[i] = kDisc[i] * p.size * (1.0 + rng.normal(0.0, 0.06)) * (1.0 - loss);
  }
  d.s1Depth = 0.95 * d.depth[kL5];
  return d;
}

struct ChainInput {
  const Dimensions& dims;
  const Pieces& pieces;
  int slipLevel;
  double slipFraction;
};

// Builds every vertebra on top of the S1 endplate (posterior corner at the origin).
void stack(const ChainInput& in, double sacralSlope, std::array<Vertebra, kVertebraCount>& out, Vec& s1Anterior) {
  double e = -sacralSlope;
  Vec posterior{0.0, 0.0};
  double lowerDepth = in.dims.s1Depth;
  s1Anterior = posterior + lowerDepth * along(e);
  for (int v = kL5; v >= kC2; --v) {
    const auto i = static_cast<std::size_t>(v);
    Vertebra& vb = out[i];
    vb.index = v;
    const double discAngle = in.pieces.disc[i];
    const double eInf = e + discAngle;
    // Disc: wedge-shaped; the posterior height shrinks as the disc opens anteriorly.
    const double posteriorDisc =
        std::max(0.8, in.dims.disc[i] - 0.5 * lowerDepth * std::tan(discAngle * kRadPerDeg));
    Vec inferiorPosterior = posterior + posteriorDisc * cranial(e + 0.5 * discAngle);
    if (v == in.slipLevel) inferiorPosterior = inferiorPosterior + in.slipFraction * lowerDepth * along(e);
    vb.depth = in.dims.depth[i];
    vb.lateralWidth = in.dims.lateral[i];
    vb.inferiorInclination = eInf;
    vb.inferiorPosterior = inferiorPosterior;
    vb.inferiorAnterior = inferiorPosterior + vb.depth * along(eInf);
    vb.superiorInclination = eInf + in.pieces.body[i];
    vb.superiorPosterior = inferiorPosterior + in.dims.height[i] * cranial(eInf);
    vb.superiorAnterior = vb.superiorPosterior + vb.depth * along(vb.superiorInclination);
    e = vb.superiorInclination;
    posterior = vb.superiorPosterior;
    lowerDepth = vb.depth;
  }
}

// Bisection for a decreasing function f over [lo, hi]; returns the clamped root.
double solveDecreasing(const std::function<double(double)>& f, double lo, double hi) {
  if (f(lo) <= 0.0) return lo;
  if (f(hi) >= 0.0) return hi;
  for (int iteration = 0; iteration < 60; ++iteration) {
    const double m = 0.5 * (lo + hi);
    (f(m) > 0.0 ? lo : hi) = m;
  }
  return 0.5 * (lo + hi);
}

void buildSacrum(const PatientSpec& p, Rng& rng, SpineGeometry& g) {
  // Five segments curving forward (sacral kyphosis), then the coccyx.
  const std::array<double, 5> heights{22, 19, 15, 12, 10};
  const std::array<double, 6> depths{1.0, 0.82, 0.66, 0.52, 0.42, 0.34};
  const double curvature = rng.uniform(7.0, 12.0);
  double e = -g.sacralSlope;
  Vec posterior = g.s1Posterior;
  const double s1Depth = norm(g.s1Anterior - g.s1Posterior);
  const double gap = p.group == AgeGroup::Child ? 2.5 * p.size : 0.0;  // unfused in children
  for (std::size_t k = 0; k < heights.size(); ++k) {
    SacralSegment s;
    s.superiorPosterior = posterior;
    s.superiorAnterior = posterior + depths[k] * s1Depth * along(e);
    const double eNext = e + curvature;
    s.inferiorPosterior = posterior - heights[k] * p.size * cranial(e + 0.5 * curvature);
    s.inferiorAnterior = s.inferiorPosterior + depths[k + 1] * s1Depth * along(eNext);
    g.sacrum.push_back(s);
    posterior = s.inferiorPosterior - gap * cranial(eNext);
    e = eNext;
  }
  for (int k = 0; k < 4; ++k) {
    SacralSegment s;
    const double depth = (0.28 - 0.05 * k) * s1Depth;
    posterior = posterior - 2.0 * p.size * cranial(e);
    s.superiorPosterior = posterior;
    s.superiorAnterior = posterior + depth * along(e);
    e += curvature * 1.3;
    s.inferiorPosterior = posterior - (8.0 - k) * p.size * cranial(e);
    s.inferiorAnterior = s.inferiorPosterior + 0.8 * depth * along(e);
    g.coccyx.push_back(s);
    posterior = s.inferiorPosterior;
  }
}

void placeFemoralHeads(const PatientSpec& p, Rng& rng, SpineGeometry& g) {
  const Vec s1m = mid(g.s1Posterior, g.s1Anterior);
  const double pt = g.pelvicTilt * kRadPerDeg;
  g.hipAxis = s1m + p.pelvicRadius * Vec{std::sin(pt), -std::cos(pt)};
  // The two heads are offset symmetrically about the hip axis: pelvic axial rotation moves them
  // apart antero-posteriorly, obliquity and beam divergence vertically (docs/PHANTOM.md).
  const double interHead = 170.0 * p.size;
  const double rotation = rng.normal(0.0, 3.5) * kRadPerDeg;
  const double divergence = rng.normal(0.0, 100.0) * 0.08;  // (far - near) scale x offset from central ray
  const Vec offset{interHead * std::sin(rotation) + rng.normal(0.0, 2.0),
                   divergence + rng.normal(0.0, 3.0)};
  g.headNear = g.hipAxis - 0.5 * offset;
  g.headFar = g.hipAxis + 0.5 * offset;
  const double radius = (p.female ? 22.0 : 24.5) * p.size / (p.group == AgeGroup::Child ? 1.05 : 1.0);
  g.radiusNear = radius * 0.95;
  g.radiusFar = radius * 1.055;
}

void setScoliosis(const PatientSpec& p, Rng& rng, SpineGeometry& g) {
  if (!p.has(Variety::Scoliosis)) return;
  const double side = rng.chance(0.5) ? 1.0 : -1.0;
  for (auto& v : g.vertebrae) {
    const double d = v.index - p.scoliosisApex;
    v.axialRotation = side * 0.45 * p.scoliosisCobb * std::exp(-(d * d) / 12.0);
    v.coronalTilt = side * 0.5 * p.scoliosisCobb * std::clamp(d / 5.0, -1.0, 1.0) * std::exp(-(d * d) / 60.0);
  }
}

}  // namespace

std::array<Vec, core::kLandmarkCount> SpineGeometry::landmarks() const {
  using L = core::LandmarkId;
  std::array<Vec, core::kLandmarkCount> out{};
  auto set = [&](L id, Vec v) { out[core::indexOf(id)] = v; };
  const auto& c2 = vertebrae[kC2];
  const auto& c7 = vertebrae[kC7];
  const auto& t1 = vertebrae[kT1];
  const auto& t5 = vertebrae[kT5];
  const auto& t12 = vertebrae[kT12];
  const auto& l1 = vertebrae[kL1];
  const auto& l4 = vertebrae[kL5 - 1];
  set(L::C2_DENS, densCentre);
  set(L::C2_AI, c2.inferiorAnterior);
  set(L::C2_PI, c2.inferiorPosterior);
  set(L::C7_AI, c7.inferiorAnterior);
  set(L::C7_PS, c7.superiorPosterior);
  set(L::C7_PI, c7.inferiorPosterior);
  set(L::T1_AS, t1.superiorAnterior);
  set(L::T1_PS, t1.superiorPosterior);
  set(L::T5_AS, t5.superiorAnterior);
  set(L::T5_PS, t5.superiorPosterior);
  set(L::T5_AI, t5.inferiorAnterior);
  set(L::T5_PI, t5.inferiorPosterior);
  set(L::T12_AI, t12.inferiorAnterior);
  set(L::T12_PI, t12.inferiorPosterior);
  set(L::L1_AS, l1.superiorAnterior);
  set(L::L1_PS, l1.superiorPosterior);
  set(L::L4_AS, l4.superiorAnterior);
  set(L::L4_PS, l4.superiorPosterior);
  set(L::S1_A, s1Anterior);
  set(L::S1_P, s1Posterior);
  // FH_A is whichever head projects more anteriorly.
  const bool nearIsAnterior = headNear.x >= headFar.x;
  set(L::FH_A, nearIsAnterior ? headNear : headFar);
  set(L::FH_P, nearIsAnterior ? headFar : headNear);
  const auto& centres = core::bodyCentres();
  for (std::size_t i = 0; i < centres.size(); ++i) set(centres[i], vertebrae[i].centre());
  return out;
}

SpineGeometry buildSpine(const PatientSpec& p, Rng& rng) {
  const Dimensions dims = dimensionsFor(p, rng);
  Pieces pieces = allocatePieces(p, rng);
  std::array<double, 9> cervicalShares{};
  {
    const auto shares = distribute(1.0, {1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5}, rng, 0.2);
    std::copy(shares.begin(), shares.end(), cervicalShares.begin());
  }
  const ChainInput input{dims, pieces, p.slipLevel, p.slipFraction};

  SpineGeometry g;
  g.s1Posterior = {0.0, 0.0};
  // Pelvic tilt: the pelvis rotates (retroversion) until C7 reaches the SVA target, within the
  // physiological range. SVA = C7_C.x because S1_P is the origin.
  const double pi = p.pelvicIncidence;
  const double ptLo = std::max(-15.0, pi - 75.0), ptHi = std::min(55.0, pi + 5.0);
  auto svaFor = [&](double pt) {
    std::array<Vertebra, kVertebraCount> chain{};
    Vec s1a;
    stack(input, pi - pt, chain, s1a);
    return chain[kC7].centre().x;
  };
  g.pelvicTilt = solveDecreasing([&](double pt) { return svaFor(pt) - p.svaTarget; }, ptLo, ptHi);
  g.sacralSlope = pi - g.pelvicTilt;

  // The hips depend only on the pelvis; the S1 endplate comes from the stacked chain.
  stack(input, g.sacralSlope, g.vertebrae, g.s1Anterior);
  placeFemoralHeads(p, rng, g);

  // Cervical lordosis follows the T1 slope (T1S - CL, Le Huec et al. 2015), within [-30, 50].
  const auto densPoint = [&](double fractionOfLength) {
    const auto& c2 = g.vertebrae[kC2];
    const Vec base = c2.superiorPosterior + 0.42 * c2.depth * along(c2.superiorInclination);
    const Vec axis = rotate(cranial(c2.superiorInclination), 12.0);  // the dens leans back
    return base + fractionOfLength * 15.0 * p.size * axis;
  };
  const double t1Slope = -g.vertebrae[kT1].superiorInclination;
  g.cervicalLordosis = std::clamp(t1Slope - p.cervicalMismatch, -30.0, 50.0);
  setCervical(pieces, g.cervicalLordosis, cervicalShares);
  stack(input, g.sacralSlope, g.vertebrae, g.s1Anterior);
  g.densCentre = densPoint(0.5);
  g.densTip = densPoint(1.0);
  g.densRadius = 4.8 * p.size;
  g.svaReached = g.vertebrae[kC7].centre().x;
  buildSacrum(p, rng, g);
  setScoliosis(p, rng, g);
  return g;
}

}  // namespace sagitta::phantom
