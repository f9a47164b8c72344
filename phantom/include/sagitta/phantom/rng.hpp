// SPDX-License-Identifier: GPL-3.0-or-later
// A portable deterministic random source: the same seed gives the same phantom on every
// platform and standard library (std:: distributions are implementation-defined).
#pragma once

#include <cmath>
#include <cstdint>

namespace sagitta::phantom {

// splitmix64: derives independent stream seeds from (seed, index).
inline std::uint64_t mixSeed(std::uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27U)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31U);
}

// xoshiro256** with Box-Muller normals.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) {
      seed = mixSeed(seed);
      word = seed;
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5U, 7) * 9U;
    const std::uint64_t t = state_[1] << 17U;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi].
  int integer(int lo, int hi) {
    const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo + 1);
    return lo + static_cast<int>(next() % span);
  }
  bool chance(double probability) { return uniform() < probability; }
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Normal clipped to [lo, hi] by resampling (falls back to clamping after 16 tries).
  double normalIn(double mean, double sd, double lo, double hi) {
    for (int i = 0; i < 16; ++i) {
      const double v = normal(mean, sd);
      if (v >= lo && v <= hi) return v;
    }
    return mean < lo ? lo : (mean > hi ? hi : mean);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << static_cast<unsigned>(k)) | (x >> static_cast<unsigned>(64 - k));
  }
  std::uint64_t state_[4]{};
};

}  // namespace sagitta::phantom
