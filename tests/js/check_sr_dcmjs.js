// SPDX-License-Identifier: GPL-3.0-or-later
// Reads a Sagitta SR with dcmjs, as OHIF does, and checks what its measurement display needs:
// every measurement group has a Tracking Identifier and a Tracking UID, every NUM a value, a
// UCUM unit and a SCOORD child. Values and units are compared with the parameters JSON.
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

const failures = [];
const imaging = asArray(sr.ContentSequence).find((i) => code(i).CodeValue === "126010");
if (!imaging) failures.push("no Imaging Measurements container (126010)");
let groups = 0, numbers = 0;
for (const group of asArray(imaging && imaging.ContentSequence)) {
  if (code(group).CodeValue !== "125007") continue;
  groups++;
  const items = asArray(group.ContentSequence);
  const tracking = items.find((i) => code(i).CodeValue === "112039");
  const trackingUid = items.find((i) => code(i).CodeValue === "112040");
  if (!tracking || !trackingUid) failures.push(`group ${groups}: tracking identifier / UID missing`);
  const id = tracking ? tracking.TextValue : "?";
  for (const num of items.filter((i) => i.ValueType === "NUM")) {
    numbers++;
    const measured = asArray(num.MeasuredValueSequence)[0];
    if (!measured) { failures.push(`${id}: NUM without a value`); continue; }
    const unit = asArray(measured.MeasurementUnitsCodeSequence)[0] || {};
    if (unit.CodingSchemeDesignator !== "UCUM") failures.push(`${id}: unit is not UCUM`);
    const scoord = asArray(num.ContentSequence).find((c) => c.ValueType === "SCOORD");
    if (!scoord || asArray(scoord.GraphicData).length < 2) failures.push(`${id}: NUM without SCOORD`);
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
console.log(`dcmjs read ${groups} measurement groups and ${numbers} NUM items with values, units and SCOORDs`);
