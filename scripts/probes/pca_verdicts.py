"""Shared by the PCA probes: edit each component of a DIRECTION over all steps on held-out seeds and print the
verdict of scripts/measure_pca.py for each."""
import time

from scripts import measure_pca as P
from core.backends import comfy_unet


def rate_components(model, pos, neg, d, n: int, n_held: int, label: str = "PC", t0: float | None = None) -> int:
    """-> how many of the first n components move one factor alone (32 held-out seeds by default)."""
    t0 = t0 or time.time()
    held = list(range(P.HELD_OUT, P.HELD_OUT + n_held))
    window = comfy_unet.window_from_percent(model, 0.0, 1.0)
    n_ok = 0
    for k in range(n):
        eff, meas = P.edit_effects(model, pos, neg, d, k, held, window, node="probe")
        v = P.verdict(eff)
        n_ok += v is not None
        print(f"{label}{k} moves={v} one_object={meas['single'].mean():.2f}",
              {f: (round(e["change"], 3), round(e["spearman"], 2)) for f, e in eff.items()},
              f"{time.time() - t0:.0f}s", flush=True)
    print(f"{n_ok} of {n} move one factor alone; total {time.time() - t0:.0f}s")
    return n_ok


def circle_trajectories(n: int, batch: int = 16):
    """The shipped demo model on the circle prompt -> (model, pos, neg, iterator of {t: h} for seeds 0..n-1 in
    batches; 20 euler steps, CFG 2.5, cond branch)."""
    import torch
    from core.backends import comfy_demo, comfy_sampling
    model, tok, const = comfy_demo.load_demo_model("demo_model/latent_directions_demo.safetensors")
    pos, neg = [[comfy_demo.context_for(tok, const, 0), {}]], [[comfy_demo.context_for(tok, const, 3), {}]]
    kw = dict(positive=pos, negative=neg, steps=20, cfg=2.5, sampler_name="euler", scheduler="normal")

    def trajs():
        for i in range(0, n, batch):
            s = list(range(i, min(n, i + batch)))
            yield comfy_sampling.sample_recording_h(model, "cond", "probe", latent=torch.zeros(len(s), 3, 32, 32),
                                                    seeds=s, **kw)[1]
    return model, pos, neg, trajs()
