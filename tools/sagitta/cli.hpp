// SPDX-License-Identifier: GPL-3.0-or-later
// The `sagitta` command, callable in-process (tests) and from main().
// Exit status: 0 success, 1 internal error, 2 bad input or usage, 3 a check that failed
// (sagitta eval --check).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace sagitta::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitCheckFailed = 3;

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

// args excludes the program name: {"measure", "--landmarks", "f.json"}.
int run(const std::vector<std::string>& args, Streams io);

int runMeasure(const std::vector<std::string>& args, Streams io);
int runCatalogue(const std::vector<std::string>& args, Streams io);
int runPhantom(const std::vector<std::string>& args, Streams io);
int runReport(const std::vector<std::string>& args, Streams io);
int runDumpSr(const std::vector<std::string>& args, Streams io);
int runInfo(const std::vector<std::string>& args, Streams io);
int runTrain(const std::vector<std::string>& args, Streams io);
int runAnalyse(const std::vector<std::string>& args, Streams io);
int runEval(const std::vector<std::string>& args, Streams io);
int runBundle(const std::vector<std::string>& args, Streams io);
int runCorrections(const std::vector<std::string>& args, Streams io);

// Reads a whole file ("-" = the input stream), refusing anything over maxBytes.
// Throws sagitta::core::InvalidInput with the reason.
std::string readInputFile(const std::string& path, std::istream& in, std::size_t maxBytes);

}  // namespace sagitta::cli
