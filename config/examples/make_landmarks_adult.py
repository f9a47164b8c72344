#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes landmarks_adult.json: a typical adult whole-spine lateral, facing left.

The spine is stacked from S1 upwards as rectangular bodies joined by discs whose segmental
angles give SS 41, LL 56 (L4-S1 31), GTK 40, CL 12 and PT 13 degrees; dimensions are typical
adult values (mm). This is an illustrative example for `sagitta measure`, not patient data.
It uses only the standard library (run with any python3).
"""
import json, math, os

SPACING = 0.148            # mm per pixel, both axes
COLUMNS, ROWS = 3000, 7200
ORIGIN_X, ORIGIN_Y = 250.0, 860.0  # mm position of S1_P in the image

# (name, body height, body depth, disc height below the body, segmental angle of that disc)
# Angles: positive raises the inclination going up (lordosis); negative = kyphosis.
LEVELS = [
    ("L5", 27, 46, 11, 17), ("L4", 27, 46, 10, 14), ("L3", 27, 45, 10, 10), ("L2", 26, 44, 9, 8),
    ("L1", 25, 42, 8, 7), ("T12", 23, 38, 6, 0), ("T11", 22, 36, 5, -3), ("T10", 21, 34, 5, -4),
    ("T9", 20, 33, 5, -4), ("T8", 20, 32, 5, -4), ("T7", 19, 31, 5, -4), ("T6", 19, 30, 5, -4),
    ("T5", 18, 29, 4, -4), ("T4", 18, 28, 4, -4), ("T3", 17, 27, 4, -3), ("T2", 17, 27, 4, -3),
    ("T1", 16, 26, 4, -3), ("C7", 14, 18, 5, 0), ("C6", 13, 17, 5, 2.5), ("C5", 13, 17, 5, 2.5),
    ("C4", 13, 16, 5, 2.5), ("C3", 13, 16, 5, 2.5), ("C2", 22, 16, 5, 2),
]
SS, PT, PELVIC_RADIUS = 41.0, 13.0, 112.0


def rot(e):
    r = math.radians(e)
    return (math.cos(r), math.sin(r)), (-math.sin(r), math.cos(r))  # along endplate, cranial normal


def add(p, v, s=1.0):
    return (p[0] + s * v[0], p[1] + s * v[1])


points = {}
e = -SS
s1p = (0.0, 0.0)
d, n = rot(e)
points["S1_P"], points["S1_A"] = s1p, add(s1p, d, 48)
top_posterior, top_e = s1p, e
for name, height, depth, disc, angle in LEVELS:
    e = top_e + angle
    d, n = rot(e)
    pi = add(top_posterior, rot(top_e)[1], disc)  # disc stacked on the endplate below
    ai = add(pi, d, depth)
    ps, as_ = add(pi, n, height), add(ai, n, height)
    points[f"{name}_PI"], points[f"{name}_AI"], points[f"{name}_PS"], points[f"{name}_AS"] = pi, ai, ps, as_
    points[f"{name}_C"] = add(add(pi, d, depth / 2), n, height / 2)
    top_posterior, top_e = ps, e
points["C2_DENS"] = add(add(points["C2_PI"], rot(top_e)[0], 0.55 * 16), rot(top_e)[1], 31)

s1m = ((points["S1_A"][0] + points["S1_P"][0]) / 2, (points["S1_A"][1] + points["S1_P"][1]) / 2)
ha = (s1m[0] + PELVIC_RADIUS * math.sin(math.radians(PT)), s1m[1] - PELVIC_RADIUS * math.cos(math.radians(PT)))
points["FH_A"], points["FH_P"] = add(ha, (5.0, 2.0)), add(ha, (-5.0, -2.0))

order = ["C2_DENS", "C2_AI", "C2_PI", "C7_AI", "C7_PS", "C7_PI", "T1_AS", "T1_PS", "T5_AS", "T5_PS",
         "T5_AI", "T5_PI", "T12_AI", "T12_PI", "L1_AS", "L1_PS", "L4_AS", "L4_PS", "S1_A", "S1_P",
         "FH_A", "FH_P"] + [f"C{i}_C" for i in range(2, 8)] + [f"T{i}_C" for i in range(1, 13)] + \
        [f"L{i}_C" for i in range(1, 6)]
landmarks = []
for key in order:
    anterior, up = points[key]
    x_mm, y_mm = ORIGIN_X - anterior, ORIGIN_Y - up   # facing left: anterior towards column 0
    landmarks.append({"id": key, "x": round(x_mm / SPACING, 2), "y": round(y_mm / SPACING, 2)})

doc = {"image": {"columns": COLUMNS, "rows": ROWS, "pixel_spacing_mm": [SPACING, SPACING],
                 "calibration": "pixel_spacing"}, "landmarks": landmarks}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "landmarks_adult.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(out)
