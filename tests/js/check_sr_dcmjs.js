// SPDX-License-Identifier: GPL-3.0-or-later
// Reads a Sagitta SR with dcmjs, as OHIF does, and checks what its measurement display needs:
// every measurement group has a Tracking Identifier and a Tracking UID, every NUM a value, a
// UCUM unit and a SCOORD child. Values and units are compared with the parameters JSON.
// Groups whose tracking identifier is Cornerstone's ("Cornerstone3DTools@^0.1.0:Angle:SS") are
// those OHIF loads as Cornerstone tools: their SCOORD must have the tool's point count, and the
// tool's own arithmetic on those points must give the value (unsigned, as the tools measure).
// usage: node check_sr_dcmjs.js SR.dcm PARAMETERS.json
"use strict";
const fs = require("fs");
const dcmjs = require("dcmjs");

const [srPath, parametersPath] = process.argv.slice(2);
const buffer = fs.readFileSync(srPath);
const dicomData = dcmjs.data.DicomMessage.readFile(
  buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
const sr = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dicomData.dict);
const expected = JSON.parse(fs.readFileSync(parametersPath, "utf8")).parameters;
const asArray = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const code = (item) => asArray(item.ConceptNameCodeSequence)[0] || {};

// @cornerstonejs/tools 5.6.8: angleBetweenLines(l1, l2) uses v1 = l1[1] - l1[0], v2 = l2[0] - l2[1];
// AngleTool measures ([p0, p1], [p1, p2]) of its 3 handles; CobbAngleTool orients both lines to their nearest ends.
const linesAngle = (a0, a1, b0, b1) => {
  const v1 = [a1[0] - a0[0], a1[1] - a0[1]], v2 = [b0[0] - b1[0], b0[1] - b1[1]];
  return Math.acos((v1[0] * v2[0] + v1[1] * v2[1]) / (Math.hypot(...v1) * Math.hypot(...v2))) * 180 / Math.PI;
};
const cornerstone = {
  // TID 300's Angle: two segments sharing the vertex; the adapter keeps points 0, 1 and 3.
  Angle: { points: 4, angle: (p) => (p[1][0] === p[2][0] && p[1][1] === p[2][1] ? linesAngle(p[0], p[1], p[1], p[3]) : NaN) },
  CobbAngle: {
    points: 4,
    angle: (p) => {
      let best = Infinity, s1, s2;
      for (let i = 0; i < 2; i++) {
        for (let j = 2; j < 4; j++) {
          const d = Math.hypot(p[i][0] - p[j][0], p[i][1] - p[j][1]);
          if (d < best) { best = d; s1 = [p[(i + 1) % 2], p[i]]; s2 = [p[j], p[2 + ((j - 1) % 2)]]; }
        }
      }
      return linesAngle(s1[0], s1[1], s2[0], s2[1]);
    },
  },
};
const TAG = "Cornerstone3DTools@^0.1.0:";

const failures = [];
const imaging = asArray(sr.ContentSequence).find((i) => code(i).CodeValue === "126010");
if (!imaging) failures.push("no Imaging Measurements container (126010)");
let groups = 0, numbers = 0, tools = 0;
for (const group of asArray(imaging && imaging.ContentSequence)) {
  if (code(group).CodeValue !== "125007") continue;
  groups++;
  const items = asArray(group.ContentSequence);
  const tracking = items.find((i) => code(i).CodeValue === "112039");
  const trackingUid = items.find((i) => code(i).CodeValue === "112040");
  if (!tracking || !trackingUid) failures.push(`group ${groups}: tracking identifier / UID missing`);
  const trackingText = tracking ? tracking.TextValue : "?";
  const id = trackingText.split(":").pop();
  const tool = trackingText.startsWith(TAG) ? trackingText.slice(TAG.length).split(":")[0] : null;
  if (tool && !cornerstone[tool]) failures.push(`${id}: unexpected Cornerstone tool ${tool}`);
  if (id !== "Landmarks" && !items.some((i) => code(i).CodeValue === "121106" && (i.TextValue === id || i.TextValue.startsWith(id + " ")))) {
    failures.push(`${id}: no Comment naming the parameter`);
  }
  for (const num of items.filter((i) => i.ValueType === "NUM")) {
    numbers++;
    const measured = asArray(num.MeasuredValueSequence)[0];
    if (!measured) { failures.push(`${id}: NUM without a value`); continue; }
    const unit = asArray(measured.MeasurementUnitsCodeSequence)[0] || {};
    if (unit.CodingSchemeDesignator !== "UCUM") failures.push(`${id}: unit is not UCUM`);
    const scoord = asArray(num.ContentSequence).find((c) => c.ValueType === "SCOORD");
    if (!scoord || asArray(scoord.GraphicData).length < 2) failures.push(`${id}: NUM without SCOORD`);
    if (tool && cornerstone[tool] && scoord) {
      const data = asArray(scoord.GraphicData), points = [];
      for (let k = 0; k + 1 < data.length; k += 2) points.push([data[k], data[k + 1]]);
      if (points.length !== cornerstone[tool].points) failures.push(`${id}: ${points.length} points for ${tool}`);
      else if (Math.abs(cornerstone[tool].angle(points) - Math.abs(Number(measured.NumericValue))) > 0.02) {
        failures.push(`${id}: ${tool} measures ${cornerstone[tool].angle(points).toFixed(2)}, the SR says ${measured.NumericValue}`);
      } else tools++;
    }
    if (expected[id]) {
      const value = Number(measured.NumericValue);
      const units = { "deg": "deg", "mm": "mm", "{ratio}": "ratio", "{pixels}": "px" };
      if (Math.abs(value - expected[id].value) > 0.006) failures.push(`${id}: ${value} != ${expected[id].value}`);
      if (units[unit.CodeValue] !== expected[id].unit) failures.push(`${id}: unit ${unit.CodeValue}`);
    }
  }
}
const measuredCount = Object.values(expected).filter((p) => p.value !== null).length;
if (groups !== measuredCount + 1) failures.push(`${groups} groups, expected ${measuredCount} parameters + landmarks`);
if (failures.length) {
  console.error("dcmjs check failed:\n  " + failures.join("\n  "));
  process.exit(1);
}
if (tools === 0) { console.error("dcmjs check failed: no group OHIF can load as a Cornerstone tool"); process.exit(1); }
console.log(`dcmjs read ${groups} measurement groups and ${numbers} NUM items with values, units and SCOORDs; ` +
            `${tools} are Cornerstone tools that measure their value`);
