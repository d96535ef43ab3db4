"""End to end: wall time of each example workflow (example_workflows/*.json) through a real ComfyUI server, as
python -m scripts.run_example runs them; ComfyUI start-up (process start until /system_stats answers) reported separately.

    .venv/bin/python -m bench.bench_e2e [--repeats 1] [--workflows demo_pca_discover ...] [--json out.json]

The server runs with --cache-none so that every run executes every node (model loading included). "first_s" is the
first run on the fresh server (what a user waits for), "median_s" the median over --repeats runs. Target: <= 60 s.
"""
from __future__ import annotations

import glob
import os
import time

from bench.common import emit, median, parser
from scripts.comfy_server import PACK_DIR, ComfyServer, execution_error
from scripts.workflows import load, ui_to_api

TARGET_S = 60.0


def server_seconds(entry: dict) -> float | None:
    """execution_start -> execution_success from the prompt's status messages (server clock), if both are there."""
    ts = {kind: data.get("timestamp") for kind, data in entry.get("status", {}).get("messages", [])}
    if ts.get("execution_start") and ts.get("execution_success"):
        return (ts["execution_success"] - ts["execution_start"]) / 1000.0
    return None


def main(argv=None):
    ap = parser(__doc__)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--workflows", nargs="+", default=[], help="names without .json (default: all)")
    ap.add_argument("--timeout", type=float, default=900.0)
    a = ap.parse_args(argv)
    paths = sorted(glob.glob(os.path.join(PACK_DIR, "example_workflows", "*.json")))
    if a.workflows:
        paths = [p for p in paths if os.path.basename(p)[:-5] in a.workflows]
    os.environ.pop("PYTHONPATH", None)  # the server gets the environment scripts.run_example gives it
    t0 = time.perf_counter()
    srv = ComfyServer(extra_args=("--cache-none",)).start()
    startup = time.perf_counter() - t0
    rows = []
    try:
        info = srv.get("/object_info")
        for path in paths:
            prompt = ui_to_api(load(path), info)
            walls, server, error = [], [], None
            for _ in range(a.repeats):
                t1 = time.perf_counter()
                entry = srv.run(prompt, a.timeout)
                walls.append(time.perf_counter() - t1)
                server.append(server_seconds(entry))
                err = execution_error(entry)
                if err:
                    error = f"{err.get('node_type')}: {err.get('exception_message')}"[:300]
                    break
            rows.append({"workflow": os.path.basename(path), "runs_s": [round(w, 2) for w in walls],
                         "first_s": round(walls[0], 2), "median_s": round(median(walls), 2),
                         "server_first_s": None if server[0] is None else round(server[0], 2),
                         "ok": error is None, "error": error, "target_s": TARGET_S})
            print(rows[-1], flush=True)
    finally:
        srv.cleanup()
    emit({"benchmark": "example workflows end to end", "server_args": ["--cpu", "--cache-none"],
          "startup_s": round(startup, 2), "repeats": a.repeats, "rows": rows}, a.json)


if __name__ == "__main__":
    main()
