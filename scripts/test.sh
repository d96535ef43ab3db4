#!/usr/bin/env bash
# The README's test command: set up (fast when done), then run every test against the pinned real ComfyUI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
