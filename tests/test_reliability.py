"""Reliability in-process: interrupts leave no partial file, dtypes, parameter clamping and refusals."""
import os

import pytest
import torch

from conftest import sample, sd15_conds
from latent_directions.core import tap as T
from latent_directions.core.backends import comfy_tiny, comfy_unet as CU
from latent_directions.core.errors import LatentDirectionsError
from latent_directions.nodes import direction_nodes as DN
from latent_directions.nodes import edit as E
from latent_directions.nodes import files
from latent_directions.nodes import pca as P

LATENT = {"samples": torch.zeros(1, 4, 16, 16)}


def _pca(model, n=4, k=2, steps=3, **kw):
    pos, neg = sd15_conds()
    args = dict(seed=0, n_samples=n, batch_size=2, steps=steps, cfg=2.0, sampler_name="euler", scheduler="normal",
                components=k, mode="per_timestep", record_branch="cond")
    args.update(kw)
    return P.ExtractHSpacePCA.execute(model, pos, neg, LATENT, **args).args[0]


def test_interrupt_stops_pca_within_one_step_and_leaves_no_file(comfy, tiny_sd15, tmp_path, monkeypatch):
    import folder_paths
    monkeypatch.setitem(folder_paths.folder_names_and_paths, files.FOLDER, ([str(tmp_path)], {".safetensors"}))
    calls = []

    def interrupt_on_second_call(h, info, c):
        calls.append(info.t)
        if len(calls) == 2:
            mm.interrupt_current_processing(True)

    mm = comfy.model_management
    m = tiny_sd15.clone()
    m.set_model_output_block_patch(CU.make_patch(T.reader(interrupt_on_second_call), None))
    try:
        with pytest.raises(comfy.model_management.InterruptProcessingException):  # comfy: the fixture's module
            _pca(m, n=8, steps=6)
    finally:
        comfy.model_management.interrupt_current_processing(False)
    assert len(calls) <= 3  # stopped at the step after the interrupt, not after all 8 x 6 calls
    assert os.listdir(tmp_path) == []
    pos, neg = sd15_conds()  # nothing left behind: a plain run equals one on a fresh clone of the model
    assert torch.equal(sample(comfy, tiny_sd15, pos, neg, steps=3), sample(comfy, tiny_sd15.clone(), pos, neg, steps=3))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_models_edit_in_their_dtype(comfy, dtype):
    model = comfy_tiny.tiny_sd15(dtype=dtype)
    d = _pca(model)  # PCA in float32 from the half-precision h
    assert d.vectors.dtype == torch.float32 and torch.isfinite(d.vectors).all()
    seen = []
    m = E.ApplyLatentEdit.execute(model, d, 2.0, 0.0, 1.0, "both").args[0]
    m.set_model_output_block_patch(CU.make_patch(T.reader(lambda h, i, c: seen.append(h)), None))
    pos, neg = sd15_conds()
    out = sample(comfy, m, pos, neg, steps=2)
    assert torch.isfinite(out).all()
    assert model.model.diffusion_model.dtype == dtype


def test_k_larger_than_samples_is_clamped(tiny_sd15):
    d = _pca(tiny_sd15, n=3, k=10)
    assert d.k == 3 and d.meta["params"]["k"] == 3  # at most N components (the last has ~zero variance)


def test_bad_parameters_get_one_sentence(tiny_sd15, tiny_flux):
    d = _pca(tiny_sd15)
    with pytest.raises(LatentDirectionsError, match=r"^Extract h-space PCA: CFG 1 runs no uncond"):
        _pca(tiny_sd15, cfg=1.0, record_branch="uncond")
    with pytest.raises(LatentDirectionsError, match=r"^Apply Latent Edit at Timestep: per_direction_strengths has 1"):
        E.ApplyLatentEdit.execute(tiny_sd15, d, 1.0, 0.0, 1.0, "both", "3")
    with pytest.raises(LatentDirectionsError, match=r"^Apply Latent Edit at Timestep: 'x, 1' in per_direction"):
        E.ApplyLatentEdit.execute(tiny_sd15, d, 1.0, 0.0, 1.0, "both", "x, 1")
    with pytest.raises(LatentDirectionsError, match=r"^Extract h-space PCA: the model is Flux"):
        _pca(tiny_flux)
    with pytest.raises(LatentDirectionsError, match=r"^Save Direction: the prefix '../x' leaves"):
        DN.SaveDirection.execute(d, "../x")


def test_missing_keys_and_one_class_labels(tmp_path):
    from safetensors.torch import save_file

    from latent_directions.core.boundary import fit_linear_svm
    from latent_directions.core.direction import DirectionFileError, load_direction
    save_file({"vectors": torch.zeros(1, 1, 2)}, str(tmp_path / "m.safetensors"),
              metadata={"format": '"latent_directions"', "format_version": "1"})
    with pytest.raises(DirectionFileError, match="lacks the tensor"):
        load_direction(str(tmp_path / "m.safetensors"))
    with pytest.raises(ValueError, match="only one class"):
        fit_linear_svm(torch.randn(4, 3), [1, 1, 1, 1])
