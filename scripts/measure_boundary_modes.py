"""Boundary Edit modes on the demo model: how often does moving h across an SVM boundary flip the measured attribute?

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_boundary_modes [--out docs/boundary_modes.md]

For three attributes (class: circle vs square prompts over the same seeds, boundary at the Mixing-Step Search's
choice; stripes and position left/right: circle samples labelled by the factor measurer, boundary at a fixed
mixing percent), each held-out sample is sent to the other class's side (Boundary Edit's class-side target) with
each of the node's modes: single step (the paper), lagged every step (reference code), every step from the mixing
step (ours). Flipped = the measured attribute is the other class's and the image still holds one object.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK

SEED0 = 650_000
ATTRS = {"class": "circle / square", "stripes": "striped / plain", "position": "left (cx < 15) / right (cx > 17)"}


def flips(ctx, b, sources, is_a, values, mode, n):
    rows = []
    for prompt, seeds, frm in sources:
        to = "b" if frm == "a" else "a"
        target = S.CB.TARGETS[0] if to == "a" else S.CB.TARGETS[1]
        for v in values:
            m = CBK.with_boundary_edit(ctx.model, b, CBK.resolve_distance(b, target, v, S.NODE), "both", mode, S.NODE)
            meas = ctx.sample(m, prompt, seeds[:n])
            f = float(((is_a(meas) == (to == "a")) & meas["single"]).mean())
            rows.append({"mode": mode, "from": frm, "value": v, "n": len(seeds[:n]), "flipped": f,
                         "one_object": float(meas["single"].mean())})
            print(f"  {mode} {frm}->{to} value={v}: {f:.0%}", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="demo_model/latent_directions_demo.safetensors")
    ap.add_argument("--n", type=int, default=20, help="held-out samples per direction of the flip")
    ap.add_argument("--out", default="docs/boundary_modes.md")
    ap.add_argument("--json", default="docs/boundary_modes.json")
    ap.add_argument("--attrs", nargs="*", default=list(ATTRS), choices=list(ATTRS))
    a = ap.parse_args()
    a.steps, a.cfg = 20, 2.5
    t0 = time.perf_counter()
    torch.manual_seed(0)
    ctx = S.Ctx(a)
    ctx.next_seed = SEED0
    values = [2.0, S.DEFAULT_DISTANCE]
    res = {}
    # class: prompts over the same seeds
    s = ctx.seeds(32)
    bc = ctx.search("circle", "square", s, s)[0] if "class" in a.attrs else None
    held = ctx.seeds(64)
    mc, ms = ctx.sample(ctx.model, "circle", held), ctx.sample(ctx.model, "square", held)
    src = [("square", [sd for sd, c in zip(held, ms["cls"]) if c == 1], "b"),
           ("circle", [sd for sd, c in zip(held, mc["cls"]) if c == 0], "a")]
    cases = {"class": (bc, src, lambda m: m["cls"] == 0)} if "class" in a.attrs else {}
    # stripes and position: circle samples labelled by the measurer
    if {"stripes", "position"} & set(a.attrs):
        pool = ctx.seeds(256)
        mp = ctx.sample(ctx.model, "circle", pool)
        ok, hok = mp["single"], mc["single"]
        lab = {"stripes": (lambda m: m["stripes"] > 0, lambda m: m["stripes"] == 0, 0.5),
               "position": (lambda m: m["cx"] < 15.0, lambda m: m["cx"] > 17.0, 0.3)}
        for name, (fa, fb, pct) in ((k, v) for k, v in lab.items() if k in a.attrs):
            sa = [sd for sd, y, o in zip(pool, fa(mp), ok) if o and y]
            sb = [sd for sd, y, o in zip(pool, fb(mp), ok) if o and y]
            b = ctx.boundary_at("circle", sa, sb, pct, "h", 1.0)
            src = [("circle", [sd for sd, y, o in zip(held, fa(mc), hok) if o and y], "a"),
                   ("circle", [sd for sd, y, o in zip(held, fb(mc), hok) if o and y], "b")]
            cases[name] = (b, src, fa)
    for name, (b, src, is_a) in cases.items():
        p = b.meta["params"]
        print(name, f"t={float(b.timesteps[0]):.0f} held-out {p['test_accuracy']}", flush=True)
        rows = []
        for mode in CBK.MODES:
            rows += flips(ctx, b, src, is_a, values, mode, a.n)
        res[name] = {"t": float(b.timesteps[0]), "held_out": p["test_accuracy"], "rows": rows}
    res["seconds"] = time.perf_counter() - t0
    L = ["# Boundary Edit modes on the demo model", "",
         f"Measured by `PYTHONPATH=.comfyui .venv/bin/python -m scripts.measure_boundary_modes` on `{a.weights}` "
         f"({a.steps} euler steps, CFG {a.cfg}, held-out seeds from {SEED0}; {res['seconds']:.0f} s). h boundaries "
         "(SVM Boundary, C = 1): class from circle vs square prompts over 32 seeds at the Mixing-Step Search's choice; "
         "stripes and position from 256 circle samples labelled by the factor measurer, at mixing percent 0.5 and 0.3. "
         f"Each held-out sample is sent to the other class's side at `distance` 2 and {S.DEFAULT_DISTANCE:g} (the "
         "default) class separations past the midpoint. Flipped = measured attribute is the other class's and one "
         "object remains.", "",
         "| attribute (A / B) | t | SVM held-out | mode | A -> B, 2 | A -> B, 8 | B -> A, 2 | B -> A, 8 | one object |",
         "|---|---|---|---|---|---|---|---|---|"]
    for name, r in res.items():
        if name == "seconds":
            continue
        for mode in CBK.MODES:
            cell = {(x["from"], x["value"]): x for x in r["rows"] if x["mode"] == mode}
            f = lambda frm, v: f"{cell[(frm, v)]['flipped']:.0%} ({cell[(frm, v)]['n']})" if (frm, v) in cell else "-"
            one = min(x["one_object"] for x in cell.values())
            L.append(f"| {name} ({ATTRS[name]}) | {r['t']:.0f} | {r['held_out']:.0%} | {mode} | {f('a', 2.0)} | "
                     f"{f('a', S.DEFAULT_DISTANCE)} | {f('b', 2.0)} | {f('b', S.DEFAULT_DISTANCE)} | >= {one:.0%} |")
    with open(a.out, "w") as fh:
        fh.write("\n".join(L) + "\n")
    with open(a.json, "w") as fh:
        json.dump(res, fh, indent=1)
    print("\n".join(L))


if __name__ == "__main__":
    main()
