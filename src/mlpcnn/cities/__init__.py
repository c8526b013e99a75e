"""Section 6: European cities classified by MLPs: data, models, batched training, analyses."""
