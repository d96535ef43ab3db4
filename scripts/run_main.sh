#!/usr/bin/env bash
# The README's main job: set up (fast when done), start a headless ComfyUI with the pack, run the main example
# workflow on the bundled demo model and print the folder its images were written to.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python -m scripts.run_example "$@"
