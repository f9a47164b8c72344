#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs OHIF's prebuilt viewer (npm @ohif/app, pinned by version and integrity) for the
# Sagitta plugin to serve at /ohif/ next to Orthanc's DICOMweb (docs/PLUGIN.md, "OHIF").
#   scripts/install_ohif.sh [DEST]     default DEST: .cache/ohif-<version>
# Prints DEST. Idempotent: an installed, relocated copy is kept.
#
# The prebuilt dist/ is built for the root of a web server: its index.html and webpack runtimes
# load everything from "/". Served by Orthanc it lives under /ohif/, so the copy is relocated:
# index.html's links and window.PUBLIC_URL, and each bundle's webpack public path, are rewritten
# to /ohif/ (every rewrite is counted; a dist of another shape is refused, not half-patched).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
VERSION=3.13.2
INTEGRITY='sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA=='
PREFIX=/ohif/
dest="${1:-$here/.cache/ohif-$VERSION}"

if [ -f "$dest/dist/.sagitta-relocated" ]; then echo "$dest/dist"; exit 0; fi
command -v npm >/dev/null || { echo "install_ohif: npm is missing (scripts/setup.sh installs it)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@ohif/app@$VERSION" --loglevel=error >/dev/null)
tarball="$work/ohif-app-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "install_ohif: @ohif/app@$VERSION does not have the pinned integrity ($actual)" >&2; exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist package/LICENSE
/usr/bin/python3 "$here/scripts/relocate_ohif.py" "$work/package/dist" "$PREFIX"
cp "$work/package/LICENSE" "$work/package/dist/OHIF-LICENSE"
rm -rf "$dest"
mkdir -p "$dest"
mv "$work/package/dist" "$dest/dist"
echo "$dest/dist"
