"""Shared benchmark helpers: argument parser with --json, result output, alternating timed runs, peak RSS."""
from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import psutil
import torch

DEMO_WEIGHTS = "demo_model/latent_directions_demo.safetensors"


def parser(doc: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--json", default="", help="also write the result to this file")
    return ap


def emit(res: dict, path: str = "") -> None:
    res.setdefault("torch_threads", torch.get_num_threads())
    print(json.dumps(res, indent=1), flush=True)
    if path:
        with open(path, "w") as f:
            json.dump(res, f, indent=1)


def comfy_cpu() -> None:
    """ComfyUI on the CPU with PyTorch attention; call before importing core.backends."""
    import comfy.cli_args
    comfy.cli_args.args.cpu = True
    comfy.cli_args.args.use_pytorch_cross_attention = True


def alternate(fns: dict, repeats: int, warmup: int = 1) -> dict[str, list[float]]:
    """Time each callable `repeats` times, interleaved (a, b, a, b, ...) after `warmup` untimed rounds."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def median(xs) -> float:
    return float(statistics.median(xs))


class PeakRSS:
    """Peak resident-memory growth over a `with` block, sampled every 5 ms: .mb after the block."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self.running = True
        self.t = threading.Thread(target=self._watch, daemon=True)
        self.t.start()
        return self

    def _watch(self):
        while self.running:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *a):
        self.running = False
        self.t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.mb = max(0, self.peak - self.base) / 2**20
