"""DIRECTION file, PCA node, Apply Latent Edit at Timestep and the grid, in-process on the real ComfyUI."""
import os

import pytest
import torch

from conftest import sample, sd15_conds, sdxl_conds
from latent_directions.core import tap as T
from latent_directions.core.backends import comfy_sampling, comfy_unet as CU
from latent_directions.core.direction import Direction, DirectionFileError, load_direction
from latent_directions.core.errors import LatentDirectionsError
from latent_directions.nodes import direction_nodes as DN
from latent_directions.nodes import edit as E
from latent_directions.nodes import files
from latent_directions.nodes import grid as G
from latent_directions.nodes import pca as P


@pytest.fixture(scope="module")
def sd15_pca(tiny_sd15):
    pos, neg = sd15_conds()
    latent = {"samples": torch.zeros(1, 4, 16, 16)}
    out = P.ExtractHSpacePCA.execute(tiny_sd15, pos, neg, latent, 5, 6, 4, 4, 2.0, "euler", "normal", 3,
                                     "per_timestep", "cond")
    return out.args[0], out.args[1]


@pytest.fixture()
def direction_dir(tmp_path, monkeypatch):
    import folder_paths
    monkeypatch.setitem(folder_paths.folder_names_and_paths, files.FOLDER, ([str(tmp_path)], {".safetensors"}))
    return tmp_path


def test_pca_node_matches_dense_svd_of_recorded_h(tiny_sd15, sd15_pca):
    d, plot = sd15_pca
    assert d.k == 3 and d.shape == (64, 8, 8) and len(d.timesteps) == 4
    assert plot.shape[0] == 1 and plot.shape[-1] == 3
    pos, neg = sd15_conds()
    _, traj = comfy_sampling.sample_recording_h(tiny_sd15, "cond", "t", positive=pos, negative=neg,
                                                latent=torch.zeros(6, 4, 16, 16), seeds=list(range(5, 11)), steps=4,
                                                cfg=2.0, sampler_name="euler", scheduler="normal")
    for j, t in enumerate(d.timesteps.tolist()):
        x = traj[min(traj, key=lambda u: abs(u - t))].reshape(6, -1).double()
        xc = x - x.mean(0)
        _, s, vt = torch.linalg.svd(xc, full_matrices=False)
        cos = (d.vectors[:, j].reshape(3, -1).double() * vt[:3]).sum(-1).abs()
        assert (cos >= 0.999).all(), cos
        assert torch.allclose(d.scales[:, j].double(), s[:3] / 5 ** 0.5, rtol=1e-4)
        assert torch.allclose(d.extra["explained_variance"][:, j].double(), s[:3] ** 2 / (s ** 2).sum(), rtol=1e-4)


def test_pca_node_transported_mode_keeps_the_last_steps_pcs_and_carries_them_back(tiny_sd15, sd15_pca):
    d, _ = sd15_pca
    pos, neg = sd15_conds()
    dt = P.ExtractHSpacePCA.execute(tiny_sd15, pos, neg, {"samples": torch.zeros(1, 4, 16, 16)}, 5, 6, 4, 4, 2.0,
                                    "euler", "normal", 3, "transported", "cond").args[0]
    assert dt.meta["params"]["mode"] == "transported" and dt.vectors.shape == d.vectors.shape
    # Direction stores timesteps ascending: index 0 is the last sampling step, where transport starts
    last = (dt.vectors[:, 0].reshape(3, -1) * d.vectors[:, 0].reshape(3, -1)).sum(-1).abs()
    assert (last >= 0.999).all() and torch.allclose(dt.scales[:, 0], d.scales[:, 0], rtol=1e-4)
    for j in range(1, len(dt.timesteps)):  # orthonormal at every step, and the closest set to the step before
        v = dt.vectors[:, j].reshape(3, -1).double()
        assert torch.allclose(v @ v.T, torch.eye(3, dtype=torch.float64), atol=1e-4)
        w = dt.vectors[:, j - 1].reshape(3, -1).double()
        own = (d.vectors[:, j].reshape(3, -1).double() * w).sum(-1).abs()  # the step's own PCs, best signs
        assert float((v * w).sum()) >= float(own.sum()) - 1e-5  # Procrustes: the closest orthonormal set


def test_file_round_trip_is_exact(sd15_pca, direction_dir):
    d, _ = sd15_pca
    rel = DN.SaveDirection.execute(d, "pca_test").args[0]
    assert rel.endswith(".safetensors") and os.path.isfile(direction_dir / rel)
    assert not [p for p in os.listdir(direction_dir) if p.startswith(".tmp")]
    back = DN.LoadDirection.execute(rel).args[0]
    for name, t in d.tensors().items():
        assert torch.equal(back.tensors()[name], t), name
    assert back.meta["model"] == d.meta["model"] and back.labels == d.labels and back.meta["method"] == "pca"


def test_sd15_direction_is_refused_on_sdxl(tiny_sdxl, sd15_pca):
    d, _ = sd15_pca
    with pytest.raises(LatentDirectionsError, match=r"^Apply Latent Edit at Timestep: the direction was made for a "
                                                    r"SD15 model .*not this SDXL model"):
        E.ApplyLatentEdit.execute(tiny_sdxl, d, 1.0, 0.0, 1.0, "both")


def test_load_refuses_bad_names_and_files(direction_dir):
    for bad in ("../x.safetensors", "/etc/passwd", "a.ckpt", "missing.safetensors"):
        with pytest.raises(LatentDirectionsError, match=r"^Load Direction: "):
            DN.LoadDirection.execute(bad)
    (direction_dir / "junk.safetensors").write_bytes(b"\x80\x04not safetensors at all")
    with pytest.raises(LatentDirectionsError, match=r"^Load Direction: 'junk.safetensors' cannot be used: "):
        DN.LoadDirection.execute("junk.safetensors")


def _edit_model(model, d, strength, start, end, branch="both"):
    before, after = [], []
    m0 = model.clone()
    m0.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: before.append((i, c, h))), None))
    m1 = E.ApplyLatentEdit.execute(m0, d, strength, start, end, branch).args[0]
    m1.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: after.append((i, c, h))),
                                                  CU.model_sampling(m1).log_sigmas))
    return m1, before, after


@pytest.mark.parametrize("steps", [4, 7])
def test_edit_math_inside_and_outside_the_window(comfy, tiny_sd15, sd15_pca, steps):
    d, _ = sd15_pca
    pos, neg = sd15_conds()
    s = 2.5
    m, before, after = _edit_model(tiny_sd15, d, s, 0.2, 0.8)
    sample(comfy, m, pos, neg, steps=steps)
    window = CU.window_from_percent(tiny_sd15, 0.2, 0.8)
    n_in = 0
    for (info, c, hb), (info2, _, ha) in zip(before, after):
        got = ha - hb
        if window.contains(info2.sigma):
            n_in += 1
            want = d.delta_at(info2.t, torch.full((3,), s))
            assert torch.allclose(got, want.expand_as(got), atol=1e-4)
            if steps == 4:  # the PCA's own timesteps: exactly s * scale * vector of the nearest stored step
                j = int(torch.argmin((d.timesteps - info2.t).abs()))
                ref = (s * d.scales[:, j].view(-1, 1, 1, 1) * d.vectors[:, j]).sum(0)
                assert torch.allclose(got, ref.expand_as(got), atol=1e-4)
        else:
            assert torch.count_nonzero(got) == 0
    assert 0 < n_in < len(before)


def test_zero_strength_is_bit_identical(comfy, tiny_sd15, sd15_pca):
    d, _ = sd15_pca
    pos, neg = sd15_conds()
    plain = sample(comfy, tiny_sd15, pos, neg, steps=5)
    m = E.ApplyLatentEdit.execute(tiny_sd15, d, 0.0, 0.0, 1.0, "both").args[0]
    assert torch.equal(sample(comfy, m, pos, neg, steps=5), plain)
    assert not tiny_sd15.model_options.get("transformer_options", {}).get("patches")


def test_resolution_mismatch_refused_unless_resample(comfy, tiny_sd15, sd15_pca):
    d, _ = sd15_pca
    pos, neg = sd15_conds()
    m = E.ApplyLatentEdit.execute(tiny_sd15, d, 1.0, 0.0, 1.0, "both").args[0]
    with pytest.raises(LatentDirectionsError, match="direction's h is 8x8 but this resolution gives 12x12"):
        sample(comfy, m, pos, neg, steps=2, size=24)
    m = E.ApplyLatentEdit.execute(tiny_sd15, d, 1.0, 0.0, 1.0, "both", "", True).args[0]
    assert sample(comfy, m, pos, neg, steps=2, size=24).shape == (1, 4, 24, 24)


def test_select_scale_combine(sd15_pca):
    d, _ = sd15_pca
    s = DN.SelectDirections.execute(d, "2, 0").args[0]
    assert s.k == 2 and torch.equal(s.vectors[0], d.vectors[2]) and s.labels == ["PC2", "PC0"]
    assert torch.equal(DN.ScaleDirections.execute(d, -2.0).args[0].scales, -2 * d.scales)
    c = DN.CombineDirections.execute(d, s, "concat", 1.0, 1.0).args[0]
    assert c.k == 5
    one = DN.CombineDirections.execute(d.select([0]), d.select([1]), "sum", 1.0, 1.0).args[0]
    t = float(d.timesteps[1])
    assert torch.allclose(one.delta_at(t, torch.ones(1)), d.delta_at(t, torch.tensor([1.0, 1.0, 0.0])), atol=1e-5)
    with pytest.raises(LatentDirectionsError, match=r"^Select Directions: direction index 7"):
        DN.SelectDirections.execute(d, "7")
    with pytest.raises(LatentDirectionsError, match=r"^Apply Latent Edit at Timestep: start_percent 0.8 is after"):
        E.ApplyLatentEdit.execute(None, d, 1.0, 0.8, 0.2, "both")


def test_direction_validation_errors(tmp_path):
    d = Direction(torch.randn(2, 3, 4, 2, 2), torch.tensor([10.0, 500.0, 900.0]), torch.ones(2, 3), {"method": "x"})
    p = tmp_path / "d.safetensors"
    d.save(str(p))
    assert torch.equal(load_direction(str(p)).vectors, d.vectors)
    bad = Direction(torch.full((1, 1, 1), float("nan")), torch.tensor([1.0]), torch.ones(1, 1))
    bad.save(str(tmp_path / "nan.safetensors"))
    with pytest.raises(DirectionFileError, match="NaN"):
        load_direction(str(tmp_path / "nan.safetensors"))
    raw = p.read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DirectionFileError):
        load_direction(str(tmp_path / "trunc.safetensors"))


def test_grid_node_on_sdxl_shaped_model(comfy, tiny_sdxl):
    from latent_directions.core.backends.comfy_demo import pixel_vae
    pos, neg = sdxl_conds()
    latent = {"samples": torch.zeros(1, 4, 16, 16)}
    d = P.ExtractHSpacePCA.execute(tiny_sdxl, pos, neg, latent, 0, 4, 4, 3, 2.0, "euler", "normal", 2,
                                   "pooled", "uncond").args[0]
    assert d.meta["params"]["mode"] == "pooled" and d.meta["model"]["family"] == "SDXL"

    class FirstThreeChannels:  # a VAE stand-in is not needed: decode the 4-channel latent's first 3 channels
        def decode(self, x):
            return pixel_vae().decode(x[:, :3])

    grid, imgs = G.DirectionStrengthGrid.execute(tiny_sdxl, FirstThreeChannels(), pos, neg, latent, d, 1, 3, 2.0,
                                                 "euler", "normal", 2, "-1, 0, 1", 0.0, 1.0, "both", 2).args
    assert imgs.shape == (6, 16, 16, 3) and grid.shape[0] == 1
    assert torch.equal(imgs[1], imgs[4])  # strength 0 in both rows: the same unedited image
    assert not torch.equal(imgs[0], imgs[2])
    many = ", ".join(str(i) for i in range(64))  # 64 columns of 16 px x 16 = 16,640 px: refused before sampling
    with pytest.raises(LatentDirectionsError, match=r"^Direction x Strength Grid: 1 x 64 tiles of 16 x 16 px at "
                                                    r"scale 16 make a 16640 x 260 px grid"):
        G.DirectionStrengthGrid.execute(tiny_sdxl, pixel_vae(), pos, neg, latent, d, 1, 3, 2.0, "euler", "normal", 1,
                                        many, 0.0, 1.0, "both", 16)
