"""UI-format workflows (what example_workflows/ holds and the frontend loads) <-> API-format prompts (what
POST /prompt takes). Both directions use the server's /object_info, so widget order always matches the nodes."""
from __future__ import annotations

import json

WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
VIRTUAL = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}


def _spec(info: dict, name: str):
    for part in ("required", "optional"):
        if name in info["input"].get(part, {}):
            return info["input"][part][name]
    raise KeyError(name)


def _ordered_inputs(info: dict) -> list[str]:
    order = info.get("input_order") or {p: list(info["input"].get(p, {})) for p in ("required", "optional")}
    return list(order.get("required", [])) + list(order.get("optional", []))


def is_widget(spec) -> bool:
    kind = spec[0]
    opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return (isinstance(kind, list) or kind in WIDGET_TYPES) and not opts.get("forceInput")


def has_seed_control(name: str, spec) -> bool:
    opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return spec[0] == "INT" and (opts.get("control_after_generate") or name in ("seed", "noise_seed"))


def ui_to_api(ui: dict, object_info: dict) -> dict:
    """Convert a UI-format workflow to an API-format prompt. Muted/bypassed and note nodes are dropped."""
    links = {l[0]: l for l in ui.get("links", [])}
    prompt = {}
    for node in ui["nodes"]:
        if node["type"] in VIRTUAL or node.get("mode", 0) in (2, 4):
            continue
        if node["type"] not in object_info:
            raise KeyError(f"workflow node {node['id']} has unknown type {node['type']!r}")
        info = object_info[node["type"]]
        inputs, linked = {}, set()
        for inp in node.get("inputs", []):
            if inp.get("link") is not None:
                l = links[inp["link"]]
                inputs[inp["name"]] = [str(l[1]), l[2]]
                linked.add(inp["name"])
        values = list(node.get("widgets_values") or [])
        k = 0
        for name in _ordered_inputs(info):
            spec = _spec(info, name)
            if not is_widget(spec):
                continue
            if k < len(values) and name not in linked:
                inputs[name] = values[k]
            k += 1
            if has_seed_control(name, spec):
                k += 1
        prompt[str(node["id"])] = {"class_type": node["type"], "inputs": inputs,
                                   "_meta": {"title": node.get("title", node["type"])}}
    return prompt


class Graph:
    """Build a UI-format workflow in Python: g.add("KSampler", seed=1, model=(loader, 0), ...)."""

    def __init__(self, object_info: dict):
        self.info = object_info
        self.nodes: list[dict] = []
        self.links: list[list] = []
        self.groups: list[dict] = []

    def add(self, type_: str, pos=None, title: str | None = None, **kw) -> dict:
        info = self.info[type_]
        nid = len(self.nodes) + 1
        node = {"id": nid, "type": type_, "pos": list(pos or [0, 0]), "size": [320, 120], "flags": {},
                "order": nid - 1, "mode": 0, "inputs": [], "outputs": [],
                "properties": {"Node name for S&R": type_}, "widgets_values": []}
        if title:
            node["title"] = title
        for i, (otype, oname) in enumerate(zip(info["output"], info["output_name"])):
            node["outputs"].append({"name": oname, "type": otype, "links": [], "slot_index": i})
        for name in _ordered_inputs(info):
            spec = _spec(info, name)
            if is_widget(spec):
                if name in kw:
                    val = kw.pop(name)
                else:
                    opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
                    val = opts.get("default", spec[0][0] if isinstance(spec[0], list) else
                                   (opts.get("options") or [None])[0])
                node["widgets_values"].append(val)
                if has_seed_control(name, spec):
                    node["widgets_values"].append("fixed")
            else:
                slot = {"name": name, "type": spec[0] if isinstance(spec[0], str) else "*", "link": None}
                if name in kw:
                    src, out_slot = kw.pop(name)
                    lid = len(self.links) + 1
                    self.links.append([lid, src["id"], out_slot, nid, len(node["inputs"]), src["outputs"][out_slot]["type"]])
                    src["outputs"][out_slot]["links"].append(lid)
                    slot["link"] = lid
                node["inputs"].append(slot)
        if kw:
            raise KeyError(f"{type_} has no inputs {sorted(kw)}")
        self.nodes.append(node)
        return node

    def note(self, text: str, pos, size=(400, 160)) -> dict:
        nid = len(self.nodes) + 1
        node = {"id": nid, "type": "MarkdownNote", "pos": list(pos), "size": list(size), "flags": {},
                "order": nid - 1, "mode": 0, "inputs": [], "outputs": [], "properties": {},
                "widgets_values": [text]}
        self.nodes.append(node)
        return node

    def to_json(self) -> dict:
        return {"last_node_id": len(self.nodes), "last_link_id": len(self.links), "nodes": self.nodes,
                "links": self.links, "groups": self.groups, "config": {}, "extra": {"ds": {"scale": 0.8,
                "offset": [0, 0]}}, "version": 0.4}


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)
