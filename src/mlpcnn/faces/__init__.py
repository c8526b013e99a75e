"""Section 7: real vs fake faces: image data, the stand-in, backbones, CNN baselines."""
