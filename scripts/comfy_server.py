"""Start a real ComfyUI server with only this pack loaded, run API-format prompts over HTTP, fetch the images.

Used by the main job (python -m scripts.run_example) and by the tests' server fixture. Standard library only.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

PACK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACK_LINK = "latent_directions"


def comfy_dir() -> str:
    """COMFYUI_DIR, else the ComfyUI the set-up script installed."""
    if os.environ.get("COMFYUI_DIR"):
        return os.path.abspath(os.environ["COMFYUI_DIR"])
    stamp = os.path.join(PACK_DIR, ".venv", ".comfyui_dir")
    if os.path.isfile(stamp):
        return open(stamp).read().strip()
    return os.path.join(PACK_DIR, ".comfyui")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ComfyServer:
    """A ComfyUI `main.py --cpu` process on a free 127.0.0.1 port, with its own output/user/temp folders."""

    def __init__(self, workdir: str | None = None, extra_args: tuple[str, ...] = (), threads: int | None = None):
        self.comfy = comfy_dir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="ld-comfy-")
        self.output_dir = os.path.join(self.workdir, "output")
        self.extra_args = tuple(extra_args)
        self.threads = threads
        self.proc: subprocess.Popen | None = None
        self.log_path = os.path.join(self.workdir, "server.log")

    def start(self, timeout: float = 180.0) -> "ComfyServer":
        link = os.path.join(self.comfy, "custom_nodes", PACK_LINK)
        if not os.path.exists(link):
            raise RuntimeError(f"the pack is not linked at {link}: run scripts/setup.sh first")
        for d in ("output", "input", "temp", "user", "models/latent_directions"):
            os.makedirs(os.path.join(self.workdir, d), exist_ok=True)
        self.models_yaml = os.path.join(self.workdir, "extra_model_paths.yaml")
        with open(self.models_yaml, "w") as f:  # direction files go to this run's folder, not ComfyUI's
            f.write(f"latent_directions_run:\n  base_path: {self.workdir}\n  is_default: true\n"
                    "  latent_directions: models/latent_directions\n")
        cmd = [sys.executable, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
               "--use-pytorch-cross-attention", "--disable-all-custom-nodes",
               "--whitelist-custom-nodes", PACK_LINK,
               "--output-directory", self.output_dir, "--input-directory", os.path.join(self.workdir, "input"),
               "--temp-directory", os.path.join(self.workdir, "temp"),
               "--user-directory", os.path.join(self.workdir, "user"),
               "--database-url", "sqlite:///" + os.path.join(self.workdir, "comfyui.db"),
               "--extra-model-paths-config", self.models_yaml, *self.extra_args]
        env = dict(os.environ)
        if self.threads:
            env["OMP_NUM_THREADS"] = str(self.threads)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.comfy, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            try:
                self.get("/system_stats", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"ComfyUI did not answer within {timeout:.0f} s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        try:
            return open(self.log_path, errors="replace").read()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()

    def cleanup(self) -> None:
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # --- HTTP ---
    def get(self, path: str, timeout: float = 30.0):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            body = r.read()
            return json.loads(body) if r.headers.get_content_type() == "application/json" else body

    def post(self, path: str, data: dict, timeout: float = 30.0):
        req = urllib.request.Request(self.url + path, data=json.dumps(data).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def queue(self, prompt: dict) -> str:
        status, body = self.post("/prompt", {"prompt": prompt, "client_id": uuid.uuid4().hex})
        if status != 200:
            raise PromptRejected(body)
        return body["prompt_id"]

    def wait(self, prompt_id: str, timeout: float = 600.0) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            h = self.get(f"/history/{prompt_id}")
            if prompt_id in h and h[prompt_id].get("status", {}).get("completed") is not None:
                if h[prompt_id]["status"].get("status_str") in ("success", "error"):
                    return h[prompt_id]
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"ComfyUI died while running a prompt:\n{self.log()[-4000:]}")
            time.sleep(0.25)
        raise TimeoutError(f"prompt {prompt_id} did not finish within {timeout:.0f} s")

    def run(self, prompt: dict, timeout: float = 600.0) -> dict:
        return self.wait(self.queue(prompt), timeout)

    def images(self, entry: dict, node_id: str | None = None) -> list[bytes]:
        """PNG bytes of the images a finished prompt's output nodes reported (all nodes, or one)."""
        out = []
        for nid, o in entry.get("outputs", {}).items():
            if node_id is not None and nid != str(node_id):
                continue
            for im in o.get("images", []):
                q = urllib.parse.urlencode({"filename": im["filename"], "subfolder": im.get("subfolder", ""),
                                            "type": im.get("type", "output")})
                out.append(self.get(f"/view?{q}"))
        return out


class PromptRejected(RuntimeError):
    def __init__(self, body: dict):
        self.body = body
        super().__init__(json.dumps(body)[:2000])


def execution_error(entry: dict) -> dict | None:
    """The execution_error message of a finished prompt, if it failed."""
    for kind, data in entry.get("status", {}).get("messages", []):
        if kind == "execution_error":
            return data
    return None
