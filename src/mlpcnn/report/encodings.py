"""Section 6.2 Q7 of the report (cities): the sine encoding, and input encodings beyond it."""

from __future__ import annotations

from mlpcnn.report import answers
from mlpcnn.report.cities import cell_interval
from mlpcnn.report.faces import names_text
from mlpcnn.report.markdown import (
    absent,
    borderline,
    claim,
    comparisons,
    opening,
    pct,
    points,
    pvalue,
    table,
)
from mlpcnn.report.study import Study
from mlpcnn.verdicts.cities import encodings_versus_nearest


def section_encoding(s: Study) -> str:
    m = s.results
    d, sweep = m.get("implicit_encoding"), m.get("encoding_summary")
    frequencies = s.params.get("implicit_encoding", {}).get("frequencies") or []
    span = (
        "the chosen frequencies"
        if not frequencies
        else ", ".join(f"{a:g}" for a in frequencies)
        if len(frequencies) <= 3
        else f"{frequencies[0]:g} ... {frequencies[-1]:g}"
    )
    out = opening(
        "## 6.2 Q7: implicit (sine) encoding",
        f"Does sin(a x) of each coordinate, a = {span}, beat the raw input?",
    )
    if not d:
        return absent(out, "implicit_encoding")
    splits = ("train", "val", "test")
    rows = [
        [name, *(cell_interval(d[name], split) for split in splits)] for name in ("raw", "sine")
    ]
    ref_b = s.reference("implicit_encoding", "B")
    rows += [
        [f"ref. B {name}", *(pct(ref_b[name][split]) for split in splits)]
        for name in ("raw", "sine")
        if name in ref_b
    ]
    gain_a = s.reference("implicit_encoding_gain", "A").get("val_points")
    diff, t = d["difference_sine_minus_raw"], answers.implicit(s)
    answer = (
        f"Yes: the sine encoding gains {points(diff['val_acc'])} of validation accuracy over the raw "
        "input" + (f", {claim(t, ', borderline')} (paired t-test, p = {pvalue(t['p_holm'])})" if t else "")
        + f". On the test split it gains {points(diff['test_acc'])}"
        + (f"; report A saw about {gain_a:+g} points." if gain_a is not None else ".")
    )  # fmt: skip
    text = ("Both inputs train with batch norm before each ReLU, as the grid does."
            if s.params.get("implicit_encoding", {}).get("batchnorm") else "")  # fmt: skip
    out += ["", f"**Answer.** {answer}"]
    compared = {"sine vs raw": t} if t else {}
    out += [
        "",
        table(["input", "train acc", "val acc", "test acc"], rows),
        "",
        text,
        "",
        *((comparisons(compared, "final val acc"), "") if compared else ()),
        s.figure("implicit_encoding/boundaries", "decision boundaries, raw and sine input"),
        "",
        s.figure("implicit_encoding/curves", "curves of both inputs"),
    ]
    if sweep:
        out += ["", _sweep_text(s, sweep)]
    return "\n".join(out)  # fmt: skip


def _sweep_text(s: Study, sweep: dict) -> str:
    """Beyond the course: every encoding at one architecture, and the paired test against 1-NN."""
    arch = sweep["architecture"]
    rule = sweep.get("verdicts") or encodings_versus_nearest(
        sweep["settings"], sweep.get("alpha", 0.05)
    )
    rows = []
    for name, r in sweep["settings"].items():
        e = r["ensemble_vs_nearest"]
        v = rule["settings"][name]
        rows.append([
            name, r["kind"], r["features"], f"{r['highest_frequency_used']:.2f}" if r["highest_frequency_used"] else "-",
            cell_interval(r, "val"), cell_interval(r, "test"),
            f"{r['seeds_ahead_of_nearest']} of {r['seeds']}", pvalue(r["max_p_vs_nearest"]),
            f"{pct(r['ensemble_test_acc'])} ({e['a_only']}/{e['b_only']}, Holm p = {pvalue(v['p_holm'])})",
            ("yes" if v["beats"] else "no") + borderline(v, " (borderline)"),
        ])  # fmt: skip
    counts = sorted({r["seeds"] for r in sweep["settings"].values()})
    beating = [n for n, v in rule["settings"].items() if v["beats"]]
    near = [n for n, v in rule["settings"].items() if v["strength"] == "borderline" and v["ahead"]]
    best = rule["best_by_validation"]
    text = (
        f"Best by mean validation accuracy: {setting_words(sweep['settings'][best])}, "
        f"{cell_interval(sweep['settings'][best], 'test')} test accuracy. " + _limits(sweep)
    )
    answer = (
        f"Of {len(rows)} encodings, {len(beating)} beat 1-nearest-neighbour city by city"
        + (f": {settings_words([sweep['settings'][b] for b in beating])}."
           if beating else ".")
        + (f" For {settings_words([sweep['settings'][b] for b in near])} the claim is "
           "borderline, so a rerun on another CPU may flip it." if near else "")
    )  # fmt: skip
    return "\n".join(
        [
            "### Beyond the course: input encodings at one architecture",
            "",
            f"**Answer.** {answer}",
            "",
            f"Every setting trains the same network: depth {arch['depth']}, width {arch['width']}, "
            f"{arch['epochs']} epochs. Only the input encoding differs, from the raw coordinates to "
            f"Fourier features. Each setting has {' or '.join(map(str, counts))} seeds. A setting "
            "beats 1-NN when its seeds' ensemble gets more test cities right, by McNemar's test "
            "(rule in the appendix, fixed before the run).",
            "",
            table(["setting", "kind", "features", "highest freq. (cycles/deg)", "val acc [95%]",
                   "test acc [95%]", "seeds ahead of 1-NN", "largest p (McNemar)",
                   "ensemble test acc (MLP only/1-NN only, Holm p)", "beats 1-NN (rule above)"], rows),
            "",
            text,
            "",
            s.figure("encoding_summary/sweep", "test error of each encoding against its highest frequency"),
        ]
    )  # fmt: skip


KIND_WORDS = {
    "raw": "the raw coordinates",
    "sine": "the course's sine encoding",
    "axis": "axis-aligned Fourier features",
    "gaussian": "gaussian Fourier features",
}


def settings_words(settings: list[dict]) -> str:
    """Encoding settings as a sentence names them, those of one kind together:
    ``gaussian Fourier features up to 1.30, 1.95 and 2.60 cycles per degree``."""
    kinds: dict[str, list[dict]] = {}
    for setting in settings:
        kinds.setdefault(setting["kind"], []).append(setting)
    said = []
    for kind, group in kinds.items():
        freqs = [g.get("highest_frequency_used") for g in group]
        if kind in ("axis", "gaussian") and all(freqs):
            said.append(f"{KIND_WORDS[kind]} up to {names_text([f'{f:.2f}' for f in freqs])} "
                        "cycles per degree")  # fmt: skip
        else:
            said += [setting_words(g) for g in group]
    return names_text(said)


def setting_words(setting: dict) -> str:
    """An encoding setting as a sentence names it (the table keeps the setting's name)."""
    f = setting.get("highest_frequency_used")
    kind = KIND_WORDS.get(setting["kind"], setting["kind"])
    return kind + (
        f" up to {f:.2f} cycles per degree" if f and setting["kind"] in ("axis", "gaussian") else ""
    )


def _limits(sweep: dict) -> str:
    """Where the best setting's test errors are, by neighbourhood (see prepare_cities)."""
    e = sweep.get("best_errors_by_neighbourhood")
    if not e:
        return ""
    cities, errors, nearest = e["cities"], e["mean_errors_per_seed"], e["nearest_neighbour_errors"]
    total, border = sum(errors.values()), errors.get("border (some)", 0)
    return (
        f"Of its {total:.0f} test errors per seed, {border:.0f} are border cities, whose 5 nearest "
        f"training cities include another country's; the test split has {cities['border (some)']:,} "
        f"of them. Another {errors['surrounded (all)']:.0f} are cities surrounded by another country's "
        f"({cities['surrounded (all)']:,} in the test split); {errors['inside (none)']:.0f} lie inside their "
        f"country. The {sum(nearest.values())} errors of 1-NN split {nearest['border (some)']} / "
        f"{nearest['surrounded (all)']} / {nearest['inside (none)']} the same way."
    )
