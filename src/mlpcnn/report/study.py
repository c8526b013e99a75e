"""What the report is rendered from, handed in by the report stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Study:
    """The study's results, and where its figures are.

    - ``results``: each stage's summary by stage name; a ``foreach`` group's by item
      (``results["mlp_grid"]["d6_w16"]``).
    - ``params``: params.yaml as the stages read it.
    - ``figures``: ``"<stage>/<figure>"`` -> the PNG's path relative to the report.
    - ``references``: the course reports' figures, each with its report and section.
    - ``histories``: each stage's per-epoch history (one row per epoch and seed) by
      ``"<stage>"`` or ``"<stage>/<item>"``, as pandas DataFrames.
    - ``tables``: other per-layer tables a sentence reads, by ``"<stage>/<name>"``
      (``"residual_study/ratios"``: each arm's last-epoch log10 ratio per layer).
    """

    results: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    figures: Mapping[str, str] = field(default_factory=dict)
    references: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    histories: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    # answers computed from the fields above, once per study (see report.answers)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def figure(self, name: str, caption: str) -> str:
        """A Markdown image link to figure ``name``, or a note that the run has none."""
        if name not in self.figures:
            return f"*Figure `{name}` is not in this run.*"
        return f"![{caption}]({self.figures[name]})"

    def reference(self, name: str, report: str) -> dict[str, Any]:
        """Report ``report``'s entry ``name`` of the references ({} when it gives none)."""
        return next((r for r in self.references.get(name, []) if r["report"] == report), {})

    def reference_value(self, name: str, report: str, key: Any) -> Any:
        """One value of a reference table (None when the report gives none)."""
        values = self.reference(name, report).get("values", {})
        return values.get(key)
