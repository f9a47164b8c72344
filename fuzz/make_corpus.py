#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the DICOM seed corpus of fuzz/corpus/dicom_reader: small synthetic radiographs in every
photometric / bit depth / transfer syntax the reader takes (and JPEG 2000, which it refuses).
Run from fuzz/ with Debian's python3 (pydicom, numpy), DCMTK and gdcmconv installed."""
import os
import subprocess

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dicom_reader")


def make(name, rows=96, cols=40, bits=12, photometric="MONOCHROME2", signed=False, rgb=False, frames=1, extra=None):
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[name])
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[name, "st"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[name, "se"])
    ds.Modality, ds.BodyPartExamined, ds.ViewPosition = "DX", "SPINE", "LL"
    ds.PatientName, ds.PatientID = "FUZZ^SEED", "FUZZ"
    ds.Rows, ds.Columns, ds.ImagerPixelSpacing = rows, cols, [0.5, 0.5]
    y, x = np.mgrid[0:rows, 0:cols]
    if rgb:
        a = np.stack([(x * 6) % 256, (y * 2) % 256, ((x + y) * 3) % 256], -1).astype(np.uint8)
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.PixelData = a.tobytes()
    else:
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
        allocated = 8 if bits <= 8 else 16
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = allocated, bits, bits - 1
        ds.PixelRepresentation = 1 if signed else 0
        v = (x * 37 + y * 11) % (1 << bits)
        if signed:
            v = v - (1 << (bits - 1))
        dtype = np.uint8 if allocated == 8 else (np.int16 if signed else np.uint16)
        a = np.stack([v + f for f in range(frames)]).astype(dtype) if frames > 1 else v.astype(dtype)
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.PixelData = a.tobytes()
    for key, value in (extra or {}).items():
        setattr(ds, key, value)
    ds.save_as(os.path.join(OUT, name), write_like_original=False)


def convert(tool, options, source, target):
    subprocess.run([tool] + options + [os.path.join(OUT, source), os.path.join(OUT, target)], check=True)


os.makedirs(OUT, exist_ok=True)
make("mono2_12bit.dcm")
make("mono1_16bit.dcm", bits=16, photometric="MONOCHROME1")
make("signed_window.dcm", bits=16, signed=True,
     extra={"WindowCenter": "0", "WindowWidth": "4000", "RescaleSlope": "2", "RescaleIntercept": "-100"})
make("eight_bit.dcm", bits=8)
make("rgb.dcm", rgb=True)
make("multiframe.dcm", frames=3)
convert("dcmconv", ["+ti"], "mono2_12bit.dcm", "implicit.dcm")
convert("dcmconv", ["+tb"], "mono2_12bit.dcm", "bigendian.dcm")
convert("dcmconv", ["+td"], "mono2_12bit.dcm", "deflated.dcm")
convert("dcmcjpeg", ["+el"], "mono2_12bit.dcm", "jpeg_lossless.dcm")
convert("dcmcjpls", ["+el"], "mono2_12bit.dcm", "jpegls.dcm")
convert("dcmcrle", [], "mono2_12bit.dcm", "rle.dcm")
convert("dcmcjpeg", [], "eight_bit.dcm", "jpeg_baseline.dcm")
convert("gdcmconv", ["--j2k"], "mono2_12bit.dcm", "j2k.dcm")
