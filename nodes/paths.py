"""Where the pack's files live."""
import os

PACK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_DIR = os.path.join(PACK_DIR, "demo_model")
DEMO_WEIGHTS = "latent_directions_demo.safetensors"


def demo_weights_path() -> str:
    return os.path.join(DEMO_DIR, DEMO_WEIGHTS)


EXAMPLE_INPUTS = os.path.join(PACK_DIR, "example_workflows", "input")


def install_example_inputs() -> None:
    """Copy the example workflows' input images into ComfyUI's input folder (where stock LoadImage looks), once."""
    import shutil

    import folder_paths
    if not os.path.isdir(EXAMPLE_INPUTS):
        return
    dst = folder_paths.get_input_directory()
    for name in os.listdir(EXAMPLE_INPUTS):
        if name.endswith(".png") and not os.path.exists(os.path.join(dst, name)):
            try:
                os.makedirs(dst, exist_ok=True)
                shutil.copyfile(os.path.join(EXAMPLE_INPUTS, name), os.path.join(dst, name))
            except OSError:  # a read-only input folder: the example workflow then asks for an upload
                pass
