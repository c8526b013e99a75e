"""Stage plots_template: the HTML page `dvc plots show` fills, with Vega inlined.

.dvc/config names it (``plots.html_template``), so `dvc plots show` renders every chart
with no network.
"""

from __future__ import annotations

from pathlib import Path

from stage_shared import run

from mlpcnn.common.io import atomic_output
from mlpcnn.common.offline_plots import offline_page

OUT = Path("plots/offline.html")


def main() -> None:
    with atomic_output(OUT) as tmp:
        tmp.write_text(offline_page())


if __name__ == "__main__":
    run(main)
