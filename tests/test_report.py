from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpcnn.common.stats import seed_interval
from mlpcnn.report.document import render_report, training_seconds
from mlpcnn.report.study import Study

ROOT = Path(__file__).resolve().parents[1]

CITIES = {
    "rows": {"train": 1000, "val": 100, "test": 100},
    "n_classes": 33,
    "classes_present": {"train": 33, "val": 30, "test": 31},
    "nearest_neighbour": {"val_acc": 0.99, "test_acc": 0.98},
}
NAN = float("nan")


def learning_rate_summary(good_losses: list[float]) -> dict:
    """mlp_learning_rate's summary for two rates over three seeds, built with the stage's
    own statistics: lr 1 diverges in every seed, lr 0.001 ends at ``good_losses``."""
    per_seed = {
        "lr 1": {"final_val_loss": [NAN] * 3, "best_val_loss": [2.5, 2.6, 2.4],
                 "final_val_acc": [NAN] * 3},
        "lr 0.001": {"final_val_loss": good_losses, "best_val_loss": [x - 0.01 for x in good_losses],
                     "final_val_acc": [0.91, 0.90, 0.92]},
    }  # fmt: skip
    runs = {
        name: {"lr": lr, "seeds_diverged": diverged, "diverged_epochs": [3, 3, 4][:diverged],
               "stuck_at_class_prior": False,
               **{k: seed_interval(v) for k, v in per_seed[name].items()}}
        for name, lr, diverged in (("lr 1", 1.0, 3), ("lr 0.001", 0.001, 0))
    }  # fmt: skip
    return {  # no verdicts written: the report applies the rule to the histories itself
        "runs": runs,
        "seeds": [0, 1, 2],
        "class_prior_val_loss": 3.3,
        "timing": {"train_seconds": {"all": 12.5}, "total_seconds": 12.5, "threads": 2},
        "device": "cpu",
        "torch": "2.x",
    }


LEARNING_RATE = learning_rate_summary([0.25, 0.26, 0.24])


def learning_rate_history(good_losses: list[float], epochs: int = 20) -> pd.DataFrame:
    """Per-epoch history to go with ``learning_rate_summary``: lr 1 NaN from epoch 3,
    lr 0.001 falling to ``good_losses`` at the last epoch."""
    rows = []
    for seed, final in enumerate(good_losses):
        for e in range(1, epochs + 1):
            decay = 0.5 * (np.exp(-e / 3) - np.exp(-epochs / 3))
            rows.append(
                {
                    "epoch": e,
                    "seed": seed,
                    "lr": 0.001,
                    "train_loss": final + decay,
                    "val_loss": final + decay,
                }
            )
            rows.append(
                {
                    "epoch": e,
                    "seed": seed,
                    "lr": 1.0,
                    "train_loss": NAN if e >= 3 else 2.5,
                    "val_loss": NAN if e >= 3 else 2.5,
                }
            )
    return pd.DataFrame(rows)  # fmt: skip


def test_renders_from_hand_made_metrics_with_missing_sections_and_a_diverged_run() -> None:
    histories = {"mlp_learning_rate": learning_rate_history([0.25, 0.26, 0.24])}
    report = render_report(Study({"prepare_cities": CITIES, "mlp_learning_rate": LEARNING_RATE},
                                 histories=histories))  # fmt: skip
    assert report.startswith("# The MLP and CNN study, reproduced")
    assert "99.00% validation and 98.00% test accuracy" in report
    assert "| 1.0 | n/a | 2.500 [" in report and "| diverged (3 of 3 seeds) |" in report
    assert "Lowest final validation loss: lr 0.001, 0.250." in report
    assert (
        "| **6.1 Q1** | Learning rate 0.001 ends with the lowest validation loss, 0.250" in report
    )
    assert "lr 1 diverged in 3 of 3 seeds" in report
    # Without the history the table still reads the summary, and says what is missing.
    bare = render_report(Study({"mlp_learning_rate": LEARNING_RATE}))
    assert "diverged in 3 of 3 seeds (epochs 3, 3, 4) |" in bare
    assert "**Answer.** n/a: the per-epoch history is missing." in bare
    for stage in ("mlp_epochs", "mlp_batchnorm", "mlp_batch_size", "mlp_select", "gradient_study",
                  "implicit_encoding", "error_analysis"):  # fmt: skip
        assert f"the results of `{stage}` are missing" in report
    sections = [line for line in report.splitlines() if line.startswith("## ")]
    # The answers first, then the headline results, the run's details last.
    assert sections[:4] == ["## Findings", "## Results at a glance", "## Data", sections[3]]
    assert sections[3].startswith("## 6.1 Q1") and sections[-2].startswith("## 7.6")
    assert sections[-1] == "## Appendix: the run"
    assert "| mlp_learning_rate | 12.5 |" in report


def test_text_follows_the_numbers() -> None:
    report = render_report(Study({"mlp_learning_rate": learning_rate_summary([0.5, 0.5, 0.5])},
                                 histories={"mlp_learning_rate": learning_rate_history([0.5] * 3)}))  # fmt: skip
    assert "Lowest final validation loss: lr 0.001, 0.500." in report
    assert "| 0.500 [0.500, 0.500] |" in report
    assert (
        "diverged" in report
        and "*Not in this run: the results of `prepare_cities` are missing.*" in report
    )


def test_every_stage_writes_one_timing_shape_and_the_report_reads_it(tmp_path, monkeypatch) -> None:
    import stage_shared

    monkeypatch.setattr(stage_shared, "PLOTS", tmp_path / "plots")
    monkeypatch.setattr(stage_shared, "METRICS", tmp_path / "metrics")
    # One run timed per epoch (a cities run), one by its total (a deepfake run).
    stage_shared.write_results("s", {"a": 1}, {"b": 2}, {"x": [1.0, 2.5], "lr 0.1": 4.0})
    summary = json.loads((tmp_path / "plots/s/summary.json").read_text())
    timing = summary["timing"]
    assert timing["train_seconds"] == {"x": 3.5, "lr 0.1": 4.0}
    assert timing["epoch_seconds"] == {"x": [1.0, 2.5]}
    assert timing["total_seconds"] == 7.5 and timing["threads"] >= 1
    assert training_seconds(summary) == 7.5 and training_seconds({"b": 2}) is None
    assert json.loads((tmp_path / "metrics/s.json").read_text()) == {"a": 1}
    # Each seed's value of a headline figure (nested keys flattened as dvc names them).
    stage_shared.write_results(
        "t", {"acc": {"base": 0.5}}, {}, per_seed=([3, 4], {"acc.base": [0.4, 0.6]})
    )
    per_seed = json.loads((tmp_path / "plots/t/summary.json").read_text())["per_seed"]
    assert per_seed == {"seeds": [3, 4], "values": {"acc.base": [0.4, 0.6]}}
    with pytest.raises(ValueError, match="'acc' is not a headline figure"):
        stage_shared.write_results(
            "t", {"acc": {"base": 0.5}}, {}, per_seed=([3, 4], {"acc": [0.4, 0.6]})
        )


def test_facts_that_params_control_come_from_the_params() -> None:
    study = Study(
        {},
        params={"mlp_epochs": {"epochs": 7}, "gradient_study": {"depth": 12, "width": 3},
                "implicit_encoding": {"frequencies": [0.5, 2.0]}},
    )  # fmt: skip
    report = render_report(study)
    assert "What happens to the losses over 7 epochs?" in report
    assert "## 6.2 Q5-Q6: gradients of a 12-layer network" in report
    assert "12 layers of width 3" in report
    assert "a = 0.5, 2, beat the raw input" in report
    assert "100 epochs" not in report and "a = 0.1 ... 1.0" not in report


def test_references_are_read_from_the_data_given_with_their_report() -> None:
    grid = {
        "best": {"cell": "d6_w16", "depth": 6, "width": 16, "seeds": 3, "val_acc_mean": 0.95,
                 "val_acc_low": 0.94, "val_acc_high": 0.96, "test_acc_mean": 0.94},
    }  # fmt: skip
    grid["worst"] = dict(grid["best"], cell="d1_w16")
    grid["nearest_neighbour"] = {"val_acc": 0.99, "test_acc": 0.99}
    study = Study(
        {"mlp_select": grid},
        references={
            "grid_best": [{"report": "A", "section": "6.2 Q1", "cell": "d6_w16", "val_acc": 0.5}],
            "grid_worst": [],
        },
    )
    from mlpcnn.report.document import results_table

    rendered = results_table(study)
    assert "best cell, report A: d6_w16 50.00%" in rendered
    assert "worst cell, -" in rendered
    assert "3 seeds" in rendered


def test_a_missing_figure_is_said_not_linked() -> None:
    study = Study({}, figures={"a/b": "../plots/a/b.png"})
    assert study.figure("a/b", "cap") == "![cap](../plots/a/b.png)"
    assert study.figure("a/c", "cap") == "*Figure `a/c` is not in this run.*"


def faces_run(baseline: str, acc: float, half: float, lr: float | None = 0.001, **more) -> dict:
    return {"baseline": baseline, "run": "default" if lr is None else f"lr {lr:g}", "lr": lr,
            "val_acc": acc, "test_acc": acc, "test_acc_low": acc - half,
            "test_acc_high": acc + half, "test_auc": 0.9, "test_auc_low": 0.86,
            "test_auc_high": 0.94, "ranking": "better than chance", "called_fake": 0.5,
            "test_n": 400, "final_train_loss": None} | more  # fmt: skip


def seed_block(mean: float, n: int = 3, lr: float | None = 0.001, constant: int = 0) -> dict:
    return {"run": "default" if lr is None else f"lr {lr:g}", "lr": lr, "constant": constant > 0,
            "precision": "bfloat16",
            "seeds": list(range(n)), "constant_seeds": list(range(constant)),
            "test_acc": {"mean": mean, "low": mean - 0.02 if n > 1 else None,
                         "high": mean + 0.02 if n > 1 else None, "n": n},
            "val_acc": {"mean": mean, "low": None, "high": None, "n": n},
            "per_seed": [faces_run("x", mean, 0.03, lr=lr) | {"seed": k} for k in range(n)]}  # fmt: skip


def pair(a: str, b: str, p_holm: float, verdict: str, a_only: int = 30, b_only: int = 5) -> dict:
    return {"a": a, "b": b, "a_only": a_only, "b_only": b_only, "difference": (a_only - b_only) / 400,
            "p_value": p_holm / 2, "p_holm": p_holm, "family": 3, "seeds": 3,
            "verdict": verdict, "p_holm_per_seed": {"0": p_holm, "1": p_holm, "2": 0.5},
            "distinguishable_seeds": 2 * (p_holm < 0.05)}  # fmt: skip


def faces_study(kind: str, shown: int, constant_worst: bool = True) -> Study:
    ranking = ["finetune", "linear_probe", "xgboost", "scratch"]
    chosen = {
        "finetune": faces_run("finetune", 0.85, 0.03),
        "linear_probe": faces_run("linear_probe", 0.82, 0.03),
        "xgboost": faces_run("xgboost", 0.64, 0.04, lr=None),
        "scratch": faces_run("scratch", 0.5, 0.05, lr=0.1, constant=constant_worst),
        "handmade": faces_run("handmade", 0.60, 0.04, lr=None),
        "finetune_long": faces_run("finetune_long", 0.95, 0.02, lr=0.0001),
    }
    baselines = {"finetune": seed_block(0.85), "linear_probe": seed_block(0.82),
                 "xgboost": seed_block(0.64, lr=None),
                 "scratch": seed_block(0.5, lr=0.1, constant=3 if constant_worst else 0),
                 "handmade": seed_block(0.6, lr=None) | {"distinct_fits": 1},
                 "finetune_long": seed_block(0.95, n=1, lr=0.0001) | {"rates": 1, "training": {
                     "epochs": 4, "schedule": "cosine", "augment": "flips"}}}  # fmt: skip
    baselines["finetune"] |= {"rates": 5, "training": {"epochs": 1, "schedule": "constant",
                                                       "augment": None}}  # fmt: skip
    # seed 1 ranks well but calls 15% of the images fake: a threshold failure
    baselines["finetune"]["per_seed"][1] |= {
        "called_fake": 0.15,
        "test_auc": 0.84,
        "test_acc": 0.64,
    }
    baselines["scratch"]["tied_on_val_acc"] = ["lr 0.01", "lr 0.001"]
    worst = faces_run("scratch", 0.5, 0.05, lr=1e-05, final_train_loss=0.69)
    best = faces_run("scratch", 0.52, 0.05, lr=0.01, final_train_loss=0.40)

    def q2(worst: str, constant: bool) -> dict:
        return {"best": chosen["finetune"], "worst": chosen[worst], "rule": "confident first",
                "candidates": shown, "shown_files": [f"test/1_fake/{i}.jpg" for i in range(shown)],
                "shown_labels": ["fake"] * shown, "best_p_fake": [0.9] * shown,
                "worst_p_fake": [0.1] * shown, "fewer_than_five": shown < 5,
                "candidates_by_class": {"real": 0, "fake": shown}, "worst_constant": constant,
                "shown_traits": {"energy_percentile": [10.0] * shown,
                                 "cue_names": ["fingerprint", "colour_noise", "seam", "texture"],
                                 "cues": [[0.1, 0.9, 0.2, 0.6]] * shown,
                                 "cue_median_of_test_fakes": [0.5] * 4}}  # fmt: skip

    variant = {"test_acc": 0.5, "test_acc_low": 0.45, "test_acc_high": 0.55, "test_auc": 0.5,
               "test_auc_low": 0.44, "test_auc_high": 0.56, "p_fake_spread": 0.01,
               "constant": True}  # fmt: skip
    analysis = {
        "dataset": kind,
        "backbone": {
            "requested": "auto",
            "backbone": "efficientnet_lite0",
            "weights_file": "w.pth",
            "weights_sha256": "ab" * 32,
        },
        "constant_rule": "one class for every image",
        "chosen_by_val": chosen,
        "baselines": baselines,
        "ranking": ranking,
        "comparisons": [
            pair("finetune", "xgboost", 0.001, "higher"),
            pair("finetune", "linear_probe", 0.04, "higher (borderline)"),
            pair(
                "linear_probe",
                "xgboost",
                0.5,
                "not distinguishable (majority votes; 3 distinct fits on the side with fewer)",
                10,
                8,
            ),
        ],
        "extra_comparisons": [
            pair("finetune_long", "finetune", 0.002, "higher"),
            pair("handmade", "finetune", 0.001, "lower", 2, 40),
        ],
        "diagnosis": {
            "scratch": {
                "explanation": "running statistics",
                "ranking": "no better than chance",
                "p_value": 0.049,
                "ranked_by": [],
                "longer_steps": 44,
                "variants": {
                    "as trained": variant,
                    "recomputed": variant | {"constant": False, "one_class": False},
                },
            }
        },
        "q1": {
            "rule": "the rule",
            "rows": [
                best | {"role": "best", "ties": ""},
                faces_run("scratch", 0.40, 0.05, lr=0.001, called_fake=0.2)
                | {"role": "second best", "ties": ""},
                worst | {"role": "worst", "ties": "lr 0.1", "ranking": "at chance"},
            ],
        },
        "q2": [q2("scratch", constant_worst)] + ([q2("xgboost", False)] if constant_worst else []),
    }
    references = {"deepfake_test_acc": [{"report": "A", "values": {"finetune": 0.8125}}]}
    faces = {"counts": {"train": {"0_real": 300, "1_fake": 300}, "val": {"0_real": 100, "1_fake": 100},
                        "test": {"0_real": 200, "1_fake": 200}},
             "image_size": {"width_max": 512},
             "inputs": {"scratch": "resize to 224 x 224", "xgboost": "resize to 64 x 64"},
             "spectrum_peaks": {"period_2px": {"0_real": 0.9, "1_fake": 12.5}}}  # fmt: skip
    return Study({"error_analysis": analysis, "prepare_faces": faces}, references=references)


def test_faces_sections_answer_first_and_read_ranking_threshold_and_ties() -> None:
    from mlpcnn.report.errors import section_errors
    from mlpcnn.report.faces import section_deepfake, source_line

    study = faces_study("standin", shown=2)
    text = section_deepfake(study)
    main, reference = text.split("### Reference (course data)")
    assert "81.25%" in reference and "81.25%" not in main  # course figures in their own table
    assert "not compared" in reference
    answer = main.split("**Answer.** ")[1].split("\n")[0]
    assert answer.startswith("After one epoch, fine-tuning leads in test accuracy, and it differs "
                             "from the runner-up image by image; fine-tuning reaches 85.00% "
                             "[83.00, 87.00], 3 seeds.")  # fmt: skip
    assert "ResNet18 trained from scratch trail." in answer
    assert (
        "These are the stand-in's numbers: the order is a property of its traces" in answer
        and answer.count(". ") <= 3
    )
    assert "**What the stand-in can and cannot tell.**" in main and "512 px" in main
    assert "| up-sampling fingerprint |" in main and "| 2 px | 0.90 | 12.50 |" in main
    assert "| xgboost | resize to 64 x 64 |" in main
    assert "lr 0.1 (tied with 2 other rates; the first in the sweep)" in main
    assert "A tie goes to the first rate in the sweep's order." in main
    assert "60.00%, all 3 seeds the same" in main  # one fit: no zero-width interval
    assert "[50.00, 50.00]" not in main
    assert "| better than chance | 50.0% |" in main
    assert "2 of 3 pairs differ image by image" in main
    assert "| linear_probe vs xgboost | 10 | 8 |" in main
    assert "Constant runs: scratch in 3 of 3 seeds. Constant is defined in the appendix." in main
    assert "### Why scratch is constant" in main
    assert "That is consistent with batch norm's running statistics" in main
    assert "No variant ranks the test images better than chance (smallest p = 0.0490, " \
        "borderline): this seed's weights learnt nothing" in main  # fmt: skip
    assert "| up-sampling fingerprint | colour and noise | blending seam | smooth skin |" in \
        section_errors(study)  # fmt: skip
    assert "Longer fine-tuning changes four things against fine-tuning" in main
    assert "resamples the finest traces" not in main  # a guess, never measured
    assert "Holm over these 2 pairs" in main and "| handmade vs finetune | 2 | 40 |" in main
    assert "Deepfake precision: bfloat16 autocast" in source_line(study)
    assert "without native bfloat16 runs float32" in source_line(study)
    working = section_deepfake(faces_study("course", shown=5, constant_worst=False))
    assert "No chosen run is constant" in working and "synthetic stand-in" not in working
    assert "What the stand-in can" not in working

    errors = section_errors(study)
    assert errors.startswith("## 7.6: error analysis")
    q1 = errors.split("**Answer.** ")[1].split("\n")[0]
    assert q1.startswith("For ResNet18 trained from scratch, the best and second rates rank the "
                         "images alike, and the second calls 20.0% of them fake.")  # fmt: skip
    assert "The worst runs of ResNet18 trained from scratch end the epoch with a training " \
        "loss near ln 2, that of a constant guess." in q1  # fmt: skip
    assert "the threshold's failure: fine-tuning seed 1 (AUC 0.840, calls 15.0% fake)." in q1
    assert "| ranks alike; the second calls 20.0% fake |" in errors
    from mlpcnn.report.errors import why_best

    best = faces_run("a", 0.925, 0.03, lr=0.1)
    assert why_best(best, faces_run("a", 0.9175, 0.03, lr=0.01)).startswith("not apart")
    lower = faces_run("a", 0.80, 0.03, lr=0.01, test_auc_low=0.70, test_auc_high=0.80)
    assert why_best(best, lower) == "ranks better"
    assert (
        "| finetune | 1 | 64.00% | 0.840 [0.86, 0.94] | better than chance | 15.0% | fails |"
        in errors
    )
    assert (
        "| finetune | 0 | 85.00% | 0.900 [0.86, 0.94] | better than chance | 50.0% | holds |"
        in errors
    )
    assert "| median of the test fakes |  |  |  | 50 | 0.50 | 0.50 | 0.50 | 0.50 |" in errors
    assert "ResNet18 trained from scratch ranks the test images at chance" in errors
    assert "takes a smaller step (lr 1e-05) than its best (lr 0.01)" in errors
    assert "shown: all 2 such images" in errors
    assert (
        "No real image qualifies: ResNet18 trained from scratch's mistakes among them are all fake"
        in errors
    )
    assert "The run of ResNet18 trained from scratch is constant" in errors
    assert "ordered by fine-tuning's confidence" in errors
    assert "The 2 shown images are all fake; every fake one has less fine-scale energy than most " \
        "fake test images; every fake one carries a weaker up-sampling fingerprint and " \
        "blending seam than the median test fake." in errors  # fmt: skip
    assert "Against the worst baseline that is not constant, XGBoost on raw pixels." in errors
    assert "5 of the 5" in section_errors(faces_study("standin", shown=5))


def test_the_reports_stand_in_traces_are_the_generators() -> None:
    from mlpcnn.faces.data import CUES
    from mlpcnn.report.faces import STANDIN_CUES

    assert tuple(STANDIN_CUES) == CUES


def test_q1_reads_a_sweep_of_constant_runs_as_tie_breaks() -> None:
    from mlpcnn.report.errors import why

    runs = [faces_run("scratch", 0.5, 0.05, lr=lr, constant=True) for lr in (0.1, 0.01, 1e-05)]
    (text,) = why(runs).values()
    assert "all constant" in text and "tie-break between constant guesses" in text


@pytest.mark.parametrize(
    ("acc", "auc", "says"),
    [
        (0.50, 0.52, "not distinguishable from chance (the interval holds 50%)."),
        (0.62, 0.69, "above chance all the same (the interval is over 50%)."),
        (0.40, 0.28, "below chance (the whole interval is under 50%) and its ROC AUC 0.280 is "
                     "under 0.5: it ranks the classes the wrong way round"),
    ],
)  # fmt: skip
def test_why_a_worst_run_near_ln2_is_read_against_chance(acc: float, auc: float, says: str) -> None:
    """A loss about ln 2 says the run learned little; its interval says which way."""
    from mlpcnn.report.errors import why

    best = faces_run("finetune", 0.86, 0.03, lr=0.001, final_train_loss=0.15)
    worst = faces_run("finetune", acc, 0.045, lr=1e-05, final_train_loss=0.68, test_auc=auc)
    (text,) = why([best, worst]).values()
    assert "about ln 2, the loss of a constant guess" in text and says in text
    assert "learned next to nothing" not in text


def test_where_a_flushed_arm_s_line_starts_is_read_from_its_ratios() -> None:
    from mlpcnn.report.gradients import _flushed_layers_text

    def ratios(first_finite: dict[str, int]) -> pd.DataFrame:
        return pd.concat([
            pd.DataFrame({"series": arm, "layer": range(6),
                          "log10_ratio": [np.nan] * start + [-3.0] * (6 - start)})
            for arm, start in first_finite.items()
        ])  # fmt: skip

    text = _flushed_layers_text(
        ratios({"wide16": 2, "wide32": 4, "plain": 0}), ["wide16", "wide32"]
    )
    assert text.startswith(
        " In the ratio panel their lines start at layer 2 for width 16 and 4 for width 32."
    )
    assert "lower bounds" in text
    assert _flushed_layers_text(ratios({"wide16": 0}), ["wide16"]) == ""
    dropped = ratios({"wide16": 3}).dropna()  # as the stage writes it: no row without a log
    assert "start at layer 3 for width 16." in _flushed_layers_text(dropped, ["wide16"])
    assert _flushed_layers_text(None, ["wide16"]) == ""


def test_time_per_epoch_leaves_out_the_first_epoch_and_its_compile() -> None:
    from mlpcnn.report.optimisation import first_epoch_note, later_epoch_seconds

    assert later_epoch_seconds([9.6, 1.0, 3.0, 2.0]) == "2.00"  # the median of 1, 3, 2
    assert later_epoch_seconds([22.4]) == "n/a (1 epoch)"
    note = first_epoch_note({"a": [9.6, 1.0], "b": [14.0, 2.0], "c": [22.4]})
    assert "took 9.6-14.0 s" in note and "one epoch took 22.4-22.4 s" in note


def test_the_loss_figure_says_whether_its_curves_lie_on_each_other() -> None:
    from mlpcnn.report.optimisation import overlap_caption

    epochs = np.repeat([1, 2, 3], 2)  # two seeds
    close = pd.DataFrame({"epoch": epochs, "train_loss": [1.7, 1.7, 0.9, 0.9, 0.2, 0.2],
                          "val_loss": [1.71, 1.71, 0.9, 0.9, 0.2, 0.2],
                          "test_loss": [1.7, 1.7, 0.9, 0.9, 0.21, 0.21]})  # fmt: skip
    assert "lie on each other" in overlap_caption(close)
    assert "0.010, against the 1.51" in overlap_caption(close)
    apart = close.assign(val_loss=close["val_loss"] + 0.1)
    assert "are apart" in overlap_caption(apart)


def test_a_course_figure_is_set_beside_the_arm_it_sits_nearest() -> None:
    from mlpcnn.report.cities import reference_fit

    runs = {f"{arm}: batch {b}": {"arm": arm, "batch_size": b,
                                  "final_val_acc": {"mean": mean}}
            for arm, b, mean in (("base", 1, 0.70), ("base", 1024, 0.79),
                                 ("batchnorm", 1, 0.66), ("batchnorm", 1024, 0.95))}  # fmt: skip
    text = reference_fit({"runs": runs}, {"report": "A", "section": "6.1 Q4",
                                          "values": {1: 0.567, 1024: 0.958}})  # fmt: skip
    assert text == (
        "Report A's 56.70% validation accuracy at batch 1 (6.1 Q4) sits nearest our batch-norm "
        "arm: -13.3 points against our base arm, -9.3 points against our batch-norm arm. "
        "Report A's 95.80% validation accuracy at batch 1024 (6.1 Q4) sits nearest our "
        "batch-norm arm: +16.8 points against our base arm, +0.8 points against our batch-norm arm."
    )
    assert reference_fit({"runs": runs}, {}) == ""


def test_the_course_reports_training_notes_are_said_one_a_sentence() -> None:
    from mlpcnn.report.grid import training_notes

    study = Study(results={}, references={"training_notes": [
        {"report": "A", "section": "6.2", "note": "used batch norm"},
        {"report": "B", "section": "6.2", "note": "tuned each cell"}]})  # fmt: skip
    assert training_notes(study) == (
        "Report A used batch norm. Report B tuned each cell. Their columns match ours only "
        "where they trained as we did."
    )
    assert training_notes(Study(results={})) == ""


def test_a_curve_verdict_prints_the_p_of_the_hypothesis_it_names() -> None:
    from mlpcnn.report.answers import trend_hypothesis

    base = {"p": 0.9, "p_rise": 0.03, "p_level": 0.4}
    assert trend_hypothesis({**base, "verdict": "worsening", "drop": -0.05}) == (0.03, "rising: p")
    assert trend_hypothesis({**base, "verdict": "still improving", "drop": 0.05}) == (
        0.9,
        "falling: p",
    )
    assert trend_hypothesis({**base, "verdict": "converged", "drop": -0.01}) == (
        0.4, "level within 2%: p")  # fmt: skip
    # a trend not resolved prints the p of the direction its mean points to
    assert trend_hypothesis({**base, "verdict": "trend not resolved", "drop": -0.186}) == (
        0.03, "rising: p")  # fmt: skip
    assert trend_hypothesis({**base, "verdict": "trend not resolved", "drop": 0.01}) == (
        0.9, "falling: p")  # fmt: skip


def test_the_steps_along_depth_read_as_a_sentence_and_a_table() -> None:
    from mlpcnn.report.grid import plain_cell, steps_block

    assert plain_cell("d6_w16") == "6 layers of 16" and plain_cell("raw") == "raw"
    test = {"difference": 0.02, "low": 0.01, "high": 0.03, "n": 5, "p_value": 0.004,
            "p_holm": 0.008, "distinguishable": True, "strength": "distinguishable",
            "test": "paired t-test", "family": 2}  # fmt: skip
    flat = {**test, "difference": -0.002, "low": -0.01, "high": 0.006, "p_value": 0.3,
            "p_holm": 0.3, "distinguishable": False, "strength": "not distinguishable"}  # fmt: skip
    t = {"cells": ["d1_w16", "d2_w16", "d6_w16"], "gains_up_to": "d2_w16",
         "steps": {"d2_w16 vs d1_w16": test, "d6_w16 vs d2_w16": flat}}  # fmt: skip
    text = steps_block("depth", t)
    assert text.startswith(
        "Step by step along depth, accuracy gains up to 2 layers of 16 and no claimed gain after it."
    )
    assert "| d1_w16 to d2_w16 | +2.00 points [" in text and "| 0.008 | gain |" in text
    assert (
        "| d2_w16 to d6_w16 | -0.20 points [-1.00, +0.60] | 0.300 | not distinguishable |" in text
    )


def test_readability_counts_prose_sentences_answers_and_figure_parentheses() -> None:
    from mlpcnn.report.readability import figure_parentheses, measure

    text = ("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n**Answer.** It is A (p = 0.01). "
            "It is not B.\n\n![figure](plots/x.png)\n\n- a list item of six words.\n")  # fmt: skip
    r = measure(text)
    assert r.words == 11 + 6  # no heading, table or figure
    assert r.sentences == ["**Answer.** It is A (p = 0.01).", "It is not B.",
                           "a list item of six words."]  # fmt: skip
    assert r.answers == [["**Answer.** It is A (p = 0.01).", "It is not B."]]
    assert r.problems() == []
    assert figure_parentheses("a (1) b (c (2)) d (e) f [3]") == 2
    assert measure("It is 2 (p = 0.1) and 3 (p = 0.2).").crowded()
    assert "sentence of 61 words" in measure("word " * 60 + "end.").problems()[0]
    answer = "**Answer.** One. Two. Three. Four."
    assert measure(answer).problems() == ["an answer of 4 sentences: **Answer.** One...."]


def test_the_committed_report_reads_as_design_md_asks() -> None:
    """DESIGN.md's "How the report reads": at most 3,500 words of prose, a median sentence
    of at most 25 words and none over 60, one parenthesis of figures a sentence, answers
    of at most three sentences (so a later change cannot grow it back)."""
    from mlpcnn.report.readability import measure

    assert measure((ROOT / "report/REPORT.md").read_text()).problems() == []


def test_borderline_is_a_flag_from_the_adjusted_p_or_the_tests_strength() -> None:
    from mlpcnn.report.markdown import borderline, claim

    assert borderline(0.03) == ", borderline" and borderline(0.005) == borderline(0.2) == ""
    assert borderline(None) == "" and borderline({"strength": "borderline"}, " (b)") == " (b)"
    test = {"p_holm": 0.06, "strength": "borderline"}
    assert claim(test, ", borderline") == "not distinguishable, borderline"


def test_a_paragraph_is_measured_as_markdown_renders_it() -> None:
    """Lines with no blank line between are one paragraph, and a line right after a list
    item continues that item: a sentence cannot hide its length across lines."""
    from mlpcnn.report.readability import prose_lines

    text = "One line\ngoes on here.\n\n- an item\nthat continues.\n- a second item.\n"
    assert prose_lines(text) == ["One line goes on here.", "an item that continues.",
                                 "a second item."]  # fmt: skip
