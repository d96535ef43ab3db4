"""Train the bundled demo model (resumable, CPU).

Run from the repository root (the README's set-up makes .venv and .comfyui):
    PYTHONPATH=.comfyui .venv/bin/python -m scripts.train_demo --steps 12000
It renders a fresh batch per step (seeded by the step, so a resumed run sees the same data), trains
ComfyUI's UNetModel to predict the noise (DDPM linear schedule, 1000 steps), keeps EMA weights, and
every --every steps writes demo_model/latent_directions_demo.safetensors (EMA, the shipped weights),
demo_model/train/resume.safetensors (raw weights, AdamW moments in bf16) and appends demo_model/train/loss.csv.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import time

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import comfy.cli_args

comfy.cli_args.args.cpu = True
comfy.cli_args.args.use_pytorch_cross_attention = True

import comfy.model_sampling  # noqa: E402
from core.backends import comfy_demo as D  # noqa: E402
from core.demo import config as C  # noqa: E402
from core.demo import render as R  # noqa: E402

OUT = "demo_model"
WEIGHTS = os.path.join(OUT, "latent_directions_demo.safetensors")
RESUME = os.path.join(OUT, "train", "resume.safetensors")
LOSS_CSV = os.path.join(OUT, "train", "loss.csv")


def set_out(out: str) -> None:
    """Train into another folder (same layout as demo_model/), e.g. for an experimental run."""
    global OUT, WEIGHTS, RESUME, LOSS_CSV
    OUT = out
    WEIGHTS = os.path.join(OUT, "latent_directions_demo.safetensors")
    RESUME = os.path.join(OUT, "train", "resume.safetensors")
    LOSS_CSV = os.path.join(OUT, "train", "loss.csv")


def skip_dropout_patch(keep: torch.Tensor):
    """ComfyUI output-block patch that zeroes every skip connection of the samples where keep is 0.

    The idea: the decoder must also denoise from h alone. Measured, h then decides less (docs/h_reliance.md)."""
    def patch(h, hsp, transformer_options):
        return h, hsp * keep.view(-1, 1, 1, 1).to(hsp.dtype)
    return patch


TRAIN_SEED = 1  # training batches use seeds (TRAIN_SEED, step); tests use other seeds


def alphas_cumprod() -> torch.Tensor:
    """alpha-bar_t from ComfyUI's own schedule object (sigma_t^2 = (1 - abar_t) / abar_t)."""
    ms = comfy.model_sampling.ModelSamplingDiscrete(D.DemoModelConfig(dict(C.UNET_CONFIG)))
    return 1.0 / (1.0 + ms.sigmas.double() ** 2)


def batch(step: int, n: int, null_prob: float, offset_noise: float = 0.0, c_range=R.C_RANGE):
    g = torch.Generator().manual_seed(TRAIN_SEED * 1_000_003 + step)
    f = R.sample_factors(n, generator=g, c_range=tuple(c_range))
    x0 = R.render(f) * 2.0 - 1.0
    idx = torch.where(torch.rand(n, generator=g) < null_prob, torch.full_like(f.cls, C.NULL_INDEX), f.cls)
    t = torch.randint(0, 1000, (n,), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    if offset_noise > 0:  # per-image, per-channel constant noise (offset noise): keeps the noise mean from reading as a tint
        eps = eps + offset_noise * torch.randn(n, x0.shape[1], 1, 1, generator=g)
    return x0, idx, t, eps


def init_from(unet, cond, path: str) -> None:
    """Copy matching weights from a shipped-format file; an output block's upsampler moves from index 2 to 1 when
    the block loses its transformer."""
    full = load_file(path)
    w = {k[len(D.UNET_PREFIX):]: v for k, v in full.items() if k.startswith(D.UNET_PREFIX)}
    st, n = unet.state_dict(), 0
    for k in st:
        src = k if k in w else re.sub(r"^(output_blocks\.\d+)\.1\.conv", r"\1.2.conv", k)
        if src in w and w[src].shape == st[k].shape:
            st[k], n = w[src], n + 1
    unet.load_state_dict(st)
    with torch.no_grad():
        cond["tokens"].copy_(full[D.EMBED_KEY])
        cond["const"].copy_(full[D.CONST_KEY])
    print(f"initialised {n} of {len(st)} tensors from {path}", flush=True)


def save_state(unet, ema, cond, ema_cond, opt, step, wall, args):
    meta = {"step": str(step), "wall_s": f"{wall:.1f}", "args": json.dumps(vars(args))}
    shipped = {D.UNET_PREFIX + k: v.detach().clone().contiguous() for k, v in ema.items()}
    shipped[D.EMBED_KEY], shipped[D.CONST_KEY] = ema_cond["tokens"].clone(), ema_cond["const"].clone()
    tmp = WEIGHTS + ".tmp"
    save_file(shipped, tmp, metadata={**meta, "config": json.dumps(C.UNET_CONFIGS[args.cross_attention]),
                                      "sampling": json.dumps(C.SAMPLING_SETTINGS)})
    os.replace(tmp, WEIGHTS)
    st = {"unet." + k: v.detach().contiguous() for k, v in unet.state_dict().items()}
    st.update({"cond." + k: v.detach().contiguous() for k, v in cond.items()})
    params = list(unet.parameters()) + list(cond.values())
    for i, p in enumerate(params):
        s = opt.state.get(p)
        if s:
            st[f"adam.{i}.m"] = s["exp_avg"].to(torch.bfloat16).contiguous()
            st[f"adam.{i}.v"] = s["exp_avg_sq"].to(torch.bfloat16).contiguous()
    tmp = RESUME + ".tmp"
    save_file(st, tmp, metadata=meta)
    os.replace(tmp, RESUME)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--null-prob", type=float, default=0.15)
    ap.add_argument("--every", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--offset-noise", type=float, default=0.0,
                    help="std of a per-channel constant added to the training noise (0 = plain DDPM noise)")
    ap.add_argument("--skip-dropout", type=float, default=0.0,
                    help="share of training examples whose skip connections are all zeroed (0 = plain U-Net training)")
    ap.add_argument("--cross-attention", default="sd", choices=list(C.UNET_CONFIGS),
                    help="sd: cross-attention at 16x16, 8x8 and the middle (shipped); middle: only in the middle block")
    ap.add_argument("--init-from", default="",
                    help="start a new run from this weights file (keys the architecture lacks are dropped)")
    ap.add_argument("--centre-range", type=float, nargs=2, default=list(R.C_RANGE), metavar=("LO", "HI"),
                    help="range of the object centre x and y in px (narrow = aligned data, as the papers' faces)")
    ap.add_argument("--out", default=OUT, help="folder for weights, resume state and loss log")
    args = ap.parse_args()
    set_out(args.out)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(os.path.dirname(RESUME), exist_ok=True)
    meta = None
    if os.path.exists(RESUME):  # a resumed run keeps the architecture it started with
        with safe_open(RESUME, "pt") as fh:
            meta = fh.metadata()
        old = json.loads(meta["args"])
        args.cross_attention = old.get("cross_attention", "sd")
        args.centre_range = old.get("centre_range", list(R.C_RANGE))
    config = C.UNET_CONFIGS[args.cross_attention]
    unet = D.build_unet(config)
    g = torch.Generator().manual_seed(0)
    cond = {"tokens": torch.nn.Parameter(torch.randn(len(C.PROMPTS), C.CONTEXT_DIM, generator=g)),
            "const": torch.nn.Parameter(torch.randn(C.CONTEXT_TOKENS - 1, C.CONTEXT_DIM, generator=g))}
    params = list(unet.parameters()) + list(cond.values())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    step, wall = 0, 0.0
    if meta is not None:
        st = load_file(RESUME)
        step, wall = int(meta["step"]), float(meta["wall_s"])
        unet.load_state_dict({k[5:]: v for k, v in st.items() if k.startswith("unet.")})
        with torch.no_grad():
            for k in cond:
                cond[k].copy_(st["cond." + k])
        for i, p in enumerate(params):
            if f"adam.{i}.m" in st:
                opt.state[p] = {"step": torch.tensor(float(step)), "exp_avg": st[f"adam.{i}.m"].float(),
                                "exp_avg_sq": st[f"adam.{i}.v"].float()}
        print(f"resumed at step {step} ({wall:.0f} s so far)", flush=True)
    elif args.init_from:
        init_from(unet, cond, args.init_from)
    ema = {k: v.detach().clone() for k, v in unet.state_dict().items()}
    ema_cond = {k: v.detach().clone() for k, v in cond.items()}
    if os.path.exists(WEIGHTS) and step > 0:
        w = load_file(WEIGHTS)
        ema = {k: w[D.UNET_PREFIX + k] for k in ema}
        ema_cond = {"tokens": w[D.EMBED_KEY], "const": w[D.CONST_KEY]}
    acp = alphas_cumprod().float()
    if os.path.exists(LOSS_CSV):  # drop rows logged after the checkpoint we resume from
        with open(LOSS_CSV) as f:
            rows = list(csv.reader(f))
        keep = [r for r in rows[1:] if r and int(r[0]) <= step]
        with open(LOSS_CSV, "w", newline="") as f:
            csv.writer(f).writerows(rows[:1] + keep)
    log = open(LOSS_CSV, "a", newline="")
    writer = csv.writer(log)
    if os.path.getsize(LOSS_CSV) == 0:
        writer.writerow(["step", "loss", "wall_s"])
    run_loss, n_loss, t_last = 0.0, 0, time.perf_counter()
    while step < args.steps:
        x0, idx, t, eps = batch(step, args.batch, args.null_prob, args.offset_noise, args.centre_range)
        a = acp[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        ctx = torch.cat([cond["tokens"][idx].unsqueeze(1),
                         cond["const"].unsqueeze(0).expand(len(idx), -1, -1)], dim=1)
        lr = args.lr * min(1.0, (step + 1) / 200)
        for gr in opt.param_groups:
            gr["lr"] = lr
        opts = {}
        if args.skip_dropout > 0:
            keep = (torch.rand(len(idx), generator=torch.Generator().manual_seed(7 * step + 3)) >= args.skip_dropout)
            opts = {"patches": {"output_block_patch": [skip_dropout_patch(keep.float())]}}
        loss = torch.nn.functional.mse_loss(unet(xt, t.float(), context=ctx, transformer_options=opts), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for k, v in unet.state_dict().items():
                ema[k].mul_(d).add_(v.detach(), alpha=1 - d) if v.dtype.is_floating_point else ema[k].copy_(v)
            for k in cond:
                ema_cond[k].mul_(d).add_(cond[k].detach(), alpha=1 - d)
        run_loss += float(loss.detach())
        n_loss += 1
        if step % 50 == 0:
            now = time.perf_counter()
            wall += now - t_last
            t_last = now
            writer.writerow([step, f"{run_loss / n_loss:.5f}", f"{wall:.1f}"])
            log.flush()
            print(f"step {step} loss {run_loss / n_loss:.4f} wall {wall:.0f}s", flush=True)
            run_loss, n_loss = 0.0, 0
        if step % args.every == 0 or step == args.steps:
            save_state(unet, ema, cond, ema_cond, opt, step, wall, args)
    log.close()


if __name__ == "__main__":
    main()
