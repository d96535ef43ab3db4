"""Where the pack's files live."""
import os

PACK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_DIR = os.path.join(PACK_DIR, "demo_model")
DEMO_WEIGHTS = "latent_directions_demo.safetensors"


def demo_weights_path() -> str:
    return os.path.join(DEMO_DIR, DEMO_WEIGHTS)
