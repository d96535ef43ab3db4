"""The DIRECTION type: K directions in h (or x) space with per-timestep vectors, scales and metadata.

Saved as safetensors only (DESIGN.md "The DIRECTION type and file"; docs/direction_file.md):
tensors `vectors` [K, T, *shape], `timesteps` [T] (continuous DDPM t), `scales` [K, T], optional `mean` [T, *shape],
`explained_variance` [K, T], `singular_values` [K, T]; metadata is JSON strings in the safetensors header.
An edit of strength s adds s * scales[k, t] * vectors[k, t] (interpolated linearly in t) to h.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field, replace

import torch

FORMAT = "latent_directions"
FORMAT_VERSION = 1
OPTIONAL = ("mean", "explained_variance", "singular_values", "x_vectors", "h_vectors", "intercept")
MAX_HEADER_BYTES = 1 << 20
META_KEYS = ("format", "format_version", "space", "tap", "method", "params", "model", "sampling", "labels",
             "provenance", "created", "pack_version")
PACK_VERSION = "0.1.0"


class DirectionFileError(ValueError):
    """A direction file that cannot be used; the message says why."""


@dataclass
class Direction:
    vectors: torch.Tensor  # [K, T, *shape]
    timesteps: torch.Tensor  # [T]
    scales: torch.Tensor  # [K, T]
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # optional tensors by name

    def __post_init__(self):
        self.vectors = self.vectors.detach().float().cpu().contiguous()
        self.timesteps = self.timesteps.detach().float().cpu().contiguous()
        self.scales = self.scales.detach().float().cpu().contiguous()
        K, T = self.vectors.shape[:2]
        if self.timesteps.shape != (T,) or self.scales.shape != (K, T):
            raise DirectionFileError(f"inconsistent shapes: vectors {tuple(self.vectors.shape)}, timesteps "
                                     f"{tuple(self.timesteps.shape)}, scales {tuple(self.scales.shape)}")
        order = torch.argsort(self.timesteps)
        if not torch.equal(order, torch.arange(T)):
            self.vectors, self.timesteps, self.scales = self.vectors[:, order], self.timesteps[order], self.scales[:, order]
            for k in ("mean",):
                if k in self.extra:
                    self.extra[k] = self.extra[k][order]
            for k in ("explained_variance", "singular_values"):
                if k in self.extra and self.extra[k].shape == (K, T):
                    self.extra[k] = self.extra[k][:, order]
        self.meta.setdefault("format", FORMAT)
        self.meta.setdefault("format_version", FORMAT_VERSION)
        self.meta.setdefault("space", "h")
        self.meta.setdefault("labels", [f"{self.meta.get('method', 'direction')} {k}" for k in range(K)])
        labels = self.meta["labels"]
        if not isinstance(labels, list) or len(labels) != K or not all(isinstance(x, str) for x in labels):
            raise DirectionFileError(f"labels must be {K} strings, one per direction")

    @property
    def k(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.vectors.shape[2:])

    @property
    def labels(self) -> list[str]:
        return list(self.meta.get("labels", []))

    # --- interpolation and edits ---
    def weights_at(self, t: float | None) -> list[tuple[int, float]]:
        """Linear interpolation weights over stored timesteps at continuous t (clamped at the ends)."""
        ts = self.timesteps
        T = len(ts)
        if T == 1:
            return [(0, 1.0)]
        if t is None:  # no timestep known (a direct model call): use the noisiest stored step
            return [(T - 1, 1.0)]
        if t <= float(ts[0]):
            return [(0, 1.0)]
        if t >= float(ts[-1]):
            return [(T - 1, 1.0)]
        i = int(torch.searchsorted(ts, torch.tensor([t], dtype=ts.dtype)).item())
        lo, hi = float(ts[i - 1]), float(ts[i])
        w = (t - lo) / (hi - lo)
        return [(i - 1, 1.0 - w), (i, w)]

    def delta_at(self, t: float | None, strengths: torch.Tensor) -> torch.Tensor:
        """sum_k strengths[..., k] * scale_k(t) * v_k(t): strengths [K] -> [*shape]; [B, K] -> [B, *shape]."""
        strengths = torch.as_tensor(strengths, dtype=torch.float32)
        out = None
        for i, w in self.weights_at(t):
            coef = strengths * self.scales[:, i] * w  # [..., K]
            term = torch.tensordot(coef, self.vectors[:, i], dims=([coef.dim() - 1], [0]))
            out = term if out is None else out + term
        return out

    # --- set operations ---
    def select(self, idx: list[int]) -> "Direction":
        idx = [int(i) for i in idx]
        bad = [i for i in idx if not -self.k <= i < self.k]
        if bad:
            raise IndexError(f"direction index {bad[0]} is out of range for a set of {self.k}")
        meta = dict(self.meta, labels=[self.labels[i] for i in idx])
        extra = {k: (v[idx] if k in ("explained_variance", "singular_values", "x_vectors") and v.shape[0] == self.k else v)
                 for k, v in self.extra.items()}
        return Direction(self.vectors[idx], self.timesteps, self.scales[idx], meta, extra)

    def scaled(self, factor: float) -> "Direction":
        return replace(self, scales=self.scales * float(factor), meta=dict(self.meta), extra=dict(self.extra))

    # --- files ---
    def metadata_strings(self) -> dict[str, str]:
        m = dict(self.meta)
        m.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        m.setdefault("pack_version", PACK_VERSION)
        return {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in m.items()}

    def tensors(self) -> dict[str, torch.Tensor]:
        t = {"vectors": self.vectors, "timesteps": self.timesteps, "scales": self.scales}
        t.update({k: v.detach().float().cpu().contiguous() for k, v in self.extra.items()})
        return t

    def save(self, path: str) -> None:
        """Write atomically: a temporary file in the same folder, then rename."""
        from safetensors.torch import save_file
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=d)
        os.close(fd)
        try:
            save_file(self.tensors(), tmp, metadata=self.metadata_strings())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _parse_meta(raw: dict[str, str]) -> dict:
    out = {}
    for k, v in raw.items():
        try:
            out[k] = json.loads(v)
        except (json.JSONDecodeError, TypeError):
            out[k] = v
    return out


def load_direction(path: str) -> Direction:
    """Read and validate a direction file; any problem raises DirectionFileError with the reason."""
    import struct

    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise DirectionFileError("the file is too short to be safetensors")
            n = struct.unpack("<Q", head)[0]
            if n > MAX_HEADER_BYTES or n + 8 > size:
                raise DirectionFileError(f"its header claims {n} bytes, which this file cannot hold")
            header = json.loads(f.read(n).decode("utf-8"))
        if not isinstance(header, dict):
            raise DirectionFileError("its header is not a JSON object")
        raw_meta = header.get("__metadata__") or {}
        if not isinstance(raw_meta, dict) or not all(isinstance(v, str) for v in raw_meta.values()):
            raise DirectionFileError("its metadata is not a table of strings")
        meta = _parse_meta(raw_meta)
        tensors = load_file(path)
    except DirectionFileError:
        raise
    except (SafetensorError, UnicodeDecodeError, json.JSONDecodeError, struct.error, OSError, ValueError) as e:
        raise DirectionFileError(f"it is not a readable safetensors file ({type(e).__name__})") from None
    if meta.get("format") != FORMAT:
        raise DirectionFileError("it is not a Latent Directions file (no format=latent_directions in its metadata)")
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DirectionFileError(f"its format_version {str(version)[:20]!r} is not a whole number")
    if version > FORMAT_VERSION:
        raise DirectionFileError(f"it has format version {meta.get('format_version')}, newer than this pack reads "
                                 f"({FORMAT_VERSION})")
    missing = [k for k in ("vectors", "timesteps", "scales") if k not in tensors]
    if missing:
        raise DirectionFileError(f"it lacks the tensor(s) {', '.join(missing)}")
    for k, v in tensors.items():
        if not v.is_floating_point() or not torch.isfinite(v).all():
            raise DirectionFileError(f"its tensor '{k}' holds NaN, Inf or non-float values")
    if not isinstance(meta.get("labels", []), list) or not isinstance(meta.get("model", {}), dict):
        raise DirectionFileError("its labels or model metadata are malformed")
    extra = {k: v for k, v in tensors.items() if k in OPTIONAL}
    try:
        return Direction(tensors["vectors"], tensors["timesteps"], tensors["scales"], meta, extra)
    except (DirectionFileError, RuntimeError, IndexError, ValueError, TypeError) as e:
        raise DirectionFileError(str(e)) from None


def check_model(direction: Direction, signature: dict) -> str | None:
    """None if the direction fits the model signature, else a sentence saying what it was made for."""
    made = direction.meta.get("model") or {}
    keys = ("family", "model_type", "h_channels", "latent_channels", "context_dim", "adm_in_channels")
    diff = [k for k in keys if k in made and k in signature and made[k] != signature[k]]
    if not diff:
        return None
    want = ", ".join(f"{k}={made[k]}" for k in keys if k in made)
    got = ", ".join(f"{k}={signature[k]}" for k in keys if k in signature)
    return f"the direction was made for a {made.get('family', '?')} model ({want}), not this {signature.get('family')} model ({got})"
