// SPDX-License-Identifier: GPL-3.0-or-later
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "sagitta/dicom/radiograph.hpp"

int main(int argc, char** argv) {
  try {
    sagitta::dicom::setDcmtkLog(sagitta::dicom::DcmtkLog::Errors);
    const std::vector<std::string> args(argv + 1, argv + argc);
    return sagitta::cli::run(args, {std::cin, std::cout, std::cerr});
  } catch (const std::exception& e) {
    std::cerr << "sagitta: internal error: " << e.what() << "\n";
    return sagitta::cli::kExitInternal;
  }
}
