"""Probe: class Boundary Edit (every-step mode) at distances 16 and 32 on a given demo weights file.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.mid_class_far runs/midattn/latent_directions_demo.safetensors

Same seeds as scripts/measure_boundary_modes.py's class case. Figures in docs/h_reliance.md.
"""
import sys, argparse, torch
from scripts import measure_supervised as S
from core.backends import comfy_boundary as CBK
a = argparse.Namespace(weights=sys.argv[1], steps=20, cfg=2.5)
torch.manual_seed(0); ctx = S.Ctx(a); ctx.next_seed = 650_000
s = ctx.seeds(32); bc = ctx.search("circle", "square", s, s)[0]
held = ctx.seeds(64)
mc, ms = ctx.sample(ctx.model, "circle", held), ctx.sample(ctx.model, "square", held)
src = [("square", [sd for sd, c in zip(held, ms["cls"]) if c == 1][:20], 0), ("circle", [sd for sd, c in zip(held, mc["cls"]) if c == 0][:20], 1)]
for v in (16.0, 32.0):
    for prompt, seeds, want in src:
        tgt = S.CB.TARGETS[0] if want == 0 else S.CB.TARGETS[1]
        m = CBK.with_boundary_edit(ctx.model, bc, CBK.resolve_distance(bc, tgt, v, S.NODE), "both", CBK.MODES[2], S.NODE)
        meas = ctx.sample(m, prompt, seeds)
        print(f"d={v} {prompt}->: {((meas['cls'] == want) & meas['single']).mean():.0%} one {meas['single'].mean():.0%}", flush=True)
