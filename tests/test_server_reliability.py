"""The real server under bad input, queues and caching: it stays up, nothing leaks between prompts."""
import io
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from latent_directions.core.direction import Direction
from scripts.comfy_server import execution_error

pytestmark = pytest.mark.server

DEMO_SIG = {"family": "DemoModelConfig", "model_type": "EPS", "h_channels": 64, "downsample": 4,
            "latent_channels": 3, "context_dim": 32, "adm_in_channels": None}


def _write_direction(server, name, seed):
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(2, 3, 64, 8, 8, generator=g)
    v = v / v.flatten(2).norm(dim=2)[..., None, None, None]
    d = Direction(v, torch.tensor([0.0, 500.0, 999.0]), torch.full((2, 3), 30.0),
                  {"method": "test", "model": DEMO_SIG, "labels": ["a", "b"]})
    d.save(os.path.join(server.workdir, "models", "latent_directions", name))


def _prompt(edit=None, seed=3, prefix="rel", size=32):
    p = {"1": {"class_type": "LD_LoadDemoModel", "inputs": {"weight_dtype": "auto"}},
         "2": {"class_type": "LD_DemoPrompt", "inputs": {"shape": "square"}},
         "3": {"class_type": "LD_DemoPrompt", "inputs": {"shape": "(none)"}},
         "4": {"class_type": "LD_EmptyDemoLatent", "inputs": {"width": size, "height": size, "batch_size": 2}},
         "5": {"class_type": "KSampler", "inputs": {"model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0],
                                                    "latent_image": ["4", 0], "seed": seed, "steps": 8, "cfg": 2.5,
                                                    "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}},
         "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 1]}},
         "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": prefix}}}
    if edit:
        p["8"] = {"class_type": "LD_LoadDirection", "inputs": {"direction_file": edit["file"]}}
        p["9"] = {"class_type": "LD_ApplyLatentEdit",
                  "inputs": {"model": ["1", 0], "direction": ["8", 0], "strength": edit.get("strength", 1.0),
                             "start_percent": edit.get("start", 0.0), "end_percent": edit.get("end", 1.0),
                             "branch": "both"}}
        p["5"]["inputs"]["model"] = ["9", 0]
    return p


def _images(server, entry):
    """The SaveImage node's images (Load Direction also previews a spectrum plot)."""
    return [np.asarray(Image.open(io.BytesIO(b))) for b in server.images(entry, "7")]


def _run_ok(server, prompt):
    entry = server.run(prompt)
    assert execution_error(entry) is None, execution_error(entry)
    return entry


def _cached(entry):
    return {n for kind, m in entry["status"]["messages"] if kind == "execution_cached" for n in m["nodes"]}


def test_bad_input_keeps_the_server_up_and_leaves_nothing_behind(server):
    _write_direction(server, "rel_a.safetensors", 0)
    clean = _images(server, _run_ok(server, _prompt(prefix="clean")))
    bad = server.run(_prompt({"file": "rel_a.safetensors", "start": 0.9, "end": 0.1}))
    err = execution_error(bad)
    assert err and err["exception_message"].startswith("Apply Latent Edit at Timestep: start_percent 0.9 is after")
    edited = _images(server, _run_ok(server, _prompt({"file": "rel_a.safetensors", "strength": 2.0})))
    assert any(not np.array_equal(a, b) for a, b in zip(clean, edited))
    entry = _run_ok(server, _prompt(prefix="again", seed=3))
    assert "5" not in _cached(entry)  # the sampler really ran again
    again = _images(server, entry)
    assert all(np.array_equal(a, b) for a, b in zip(clean, again)), "an edit leaked into a plain run"


def test_queue_mixing_edited_and_plain_matches_each_alone(server):
    _write_direction(server, "rel_q.safetensors", 1)
    alone_plain = _images(server, _run_ok(server, _prompt(seed=11, prefix="qa")))
    alone_edit = _images(server, _run_ok(server, _prompt({"file": "rel_q.safetensors", "strength": -2.0}, seed=11,
                                                         prefix="qb")))
    ids = [server.queue(_prompt({"file": "rel_q.safetensors", "strength": -2.0}, seed=11, prefix="q1")),
           server.queue(_prompt(seed=11, prefix="q2")),
           server.queue(_prompt({"file": "rel_q.safetensors", "strength": -2.0}, seed=11, prefix="q3"))]
    outs = [_images(server, server.wait(i)) for i in ids]
    for got, want in zip(outs, (alone_edit, alone_plain, alone_edit)):
        assert all(np.array_equal(a, b) for a, b in zip(got, want))


def test_load_direction_reruns_only_when_the_file_changes(server):
    _write_direction(server, "rel_c.safetensors", 2)
    p = _prompt({"file": "rel_c.safetensors", "strength": 1.5}, seed=5, prefix="c")
    first = _images(server, _run_ok(server, p))
    entry = _run_ok(server, p)
    cached = [m for kind, m in entry["status"]["messages"] if kind == "execution_cached"]
    assert cached and "8" in cached[0]["nodes"]
    _write_direction(server, "rel_c.safetensors", 3)  # same name, new content
    entry = _run_ok(server, p)
    cached = [m for kind, m in entry["status"]["messages"] if kind == "execution_cached"]
    assert "8" not in (cached[0]["nodes"] if cached else [])
    assert any(not np.array_equal(a, b) for a, b in zip(first, _images(server, entry)))


def test_out_of_range_strength_is_rejected_before_running(server):
    from scripts.comfy_server import PromptRejected
    _write_direction(server, "rel_h.safetensors", 4)
    with pytest.raises(PromptRejected) as e:
        server.queue(_prompt({"file": "rel_h.safetensors", "strength": 1e6}))
    assert "strength" in json.dumps(e.value.body) and server.get("/system_stats")


def test_exception_inside_sampling_then_plain_run_is_clean(server):
    _write_direction(server, "rel_s.safetensors", 5)
    clean = _images(server, _run_ok(server, _prompt(seed=21, prefix="s0")))
    bad = server.run(_prompt({"file": "rel_s.safetensors"}, seed=21, size=64, prefix="s1"))  # h 16x16 vs 8x8
    err = execution_error(bad)
    assert err and "direction's h is 8x8 but this resolution gives 16x16" in err["exception_message"]
    entry = _run_ok(server, _prompt(seed=21, prefix="s2"))
    assert "5" not in _cached(entry)  # the sampler really ran again
    again = _images(server, entry)
    assert all(np.array_equal(a, b) for a, b in zip(clean, again))
