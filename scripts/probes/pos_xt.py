"""Probe: position boundary on x_t alone, and x_t (single step) with h (every step) moved together.

    PYTHONPATH=.comfyui .venv/bin/python -m scripts.probes.pos_xt cx 2,8 0.2

Args: factor, distances, mixing percents. Figures in docs/h_reliance.md.
"""
import sys
import time

from scripts import measure_supervised as S
from scripts.probes.pos_boundary import setup
from core.backends import comfy_boundary as CBK


def main():
    t0 = time.time()
    ctx, fa, fb, sa, sb, ha, hb = setup(sys.argv[1])
    dists = [float(x) for x in sys.argv[2].split(",")]
    for pct in map(float, sys.argv[3:]):
        bh = ctx.boundary_at("circle", sa, sb, pct, "h", 1.0)
        for C in (1e-4, 1.0):
            bx = ctx.boundary_at("circle", sa, sb, pct, "x_t", C)
            print(f"pct {pct} t={float(bx.timesteps[0]):.0f} C={C} x held {bx.meta['params']['test_accuracy']} h held {bh.meta['params']['test_accuracy']}", flush=True)
            for combo in ("x", "x+h"):
                for v in dists:
                    for frm, seeds in (("a", ha), ("b", hb)):
                        target = S.CB.TARGETS[1] if frm == "a" else S.CB.TARGETS[0]
                        m = CBK.with_boundary_edit(ctx.model, bx, CBK.resolve_distance(bx, target, v, S.NODE), "both", CBK.MODES[0], S.NODE)
                        if combo == "x+h":
                            m = CBK.with_boundary_edit(m, bh, CBK.resolve_distance(bh, target, v, S.NODE), "both", CBK.MODES[2], S.NODE)
                        meas = ctx.sample(m, "circle", seeds)
                        ok = (fb(meas) if frm == "a" else fa(meas)) & meas["single"]
                        print(f"   {combo} d={v} {frm}->: {ok.mean():.0%} (n={len(seeds)}) one {meas['single'].mean():.0%}", flush=True)
    print("total", time.time() - t0)


if __name__ == "__main__":
    main()
