"""Library of the MLP and CNN study: data validation, models, training, plots.

Nothing here knows about DVC or the repository layout; the stage scripts in
``pipeline/`` read ``params.yaml``, call these functions and write the outputs.
"""

__version__ = "0.1.0"
