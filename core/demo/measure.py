"""Analytic factor measurer for the demo images: reads class, hue, size, centre, background and
stripes back from any 32x32 image (rendered or generated) and says when it finds no single object.

The background colour is the median of the image border (grey in renders; generated images may be tinted, which is
reported as bg_chroma); object pixels are those far from it in RGB, judged on a lightly smoothed copy so that
pixel grain neither hides nor splits an object (the factors themselves are read from the unsmoothed image). Per-pixel coverage comes from a two-colour
mixing model (object colour vs background colour), so anti-aliased edges count fractionally.
Class = the best of three templates drawn by the renderer at the measured centre and area.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from . import render as R

FG_DIST_MIN = 0.15     # RGB distance from the background colour above which a pixel is object
SEG_SIGMA = 1.0       # px; Gaussian smoothing of the copy used only for segmentation
MIN_COMPONENT_PX = 4   # smaller specks are ignored when counting objects
MAX_OBJECT_FRACTION = 0.5  # the largest training object covers 32 % of the image
AREA_K = np.array([np.pi, 4.0, 2.0])  # area = k * r^2 for circle, square, triangle


def _hue(rgb: np.ndarray) -> np.ndarray:
    """Hue in [0, 1) of [..., 3] RGB."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(-1), rgb.min(-1)
    d = np.where(mx - mn > 1e-6, mx - mn, 1.0)
    h = np.where(mx == r, ((g - b) / d) % 6.0, np.where(mx == g, (b - r) / d + 2.0, (r - g) / d + 4.0))
    return (h / 6.0) % 1.0


def measure(images) -> dict[str, np.ndarray]:
    """Measure factors of images [N, 3, H, W] (torch or numpy, values in [0, 1]).

    Returns arrays of length N: single (exactly one object), n_objects, cls, hue, r, cx, cy, bg (background grey
    level), bg_chroma (background tint, 0 = grey), grain (median pixel deviation from a 1-px Gaussian smoothing
    inside the image: 0 for renders, the leftover noise of generated images), stripes (0 none, 1 horizontal, 2 vertical), area. Factors of images without a single object are NaN/-1.
    """
    x = images.detach().cpu().float().numpy() if isinstance(images, torch.Tensor) else np.asarray(images, np.float32)
    n = x.shape[0]
    out = {k: np.full(n, np.nan) for k in ("hue", "r", "cx", "cy", "bg", "bg_chroma", "grain", "area")}
    out.update(single=np.zeros(n, bool), n_objects=np.zeros(n, int), cls=np.full(n, -1), stripes=np.full(n, -1))
    for i in range(n):
        _measure_one(np.clip(x[i].transpose(1, 2, 0), 0.0, 1.0), i, out)
    return out


def _border_mask(shape) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[0], m[-1], m[:, 0], m[:, -1] = True, True, True, True
    return m


def _background(img: np.ndarray) -> tuple[np.ndarray, float]:
    """Background colour (median of the 1-px border) and a robust noise level of the border pixels."""
    border = np.concatenate([img[0], img[-1], img[1:-1, 0], img[1:-1, -1]])
    colour = np.median(border, axis=0)
    dist = np.linalg.norm(border - colour, axis=1)
    return colour, float(1.4826 * np.median(dist))


def _measure_one(img: np.ndarray, i: int, out: dict) -> None:
    bgc, _ = _background(img)
    out["bg"][i], out["bg_chroma"][i] = float(bgc.mean()), float(bgc.max() - bgc.min())
    # segment on a lightly smoothed copy so pixel grain neither hides an object nor splits it; factors use img
    smooth = ndimage.gaussian_filter(img, sigma=(SEG_SIGMA, SEG_SIGMA, 0), mode="nearest")
    sbg, noise = _background(smooth)
    out["grain"][i] = float(np.median(np.linalg.norm(img - smooth, axis=-1)[~_border_mask(img.shape[:2])]))
    fg = np.linalg.norm(smooth - sbg, axis=-1) > max(FG_DIST_MIN, 4.0 * noise)
    labels, k = ndimage.label(fg)
    sizes = ndimage.sum(fg, labels, range(1, k + 1)) if k else np.zeros(0)
    big = [j + 1 for j, s in enumerate(sizes) if s >= MIN_COMPONENT_PX]
    out["n_objects"][i] = len(big)
    if len(big) != 1 or fg.mean() > MAX_OBJECT_FRACTION:  # no object, several, or no background to stand on
        return
    out["single"][i] = True
    comp = ndimage.binary_dilation(labels == big[0], iterations=2)
    core = ndimage.binary_erosion(labels == big[0], iterations=1)
    if core.sum() < 3:
        core = labels == big[0]
    chroma = img.max(-1) - img.min(-1)
    w = chroma[core]
    ang = 2 * np.pi * _hue(img[core])
    hue = float((np.arctan2((w * np.sin(ang)).sum(), (w * np.cos(ang)).sum()) / (2 * np.pi)) % 1.0)
    cover = _coverage(img, hue, bgc) * comp
    inner = np.median(cover[core])  # 1 for renders; a generated object's colour may sit off the mixing line
    if 0.2 < inner < 1.0:
        cover = np.clip(cover / inner, 0.0, 1.0)
    area = float(cover.sum())
    if area < 1.0:
        out["single"][i] = False
        return
    ys, xs = np.mgrid[0:img.shape[0], 0:img.shape[1]] + 0.5
    cx, cy = float((cover * xs).sum() / area), float((cover * ys).sum() / area)
    out["area"][i], out["cx"][i], out["cy"][i], out["hue"][i] = area, cx, cy, hue
    # class: the template (drawn by the renderer at this centre and area) closest to the coverage
    rs = np.sqrt(area / AREA_K)
    f = R.Factors(cls=torch.arange(3), hue=torch.zeros(3), r=torch.tensor(rs, dtype=torch.float32),
                  cx=torch.full((3,), cx), cy=torch.full((3,), cy), bg=torch.zeros(3),
                  stripes=torch.zeros(3, dtype=torch.long))
    t = R.render(f, size=img.shape[0]).numpy()
    tmpl = (t.max(1) - t.min(1)) / (R.SATURATION * R.VALUE)
    c = int(((tmpl - cover[None]) ** 2).sum((1, 2)).argmin())
    out["cls"][i], out["r"][i] = c, float(rs[c])
    out["stripes"][i] = _stripes(img.max(-1), (cover > 0.95) & core)


def _coverage(img: np.ndarray, hue: float, bg: np.ndarray) -> np.ndarray:
    """Per-pixel object coverage a from pixel = a * V * c + (1 - a) * bg (c: the object's colour at V = 1, bg the
    background colour), solved by least squares over RGB; exact for renders whatever the stripe brightness V."""
    c = R.hsv_to_rgb(torch.tensor(hue), torch.tensor(R.SATURATION), torch.tensor(1.0)).numpy()
    A = np.stack([c, -np.asarray(bg, np.float64)], axis=1)  # unknowns (a*V, a)
    sol = (img.reshape(-1, 3) - bg) @ np.linalg.pinv(A).T
    return np.clip(sol[:, 1], 0.0, 1.0).reshape(img.shape[:2])


def _stripes(value: np.ndarray, core: np.ndarray) -> int:
    """0 none, 1 horizontal bands (value varies along y), 2 vertical bands."""
    v = value[core]
    if v.size < 6 or v.std() / max(v.mean(), 1e-6) < 0.12:
        return 0
    ys, xs = np.nonzero(core)
    dev = value[ys, xs] - v.mean()
    # variance explained by row means vs column means
    def explained(idx):
        tot = 0.0
        for u in np.unique(idx):
            m = idx == u
            tot += m.sum() * dev[m].mean() ** 2
        return tot
    return 1 if explained(ys) >= explained(xs) else 2


def hue_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Circular hue distance in [0, 0.5]."""
    d = np.abs(np.asarray(a) - np.asarray(b)) % 1.0
    return np.minimum(d, 1.0 - d)
