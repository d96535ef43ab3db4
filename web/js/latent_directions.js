// Latent Directions: show each node's summary text (DIRECTION metadata, measurements) on the node after it runs.
// Dependency-free; uses only app.registerExtension and node.addDOMWidget from ComfyUI's frontend.
import { app } from "../../../scripts/app.js";

const WIDGET = "ld_summary";

function showText(node, text) {
  let w = node.widgets?.find((x) => x.name === WIDGET);
  if (!w) {
    const el = document.createElement("textarea");
    el.readOnly = true;
    el.className = "ld-summary";
    Object.assign(el.style, { width: "100%", minHeight: "48px", fontSize: "11px", opacity: "0.85",
                              resize: "vertical", background: "transparent", color: "inherit" });
    w = node.addDOMWidget(WIDGET, "ld_summary", el, {
      getValue: () => el.value,
      setValue: (v) => { el.value = v; },
      serialize: false, // display only: never saved into workflows or prompts
    });
    w.serialize = false;
  }
  w.value = text;
  if (w.element) w.element.value = text;
  node.setDirtyCanvas?.(true, true);
}

app.registerExtension({
  name: "LatentDirections.Summary",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!nodeData?.name?.startsWith("LD_")) return;
    const onExecuted = nodeType.prototype.onExecuted;
    nodeType.prototype.onExecuted = function (message) {
      onExecuted?.apply(this, arguments);
      const text = message?.text;
      if (text && text.length) showText(this, Array.isArray(text) ? text.join("\n") : String(text));
    };
  },
  async setup() {
    window.__latentDirections = { loaded: true };
  },
});
