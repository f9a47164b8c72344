// SPDX-License-Identifier: GPL-3.0-or-later
// Deterministic DICOM UIDs in the 2.25 form (ISO/IEC 9834-8): the decimal value of a 128-bit
// UUID (version 8, RFC 9562) taken from SHA-256 of a key. The same key gives the same UID, so
// re-running on the same input reproduces the same objects.
#pragma once

#include <string>
#include <string_view>

namespace sagitta::core {

std::string uidFromKey(std::string_view key);

}  // namespace sagitta::core
