"""An HTML page template for `dvc plots show` that draws every chart with no network.

DVC's default page loads Vega, Vega-Lite and Vega-Embed from a CDN, so offline every
interactive chart is blank. This template inlines the three libraries (the bundle that
``vl-convert-python`` ships, built for exactly this use) and has no ``{scripts}``
placeholder, so DVC adds no remote ``<script src>``.
"""

from __future__ import annotations

import re

PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC plots (offline)</title>
    <script type="text/javascript">
/* Vega, Vega-Lite and Vega-Embed, inlined by mlpcnn.common.offline_plots */
BUNDLE
    </script>
    <style>
        body { font-family: sans-serif; }
        table { border-spacing: 15px; }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""

REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=", re.IGNORECASE)


def offline_page(bundle: str | None = None) -> str:
    """The page, with ``bundle`` (default: vl-convert's Vega bundle) inlined.

    ``{plot_divs}`` and ``{refresh_tag}`` are DVC's placeholders; the bundle may contain
    neither, nor ``</script>``, or the page would break.
    """
    if bundle is None:
        import vl_convert

        bundle = vl_convert.javascript_bundle()
    for marker in ("{plot_divs}", "{refresh_tag}", "{scripts}", "</script"):
        if marker in bundle:
            raise ValueError(f"the Vega bundle contains {marker!r}: it cannot be inlined")
    return PAGE.replace("BUNDLE", bundle)


def remote_scripts(page: str) -> list[str]:
    """Every ``<script src=...>`` tag of ``page`` (an offline page has none)."""
    return [m.group(0) for m in REMOTE_SCRIPT.finditer(page)]
