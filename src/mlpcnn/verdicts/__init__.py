"""Rules that turn the studies' per-seed curves and figures into answers.

The report stage reads them over the committed histories and summaries; no training
stage imports them, so sharpening a rule reruns the report and nothing else.
"""
