#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs every Debian 12 package Sagitta needs. Idempotent: silent when all are present.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  nlohmann-json3-dev libopencv-dev libdcmtk-dev libtorch-dev
  # the Orthanc plugin: SDK, server (integration tests, demo), SQLite queue, Asio workers
  orthanc orthanc-dev libsqlite3-dev libboost-system-dev python3-numpy curl
  # several nodes on one PostgreSQL: the queue's client library, Orthanc's index and storage
  # plugins, and the server the tests start in a temporary folder
  libpq-dev orthanc-postgresql postgresql-15
  # JPEG 2000: Orthanc's GDCM decoder plugin (the fallback decoder) and gdcmconv for test files
  orthanc-gdcm libgdcm-tools
  # DICOMweb (STOW-RS intake in the integration tests, OHIF's data source)
  orthanc-dicomweb openssl
  # the PDF report (cairo; DejaVu fonts; pdftoppm renders it in the tests)
  libcairo2-dev fonts-dejavu-core poppler-utils
  # the review page's browser test (driven by puppeteer-core from tests/js)
  chromium
  # DICOM tools used by tests (dcmdump, storescu) and validators (dciodvfy, DicomSRValidator)
  dcmtk dicom3tools pixelmed-apps python3-pydicom nodejs
  # tests and benchmarks; clang and its libFuzzer runtime for the fuzz preset
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  # example generators and checks
  python3
)

# dcmjs (OHIF's DICOM library) for the SR read-back test and puppeteer-core for the browser
# tests, pinned by tests/js/package-lock.json.
# Debian's nodejs does not bring npm: without one on PATH, Debian's npm package is installed
# (some images ship their own npm, which is then used as it is).
install_dcmjs() {
  local here
  here="$(cd "$(dirname "$0")/.." && pwd)"
  [ -d "$here/tests/js/node_modules/dcmjs" ] && [ -d "$here/tests/js/node_modules/puppeteer-core" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "setup: installing npm"
    $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "setup: installing dcmjs and puppeteer-core (npm ci in tests/js)"
  (cd "$here/tests/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# OHIF's prebuilt viewer (npm @ohif/app, pinned), served by the plugin at /ohif/ in the demo and
# the OHIF browser test: scripts/install_ohif.sh (silent when installed).
install_ohif() {
  "$(cd "$(dirname "$0")" && pwd)/install_ohif.sh" >/dev/null
}

if [ ${#missing[@]} -eq 0 ]; then
  install_dcmjs
  install_ohif
  exit 0
fi

if [ -n "$SUDO" ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_dcmjs
echo "setup: installing OHIF (npm @ohif/app, scripts/install_ohif.sh)"
install_ohif
echo "setup: done"
