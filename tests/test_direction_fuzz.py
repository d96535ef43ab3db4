"""Fuzz the direction loader: any file raises DirectionFileError or loads; nothing else escapes."""
import json
import struct

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latent_directions.core.direction import Direction, DirectionFileError, load_direction

_VALID = None


def _valid_bytes(tmp_path_factory) -> bytes:
    global _VALID
    if _VALID is None:
        p = tmp_path_factory.mktemp("fz") / "v.safetensors"
        Direction(torch.randn(2, 3, 4, 2, 2), torch.tensor([1.0, 2.0, 3.0]), torch.ones(2, 3), {"method": "x"}).save(str(p))
        _VALID = p.read_bytes()
    return _VALID


def _check(tmp_path_factory, data: bytes):
    p = tmp_path_factory.getbasetemp() / "fuzz.safetensors"
    p.write_bytes(data)
    try:
        d = load_direction(str(p))
    except DirectionFileError as e:
        assert str(e)
        return
    assert isinstance(d, Direction) and torch.isfinite(d.vectors).all()


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes(tmp_path_factory, data):
    _check(tmp_path_factory, data)


@SETTINGS
@given(st.data())
def test_mutated_valid_file(tmp_path_factory, data):
    raw = bytearray(_valid_bytes(tmp_path_factory))
    op = data.draw(st.sampled_from(["truncate", "flip", "insert", "header_len"]))
    if op == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    elif op == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    elif op == "insert":
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=16))
    else:
        raw[:8] = struct.pack("<Q", data.draw(st.integers(0, 2 ** 64 - 1)))
    _check(tmp_path_factory, bytes(raw))


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
                       lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                       max_leaves=8)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["vectors", "timesteps", "scales", "mean", "__metadata__", "x"]), JSONISH,
                       max_size=5), st.binary(max_size=64))
def test_crafted_headers(tmp_path_factory, header, body):
    head = json.dumps(header).encode()
    _check(tmp_path_factory, struct.pack("<Q", len(head)) + head + body)
