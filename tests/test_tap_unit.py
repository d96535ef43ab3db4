"""The backend-neutral Tap: gating by window and branch, never in place, clear errors."""
import math
import subprocess
import sys

import pytest
import torch

from conftest import REPO
from latent_directions.core import tap as T


def test_gating_and_no_in_place():
    h = torch.zeros(4, 2, 3, 3)
    keep = h.clone()
    tap = T.adder(lambda info, x: torch.ones_like(x), window=T.Window(1.0, 2.0), branch="uncond")
    out = tap(h, T.StepInfo(sigma=1.5, chunks=(0, 1)))
    assert torch.equal(h, keep)
    assert torch.equal(out[:2], keep[:2]) and torch.equal(out[2:], torch.ones(2, 2, 3, 3))
    assert tap(h, T.StepInfo(sigma=2.5, chunks=(0, 1))) is h
    assert tap(h, T.StepInfo(sigma=None, chunks=(0, 1))) is h  # unknown sigma: only a full window applies
    full = T.adder(lambda info, x: torch.ones_like(x))
    assert torch.equal(full(h, T.StepInfo()), torch.ones_like(h))


def test_window_bounds_inclusive():
    w = T.Window(1.0, 2.0)
    assert w.contains(1.0) and w.contains(2.0) and not w.contains(0.999) and T.Window().contains(math.inf)


def test_bad_chunks_and_shapes_raise():
    h = torch.zeros(3, 2, 1, 1)
    with pytest.raises(ValueError, match="does not split"):
        T.reader(lambda *a: None)(h, T.StepInfo(chunks=(0, 1)))
    with pytest.raises(ValueError, match="replace returned shape"):
        T.replacer(lambda x, i: x[:1])(h, T.StepInfo())
    with pytest.raises(ValueError, match="branch must be"):
        T.adder(lambda *a: 0, branch="positive")


def test_core_imports_without_comfyui():
    code = ("import sys, importlib.util; "
            f"spec = importlib.util.spec_from_file_location('ld', '{REPO}/__init__.py', "
            f"submodule_search_locations=['{REPO}']); m = importlib.util.module_from_spec(spec); "
            "sys.modules['ld'] = m; spec.loader.exec_module(m); "
            "import ld.core.tap, ld.core.plot, ld.core.errors, ld.core.demo.render, ld.core.demo.measure; "
            "assert not any(k == 'comfy' or k.startswith('comfy.') for k in sys.modules), 'comfy was imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
