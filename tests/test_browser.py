"""The real frontend in a real browser (Debian chromium driven by Playwright, no browser download) against the real
ComfyUI server: the pack's extension loads without console errors, its nodes are found by search, every example
workflow loads with no missing node types, and one queued from the UI shows its output image."""
import glob
import json
import os
import shutil
import time

import pytest

from conftest import REPO

pytestmark = pytest.mark.server
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = os.path.join(REPO, "test-artifacts")
WORKFLOWS = sorted(glob.glob(os.path.join(REPO, "example_workflows", "*.json")))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def page(server):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is missing: scripts/setup.sh installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        pg = browser.new_page(viewport={"width": 1600, "height": 1000})
        pg.console_errors = []
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append((m.text, m.location)))
        pg.on("pageerror", lambda e: pg.console_errors.append((str(e), {})))
        server.post("/settings/Comfy.TutorialCompleted", True)  # no first-run template browser over the canvas
        pg.goto(server.url, wait_until="domcontentloaded")
        pg.wait_for_function("() => window.app && window.LiteGraph && LiteGraph.registered_node_types && "
                             "'LD_ExtractHSpacePCA' in LiteGraph.registered_node_types", timeout=120_000)
        pg.wait_for_function("() => window.__latentDirections && window.__latentDirections.loaded", timeout=60_000)
        yield pg
        browser.close()


def test_extension_loads_without_errors_from_the_pack(page):
    ours = [e for e in page.console_errors if "latent_directions" in json.dumps(e)]
    assert not ours, ours
    types = page.evaluate("() => Object.keys(LiteGraph.registered_node_types).filter(t => t.startsWith('LD_'))")
    assert {"LD_ExtractHSpacePCA", "LD_ApplyLatentEdit", "LD_LoadDirection", "LD_SaveDirection"} <= set(types)


@pytest.mark.parametrize("name,node_id", [("Extract h-space PCA", "LD_ExtractHSpacePCA"),
                                          ("Apply Latent Edit at Timestep", "LD_ApplyLatentEdit"),
                                          ("Load Direction", "LD_LoadDirection")])
def test_nodes_are_found_by_search(page, name, node_id):
    box = page.get_by_placeholder("Search Nodes...").first
    for attempt in range(4):  # the canvas may still be busy with the previous dialog: retry the double-click
        page.evaluate("() => app.graph.clear()")
        page.keyboard.press("Escape")
        page.wait_for_timeout(700)
        page.mouse.click(600 + 40 * attempt, 650)
        page.mouse.dblclick(700 + 40 * attempt, 600)
        try:
            box.wait_for(timeout=8_000)
            break
        except Exception:
            if attempt == 3:
                raise
    box.fill(name)
    page.get_by_text(name, exact=True).first.wait_for(timeout=20_000)
    page.keyboard.press("Enter")
    page.wait_for_function("(t) => app.graph._nodes.some(n => n.type === t)", arg=node_id, timeout=20_000)


@pytest.mark.parametrize("path", WORKFLOWS, ids=[os.path.basename(p) for p in WORKFLOWS])
def test_example_workflow_loads_without_missing_nodes(page, path):
    wf = json.load(open(path))
    page.evaluate("async (wf) => { await app.loadGraphData(wf); }", wf)
    missing = page.evaluate("() => app.graph._nodes.filter(n => !(n.type in LiteGraph.registered_node_types))"
                            ".map(n => n.type)")
    assert missing == []
    assert page.evaluate("() => app.graph._nodes.length") == len(wf["nodes"])
    # the UI keeps every widget value the file holds, on load and when typed in again (a number widget rounds what
    # is typed to its step: the stripes workflow's C = 0.01 must survive)
    retyped = page.evaluate("() => app.graph._nodes.flatMap(n => (n.widgets || []).filter(w => w.type === 'number')"
                            ".map(w => { const v = w.value; w.value = v + 1; w.setValue(v, {node: n, canvas: app.canvas}); "
                            "return [n.type, w.name, v, w.value]; }))")
    assert retyped and all(abs(v - g) <= 1e-9 * max(1.0, abs(v)) for _, _, v, g in retyped), retyped
    now = dict(page.evaluate("() => app.graph.serialize().nodes.map(n => [n.id, n.widgets_values || []])"))
    for n in wf["nodes"]:
        want, got = n.get("widgets_values") or [], now[n["id"]]
        assert len(got) >= len(want), (n["type"], want, got)
        for w, g in zip(want, got):
            same = abs(w - g) <= 1e-9 * max(1.0, abs(w)) if isinstance(w, float) and isinstance(g, (int, float)) \
                else w == g
            assert same, (n["type"], want, got)


def test_queue_from_the_ui_shows_the_output_image(page, server):
    wf = json.load(open(os.path.join(REPO, "example_workflows", "demo_generate_grid.json")))
    page.evaluate("async (wf) => { await app.loadGraphData(wf); }", wf)
    before = set(server.get("/history"))
    page.evaluate("async () => { await app.queuePrompt(0, 1); }")
    deadline = time.time() + 300
    entry = None
    while time.time() < deadline:
        new = set(server.get("/history")) - before
        if new:
            entry = server.wait(new.pop(), timeout=300)
            break
        time.sleep(0.5)
    assert entry and entry["status"]["status_str"] == "success"
    saver = next(n["id"] for n in wf["nodes"] if n["type"] == "SaveImage"
                 and "demo_grid" in n["widgets_values"][0])
    page.wait_for_function("(id) => { const o = app.nodeOutputs && app.nodeOutputs[String(id)]; "
                           "return o && o.images && o.images.length > 0; }", arg=saver, timeout=60_000)
    src = page.evaluate("(id) => { const n = app.graph.getNodeById(id); return n.imgs && n.imgs.length ? "
                        "n.imgs[0].src : null; }", saver)
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.evaluate("(id) => { app.canvas.centerOnNode(app.graph.getNodeById(id)); app.canvas.setDirty(true, true); }",
                  saver)
    page.wait_for_timeout(500)
    page.screenshot(path=os.path.join(ARTIFACTS, "browser_demo_generate_grid.png"))
    assert src is None or "/view?" in src


def test_direction_node_shows_its_summary_text_and_spectrum_plot(page, server):
    wf = json.load(open(os.path.join(REPO, "example_workflows", "demo_jacobian_edit.json")))
    node = next(n["id"] for n in wf["nodes"] if n["type"] == "LD_JacobianDirections")
    page.evaluate("async (wf) => { await app.loadGraphData(wf); }", wf)
    before = set(server.get("/history"))
    page.evaluate("async () => { await app.queuePrompt(0, 1); }")
    deadline, entry = time.time() + 300, None
    while time.time() < deadline and entry is None:
        new = set(server.get("/history")) - before
        entry = server.wait(new.pop(), timeout=300) if new else time.sleep(0.5)
    assert entry and entry["status"]["status_str"] == "success"
    page.wait_for_function("(id) => { const o = app.nodeOutputs && app.nodeOutputs[String(id)]; "
                           "return o && o.images && o.images.length > 0; }", arg=node, timeout=60_000)
    text = page.evaluate("(id) => { const w = (app.graph.getNodeById(id).widgets || []).find(x => x.name === "
                         "'ld_summary'); return w ? w.value : null; }", node)
    assert text and "method jacobian_denoiser" in text
