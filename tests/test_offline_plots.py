"""The `dvc plots show` page template inlines Vega and loads nothing from the network."""

from __future__ import annotations

import pytest

from mlpcnn.common.offline_plots import offline_page, remote_scripts


def test_the_page_has_dvcs_placeholders_and_no_remote_script() -> None:
    page = offline_page("window.vegaEmbed = function () {};")
    assert "{plot_divs}" in page and "window.vegaEmbed" in page
    assert "{scripts}" not in page  # DVC would put its CDN <script src> tags there
    assert remote_scripts(page) == []
    assert remote_scripts('<script src="https://cdn.example/vega.js"></script>') != []


def test_a_bundle_that_would_break_the_page_is_refused() -> None:
    for bad in ("x = '</script>';", "'{plot_divs}'"):
        with pytest.raises(ValueError, match="cannot be inlined"):
            offline_page(bad)


def test_the_shipped_bundle_defines_vega_embed_globally() -> None:
    page = offline_page()
    assert "window.vegaEmbed=" in page.replace(" ", "") and remote_scripts(page) == []
