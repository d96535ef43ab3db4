"""Save, load, select, scale and combine DIRECTION sets."""
from __future__ import annotations

import hashlib
import os

import torch

import folder_paths
from comfy_api.latest import io, ui

from ..core.direction import Direction, DirectionFileError, load_direction
from ..core.errors import LatentDirectionsError
from . import files
from .common import direction_input
from .types import Direction as DirectionType


def summary(d: Direction) -> str:
    m = d.meta
    model = m.get("model") or {}
    ts = d.timesteps
    return (f"{d.k} direction(s) | method {m.get('method', '?')} | space {m.get('space', 'h')} | shape "
            f"{'x'.join(map(str, d.shape))} | {len(ts)} timestep(s) t={float(ts[0]):.0f}..{float(ts[-1]):.0f} | "
            f"model {model.get('family', '?')} | labels: {', '.join(d.labels[:8])}{' ...' if d.k > 8 else ''}")


PLOT_SIZE = (512, 288)
MAX_LINES = 8


def spectrum_image(d: Direction):
    """The direction's spectrum as a float image [H, W, 3]: each direction's scale against t (T > 1), or scale and
    singular value per direction (T == 1); an SVM boundary shows each class's mean signed distance. None if empty."""
    from ..core.plot import line_plot
    method, p, T = d.meta.get("method", "?"), d.meta.get("params") or {}, len(d.timesteps)
    name = lambda s: s if len(s) <= 22 else s[:21] + "~"
    if method == "svm_boundary" and "mean_distance_a" in p:
        q = "<h, n>" if d.meta.get("space", "h") == "h" else "<x_t, n>"
        series = {f"mean {q}": ([0, 1], [p["mean_distance_a"], p["mean_distance_b"]])}
        title = f"SVM boundary at t={float(d.timesteps[0]):.0f}: class A (0) and B (1) mean distance"
        args = (title, "class", "distance")
    elif T > 1:
        ts = d.timesteps.tolist()
        series = {f"{k}: {name(d.labels[k])}": (ts, d.scales[k].tolist()) for k in range(min(d.k, MAX_LINES))}
        more = f" (first {MAX_LINES} of {d.k})" if d.k > MAX_LINES else ""
        args = (f"{method}: scale of each direction over t{more}", "t (sampling runs from high t to low t)", "scale")
    else:
        ks = list(range(d.k))
        series = {"scale": (ks, d.scales[:, 0].tolist())}
        sv = d.extra.get("singular_values")
        if sv is not None and tuple(sv.shape) == (d.k, 1):
            series["singular value"] = (ks, sv[:, 0].tolist())
        args = (f"{method} at t={float(d.timesteps[0]):.0f}: per direction", "direction index", "value")
    ys = torch.tensor([v for _, y in series.values() for v in y])
    if not torch.isfinite(ys).any():
        return None
    return line_plot(series, *args, size=PLOT_SIZE, markers=T == 1 or method == "svm_boundary", y_zero=True)


def direction_ui(d: Direction, cls, text: str | None = None) -> dict:
    """ui for a node that makes or loads a DIRECTION: the summary text (read by web/js) and the spectrum plot."""
    out = {"text": (text if text is not None else summary(d),)}
    img = spectrum_image(d)
    if img is not None:
        out["images"] = ui.PreviewImage(torch.from_numpy(img).unsqueeze(0), cls=cls).as_dict()["images"]
    return out


class SaveDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_SaveDirection", display_name="Save Direction", category="latent_directions/io",
            description=f"Saves a DIRECTION as safetensors into models/{files.FOLDER}/ (atomic write).",
            inputs=[direction_input(tooltip="The DIRECTION set to save."),
                    io.String.Input("filename_prefix", default="direction",
                                    tooltip=f"File name prefix inside models/{files.FOLDER}/; a counter is added.")],
            outputs=[io.String.Output(display_name="file")], is_output_node=True)

    @classmethod
    def execute(cls, direction, filename_prefix) -> io.NodeOutput:
        if ".." in filename_prefix.replace("\\", "/").split("/") or os.path.isabs(filename_prefix):
            raise LatentDirectionsError("Save Direction", f"the prefix '{filename_prefix}' leaves models/{files.FOLDER}/",
                                        "Use a plain name such as 'pca_demo'")
        out_dir = files.save_dir()
        full, name, counter, sub, _ = folder_paths.get_save_image_path(filename_prefix, out_dir)
        fname = f"{name}_{counter:05}_.safetensors"
        direction.save(os.path.join(full, fname))
        rel = os.path.join(sub, fname) if sub else fname
        return io.NodeOutput(rel, ui=ui.PreviewText(f"saved {rel}\n{summary(direction)}"))


class LoadDirection(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_LoadDirection", display_name="Load Direction", category="latent_directions/io",
            description=f"Loads a DIRECTION file (safetensors only) from models/{files.FOLDER}/.",
            inputs=[io.Combo.Input("direction_file", options=files.list_files(),
                                   tooltip=f"A file in models/{files.FOLDER}/.")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def fingerprint_inputs(cls, direction_file):
        try:
            path = files.resolve("Load Direction", direction_file)
        except LatentDirectionsError:
            return direction_file
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    @classmethod
    def validate_inputs(cls, direction_file):
        try:
            files.resolve("Load Direction", direction_file)
        except LatentDirectionsError as e:
            return str(e)
        return True

    @classmethod
    def execute(cls, direction_file) -> io.NodeOutput:
        path = files.resolve("Load Direction", direction_file)
        try:
            d = load_direction(path)
        except DirectionFileError as e:
            raise LatentDirectionsError("Load Direction", f"'{direction_file}' cannot be used: {e}",
                                        "Re-create it with Save Direction") from None
        return io.NodeOutput(d, ui=direction_ui(d, cls))


def parse_numbers(node: str, field: str, text: str, cast=float) -> list:
    try:
        vals = [cast(v) for v in text.replace(";", ",").replace("\n", ",").split(",") if v.strip()]
    except ValueError:
        raise LatentDirectionsError(node, f"'{text}' in {field} is not a comma-separated list of numbers",
                                    "Write numbers like 0, 2, 5") from None
    if not vals:
        raise LatentDirectionsError(node, f"{field} is empty", "Write at least one number")
    return vals


class SelectDirections(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_SelectDirections", display_name="Select Directions", category="latent_directions/io",
            description="Keeps the listed directions of a set (0-based, e.g. '0, 2').",
            inputs=[direction_input(),
                    io.String.Input("indices", default="0",
                                    tooltip="Comma-separated 0-based indices, in the order to keep (e.g. '0, 2').")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, direction, indices) -> io.NodeOutput:
        idx = parse_numbers("Select Directions", "indices", indices, int)
        try:
            d = direction.select(idx)
        except IndexError as e:
            raise LatentDirectionsError("Select Directions", str(e), f"Use indices 0 to {direction.k - 1}") from None
        return io.NodeOutput(d, ui=direction_ui(d, cls))


class ScaleDirections(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_ScaleDirections", display_name="Scale Directions", category="latent_directions/io",
            description="Multiplies the scale of every direction in a set (negative flips them).",
            inputs=[direction_input(),
                    io.Float.Input("factor", default=1.0, min=-1000.0, max=1000.0, step=0.1,
                                   tooltip="Multiplier of every direction's scale: 2 doubles strength 1, -1 flips "
                                           "the directions.")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, direction, factor) -> io.NodeOutput:
        d = direction.scaled(factor)
        return io.NodeOutput(d, ui=direction_ui(d, cls))


class CombineDirections(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="LD_CombineDirections", display_name="Combine Directions", category="latent_directions/io",
            description="concat: one set holding both sets' directions. sum: one direction, weight_a * a + "
                        "weight_b * b summed over all directions (each at its own scale).",
            inputs=[direction_input("a", "First DIRECTION set."),
                    direction_input("b", "Second DIRECTION set (same model, resolution and steps as a)."),
                    io.Combo.Input("mode", options=["concat", "sum"], default="concat",
                                   tooltip="concat: one set with the directions of both. sum: one direction, "
                                           "weight_a x a + weight_b x b."),
                    io.Float.Input("weight_a", default=1.0, min=-100.0, max=100.0, step=0.1,
                                   tooltip="Multiplier of a's scales (negative flips a)."),
                    io.Float.Input("weight_b", default=1.0, min=-100.0, max=100.0, step=0.1,
                                   tooltip="Multiplier of b's scales (negative flips b).")],
            outputs=[DirectionType.Output(display_name="direction")])

    @classmethod
    def execute(cls, a, b, mode, weight_a, weight_b) -> io.NodeOutput:
        node = "Combine Directions"
        if a.shape != b.shape or not torch.equal(a.timesteps, b.timesteps):
            raise LatentDirectionsError(node, f"the sets differ in shape ({a.shape} vs {b.shape}) or timesteps",
                                        "Combine directions made with the same model, resolution and steps")
        if a.meta.get("model") != b.meta.get("model"):
            raise LatentDirectionsError(node, "the sets were made on different models", "Combine directions of one model")
        meta = dict(a.meta, method="combined", params={"mode": mode, "weight_a": weight_a, "weight_b": weight_b,
                                                       "a": a.meta.get("method"), "b": b.meta.get("method")})
        if mode == "concat":
            meta["labels"] = a.labels + b.labels
            d = Direction(torch.cat([a.vectors, b.vectors]), a.timesteps,
                          torch.cat([a.scales * weight_a, b.scales * weight_b]), meta)
        else:
            full = (torch.einsum("kt,kt...->t...", a.scales * weight_a, a.vectors)
                    + torch.einsum("kt,kt...->t...", b.scales * weight_b, b.vectors))
            norm = full.reshape(full.shape[0], -1).norm(dim=1).clamp_min(1e-12)
            meta["labels"] = [f"{weight_a:g}*({'+'.join(a.labels)}) + {weight_b:g}*({'+'.join(b.labels)})"]
            d = Direction((full / norm.view(-1, *[1] * (full.dim() - 1))).unsqueeze(0), a.timesteps,
                          norm.unsqueeze(0), meta)
        return io.NodeOutput(d, ui=direction_ui(d, cls))


NODES = [SaveDirection, LoadDirection, SelectDirections, ScaleDirections, CombineDirections]
