# SPDX-License-Identifier: GPL-3.0-or-later
"""Relocates OHIF's prebuilt dist/ from "/" to PREFIX (e.g. /ohif/): see install_ohif.sh.

index.html: window.PUBLIC_URL and every root-relative href/src. Bundles: the webpack runtime's
public path. Stylesheets: url(/...). manifest.json: its icons. Each rewrite is counted and the
dist refused when a count is not what this version has (a different dist must be looked at, not
patched blindly). Marks the folder with .sagitta-relocated, which the plugin checks before it
serves the folder.
"""
import pathlib
import re
import sys


def main(dist, prefix):
    dist = pathlib.Path(dist)
    if not (prefix.startswith("/") and prefix.endswith("/") and re.fullmatch(r"[/A-Za-z0-9_-]+", prefix)):
        sys.exit("relocate_ohif: the prefix must look like /ohif/")
    index = dist / "index.html"
    html = index.read_text(encoding="utf-8")
    html, urls = re.subn(r'window\.PUBLIC_URL="/"', 'window.PUBLIC_URL="%s"' % prefix, html)
    html, links = re.subn(r'(href|src)="/(?!/)', r'\1="%s' % prefix, html)
    if urls < 1 or links < 5:
        sys.exit("relocate_ohif: index.html has %d PUBLIC_URL and %d root links: not the expected dist" % (urls, links))
    # Stylesheets (fonts as url(/...)) and the web manifest's icons.
    styles = 0
    for sheet in sorted(dist.glob("*.css")):
        text = sheet.read_text(encoding="utf-8")
        text, n = re.subn(r'url\(/(?!/)', 'url(%s' % prefix, text)
        if n:
            sheet.write_text(text, encoding="utf-8")
            styles += n
    manifest = dist / "manifest.json"
    if manifest.exists():
        text, icons = re.subn(r'"/(?!/)', '"%s' % prefix, manifest.read_text(encoding="utf-8"))
        manifest.write_text(text, encoding="utf-8")
    runtime = '__webpack_require__.p = "/";'
    patched = []
    for bundle in sorted(dist.glob("*.js")):
        text = bundle.read_text(encoding="utf-8", errors="surrogateescape")
        if runtime in text:
            bundle.write_text(text.replace(runtime, '__webpack_require__.p = "%s";' % prefix),
                              encoding="utf-8", errors="surrogateescape")
            patched.append(bundle.name)
    if not any(name.startswith("app.bundle.") for name in patched):
        sys.exit("relocate_ohif: no app bundle with the webpack public path: not the expected dist")
    index.write_text(html, encoding="utf-8")
    (dist / ".sagitta-relocated").write_text(prefix + "\n", encoding="utf-8")
    print("relocate_ohif: index.html (%d links), %d bundles, %d stylesheet urls to %s" % (links, len(patched), styles, prefix),
          file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: relocate_ohif.py DIST PREFIX")
    main(sys.argv[1], sys.argv[2])
