"""The bundled demo model's data: a renderer of images with known factors and a measurer that reads them back."""
