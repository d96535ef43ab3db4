"""The main job: start a headless real ComfyUI with this pack, run an example workflow on the bundled demo model,
and write its images to a folder that it prints.

    .venv/bin/python -m scripts.run_example   (from the repository root) [example_workflows/NAME.json] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

from scripts.comfy_server import PACK_DIR, ComfyServer, execution_error  # noqa: E402
from scripts.workflows import load, ui_to_api  # noqa: E402

DEFAULT = os.path.join(PACK_DIR, "example_workflows", "demo_pca_discover.json")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workflow", nargs="?", default=DEFAULT)
    ap.add_argument("--out", default=os.path.join(PACK_DIR, "out", time.strftime("%Y%m%d-%H%M%S")))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    with ComfyServer() as srv:
        print(f"ComfyUI started at {srv.url} in {time.perf_counter() - t0:.1f} s", flush=True)
        prompt = ui_to_api(load(args.workflow), srv.get("/object_info"))
        t1 = time.perf_counter()
        entry = srv.run(prompt)
        err = execution_error(entry)
        if err:
            print(f"the workflow failed in node {err.get('node_type')}: {err.get('exception_message')}", file=sys.stderr)
            return 1
        written = []
        for root, _, files in os.walk(srv.output_dir):
            for f in sorted(files):
                dst = os.path.join(out, os.path.relpath(os.path.join(root, f), srv.output_dir))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(os.path.join(root, f), dst)
                written.append(dst)
        print(f"ran {os.path.basename(args.workflow)} in {time.perf_counter() - t1:.1f} s")
        for nid, o in entry.get("outputs", {}).items():
            for text in o.get("text", []):
                print(text)
    print(f"{len(written)} images written to {out}")
    for w in written:
        print("  " + w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
