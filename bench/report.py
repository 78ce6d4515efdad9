"""RESULTS.md from results.json and experiments.json: ``python -m bench.report [DIR]`` re-renders it.

Without ``DIR`` it re-renders the committed bench/RESULTS.md and the README's generated
blocks (:mod:`bench.readme`) from the committed JSON files, measuring nothing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.experiment_tables import render_experiments
from bench.experiments import read_store
from bench.markdown import table
from bench.readme import fmt, readme_blocks, targets_table, update_readme
from bench.training import PAPER_MEASURED_EPOCHS
from core.paths import REPO_ROOT

BENCH_DIR = Path(__file__).resolve().parent
README = REPO_ROOT / "README.md"

#: The stable keys of results.json (nested dicts: results["fast"]["train_seconds"]), as documented.
KEYS: tuple[tuple[str, str], ...] = (
    (
        "fast.train_seconds",
        "fast, 10 epochs: warm data load + core.model.train.train wall seconds, mean of seeds",
    ),
    ("fast.val_accuracy_mean", "fast: validation accuracy at threshold 0.75, mean of seeds"),
    ("fast.auc_mean", "fast: validation ROC AUC, mean of seeds"),
    ("fast.flops_fraction", "fast: training FLOPs/image x images/s ÷ machine.numpy_matmul_gflops"),
    ("fast.peak_rss_mb", "fast: peak RSS of the training process (MB)"),
    (
        "paper.train_seconds",
        f"paper: {PAPER_MEASURED_EPOCHS} epoch(s) timed, extrapolated to fast's epochs (paper.extrapolated)",
    ),
    ("paper.peak_rss_mb", "paper: peak RSS of the training process (MB)"),
    ("speedup", "paper.train_seconds ÷ fast.train_seconds"),
    ("data.cold_seconds", "first load at the fast size: every image decoded, cache cleared"),
    ("data.warm_seconds", "cached load at the fast size, median of 5"),
    ("metrics.threshold_ms", "all threshold metrics for 323 scores, median over a slider sweep"),
    ("metrics.groups_ms", "per-group table for 2,000 scores, median over a slider sweep"),
    (
        "app.first_page_seconds",
        "streamlit run -> first page rendered in Chromium (absent when the app step is left out)",
    ),
    ("app.confusion_page_seconds", "new session -> confusion page rendered with a run"),
    ("app.deep_link_seconds", "slowest page by a link (/<page>?run=...) in a new session (bench.deeplink)"),
    ("app.load.p95_seconds", "4 sessions moving the threshold: p95 slider change -> matrix re-rendered"),
    (
        "throughput.by_size.<size>.images_per_second",
        "streamed `python -m core evaluate` (bench.throughput): images ÷ seconds of decoding and scoring",
    ),
    ("throughput.by_size.<size>.peak_rss_mb", "the same command's peak RSS (MiB), its own os.wait4 rusage"),
    ("machine.cores", "CPU cores"),
    ("machine.numpy_matmul_gflops", "best numpy float32 2048² matmul rate, start or end of the run"),
)


def render(
    results: dict[str, Any], experiments: dict[str, dict[str, Any]], artifacts: Sequence[dict[str, Any]] = ()
) -> str:
    """The whole RESULTS.md as one string (``artifacts``: the sessions of bench/artifacts.json)."""
    from bench.artifacts_report import render_artifacts

    parts = [_header(results), _headline(results), _training(results), _data(results), _scoring(results)]
    parts += [_throughput(results)]
    parts += [_interaction(results), _app(results), render_experiments(experiments)]
    parts += [render_artifacts(artifacts), _keys()]
    return "\n\n".join(p.strip() for p in parts) + "\n"


def write_report(out_dir: Path) -> Path:
    """Render ``out_dir/RESULTS.md`` from ``out_dir/results.json``, ``bench/experiments.json`` and
    ``bench/artifacts.json``."""
    from bench import artifacts

    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    target = out_dir / "RESULTS.md"
    rendered = render(results, read_store(), artifacts.read_sessions(artifacts.OUT_FILE))
    target.write_text(rendered, encoding="utf-8")
    return target


def refresh_committed() -> list[Path]:
    """Re-render bench/RESULTS.md and the README's blocks from the committed JSON files.

    Raises
    ------
    ValueError
        If a README block's markers are missing.
    """
    from bench import artifacts
    from bench.artifacts_report import readme_block

    results = json.loads((BENCH_DIR / "results.json").read_text(encoding="utf-8"))
    update_readme(README, readme_blocks(results, read_store()))
    update_readme(README, {"artifacts": readme_block(artifacts.read_sessions(artifacts.OUT_FILE))})
    return [write_report(BENCH_DIR), README]


def _header(r: dict[str, Any]) -> str:
    m, v = r["machine"], r["versions"]
    quick = "\n> **Quick mode** (CI smoke run): tiny settings, not comparable with the targets.\n"
    return f"""# Unmask benchmark results

Written by `{r["command"]}` on {r["date"]}. Every figure below was measured in that one run, on one
machine, except those under "Experiments", which come from `python -m bench.experiments`
(bench/experiments.json, each experiment with its own date and load). Re-run with `python -m bench`
(a few minutes; `--quick --out DIR` for a smoke run); `python -m bench.report` re-renders this file
and the README's blocks without measuring.
{quick if r["mode"] == "quick" else ""}
- **Data:** {r["dataset"]["description"]}, {r["dataset"]["n"]} images (`{r["dataset"]["folder"]}`).
- **Code:** {_code(r)}.
- **Machine:** {m["cores"]} cores, {m["cpu"]}; numpy float32 matmul {m["numpy_matmul_gflops"]:.0f} GFLOP/s
  (best 2048² product, start or end of the run).
- **Load average** (1, 5, 15 min) at start {m["load_average_start"]}, at end {m["load_average_end"]}:
  other work on the machine slows every timing; compare runs only at a similar load.
- **Versions:** {", ".join(f"{k} {v[k]}" for k in v)}."""


def _headline(r: dict[str, Any]) -> str:
    return "## Headline\n\n" + targets_table(r)


def _training(r: dict[str, Any]) -> str:
    header = ["Preset", "Input, batch", "Epochs", f"Wall s, {r['fast']['epochs']} epochs", "Images/s"]
    header += ["Val accuracy at 0.75 [95% Wilson] (n)", "AUC", "Peak RSS MB", "Train GFLOP/img"]
    header += ["Share of matmul rate"]
    rows = [_training_row(r[p]) for p in ("fast", "paper") if p in r]
    seed_header = ["Seed", "Wall s", "of which data load s", "fit s", "Val accuracy at 0.75 [95% Wilson]"]
    seed_header += ["AUC", "Load average"]
    seeds = [
        [s["seed"], f"{s['train_seconds']:.2f}", f"{s['load_seconds']:.2f}", f"{s['fit_seconds']:.2f}"]
        + [_acc(s["val_accuracy"], s["val_accuracy_ci"]), f"{s['auc']:.4f}", s["load_average"][0]]
        for s in r["fast"]["per_seed"]
    ]
    speedup = f"\n\n**Speedup**, paper ÷ fast wall time: **{r['speedup']:.1f} x**." if "speedup" in r else ""
    return f"""## Training

Both presets through `core.model.train.train` (the product's code), each preset in its own
process. Wall time = a cached `core.pipeline.load_faces` + the whole `train()` call (build,
fit with a validation pass per epoch, scoring the validation set). Images/s = training
images x epochs ÷ fit seconds. Training FLOPs/image from `core.model.presets.training_flops_per_image`
(2 FLOPs per multiply-add of Conv2D and Dense layers, forward + weight gradients + input gradients,
none for the first layer's input; its docstring lists what it leaves out); the share is that rate
over numpy's matmul rate, and errs low because fit time includes the validation passes.

{table(header, rows)}{speedup}

`fast` per seed:

{table(seed_header, seeds)}"""


def _training_row(p: dict[str, Any]) -> list[Any]:
    first = p["per_seed"][0]
    several = len(p["seeds"]) > 1
    if p["extrapolated"]:
        epochs = f"{p['measured_epochs']} timed, extrapolated to {p['epochs']}"
        acc = f"after {p['measured_epochs']} epoch only: "
    else:
        epochs = f"{p['epochs']}, seed{'s' if several else ''} {', '.join(map(str, p['seeds']))}"
        lo, hi = p["val_accuracy_range"]
        acc = (
            f"mean {p['val_accuracy_mean']:.2%} (range {lo:.2%}–{hi:.2%}); seed {first['seed']}: "
            if several
            else ""
        )
    acc += f"{_acc(first['val_accuracy'], first['val_accuracy_ci'])} (n={p['val_n']})"
    wall = f"{p['train_seconds']:.1f}" + (
        " ({:.1f}–{:.1f})".format(*p["train_seconds_range"]) if several else ""
    )
    auc = f"{p['auc_mean']:.4f}" + (" ({:.4f}–{:.4f})".format(*p["auc_range"]) if several else "")
    share = p.get("flops_fraction", float("nan"))
    return [
        p["preset"],
        f"{p['image_size']}², {p['batch_size']}",
        epochs,
        wall,
        f"{p['images_per_second']:.0f}",
    ] + [
        acc,
        auc,
        f"{p['peak_rss_mb']:.0f}",
        f"{p['flops_per_image'] / 1e9:.3f}",
        f"{share:.0%}",
    ]


def _data(r: dict[str, Any]) -> str:
    rows = [
        [f"{d['image_size']}²", d["n"], f"{d['cold_seconds']:.2f}", f"{d['warm_seconds']:.3f}"]
        for d in r["data"]["by_size"].values()
    ]
    header = ["Image size", "Images", "First load, decoding (s)", "Cached load (s)"]
    return (
        "## Data\n\n`core.pipeline.load_faces` with the cache cleared (in a temporary `UNMASK_DATA_DIR`), "
        "then cached (median of 5).\n\n" + table(header, rows)
    )


def _scoring(r: dict[str, Any]) -> str:
    header = ["Preset", "Images", "Batch, first call (s)", "Batch, warm median (s)", "One image (ms)"]
    header += ["One image, model(x) (ms)"]
    rows = []
    for preset, s in r["scoring"].items():
        rows.append([preset, s["n"], f"{s['batch_first_seconds']:.3f}", f"{s['batch_seconds']:.3f}"])
        rows[-1] += [f"{s['single_image_ms']:.1f}", f"{s.get('single_image_direct_ms', float('nan')):.1f}"]
    return (
        "## Scoring\n\n`core.model.train.predict_scores` on the validation images with the trained model; "
        "one image: median of 20 calls, through `predict_scores` and calling the Keras model "
        "directly.\n\n" + table(header, rows)
    )


def _throughput(r: dict[str, Any]) -> str:
    t = r.get("throughput")
    if not t:
        return "## Streamed scoring\n\nNot measured yet: run `python -m bench.throughput --write`."
    header = ["Image size", "Images scored", "Images/s, decode included", "Whole command (s)"]
    header += ["Peak RSS (MiB)", "Load average (1, 5, 15 min)"]
    rows = [
        [f"{s['image_size']}²", s["n"], f"{s['images_per_second']:,}", f"{s['wall_seconds']:.1f}"]
        + [f"{s['peak_rss_mb']:,.0f}", ", ".join(str(x) for x in s["load_average"])]
        for s in t["by_size"].values()
    ]
    return (
        "## Streamed scoring\n\n`python -m bench.throughput`: `python -m core evaluate --data DIR "
        f"--scores-out FILE` in a child process on {t['n_images']:,} JPEGs ({t['data']}), decoded and scored "
        f"{t['chunk_size']} at a time, by a freshly built fast-preset model; {t['cores']} cores, device "
        f"{t['device']}. Images/s counts from the first chunk's decode to the last chunk's score (the "
        "command's progress line); the whole command adds TensorFlow's start-up and the model's load.\n\n"
        + table(header, rows)
        + "\n\n"
        + _training_throughput(t.get("training"))
        + _throughput_verdicts(r)
    )


def _training_throughput(t: dict[str, Any] | None) -> str:
    if not t:
        return "Training: not measured yet (`python -m bench.throughput --train --write`).\n\n"
    header = ["Preset", "Image size", "Training images", "Streamed from disk", "Images/s (1 epoch)"]
    header += ["Whole command (s)", "Peak RSS (MiB)", "Load average (1, 5, 15 min)"]
    rows = [
        [p["preset"], f"{p['image_size']}²", f"{p['n_train']:,}", "yes" if p["streamed"] else "no"]
        + [f"{p['images_per_second']:,.1f}", f"{p['wall_seconds']:.1f}", f"{p['peak_rss_mb']:,.0f}"]
        + [", ".join(str(x) for x in p["load_average"])]
        for p in t["by_preset"].values()
    ]
    return (
        f"Training, `{t['command']}` ({t['date']}): `python -m core train --epochs {t['epochs']}` in a child "
        f"process on {t['n_images']:,} JPEGs ({t['data']}); images/s is training images ÷ the run's "
        "train_seconds (its validation pass included).\n\n" + table(header, rows) + "\n\n"
    )


def _throughput_verdicts(r: dict[str, Any]) -> str:
    """Each throughput target met or missed, and by how much, from results.json's targets."""
    lines = []
    for t in r["targets"]:
        if not t["key"].startswith("throughput.") or t["met"] is None:
            continue
        limit = float(t["target"].split()[-1])
        gap = abs(t["measured"] - limit)
        said = "met" if t["met"] else f"**missed** by {fmt(gap, t['unit'])} ({gap / limit:.0%} of the target)"
        lines.append(
            f"- {t['what']}: {fmt(t['measured'], t['unit'])} against {t['target']} {t['unit']}: {said}."
        )
    return "\n".join(lines)


def _interaction(r: dict[str, Any]) -> str:
    m = r["metrics"]
    rows = [
        [
            "`core.evaluation.metrics.threshold_metrics`, AUC/EER cached as on a slider",
            m["threshold_n"],
            m["threshold_ms"],
        ],
        ["the same with new scores (AUC/EER computed)", m["threshold_n"], m["threshold_first_ms"]],
        [f"`core.evaluation.bias.group_table`, {m['groups_k']} groups", m["groups_n"], m["groups_ms"]],
    ]
    rows = [[what, n, f"{ms:.2f}"] for what, n, ms in rows]
    return "## Interaction\n\n" + table(["Recompute on a threshold move", "Scores", "Median ms"], rows)


def _app(r: dict[str, Any]) -> str:
    a = r["app"]
    rerun = "Re-run this step alone with `python -m bench.app` (prints JSON; `--write` records it)."
    if "skipped" in a:
        return f"## App\n\nLeft out: {a['skipped']}. {rerun}"
    lines = [
        f"- Server answering: {a['server_ready_seconds']:.2f} s after `streamlit run`.",
        f"- First page rendered in Chromium: **{a['first_page_seconds']:.2f} s** after `streamlit run`.",
    ]
    page = f"`{a['confusion_url']}`, new session"
    lines.append(f"- Confusion-matrix page ({page}): **{a['confusion_page_seconds']:.2f} s**.")
    if "deep_link_pages" in a:
        pages = a["deep_link_pages"]
        slowest = max(pages, key=pages.get)
        each = ", ".join(f"{name} {fmt(v, 's')}" for name, v in pages.items())
        lines.append(
            f"- Every page by a link in a new session (median of {len(a['deep_link_samples'][slowest])} "
            f"new sessions each): slowest {slowest}, **{fmt(pages[slowest], 's')}**; {each}."
        )
    if "data_filter_seconds" in a:
        times = f" {a['data_filter_changes']} times" if "data_filter_changes" in a else ""
        lines.append(
            f"- Data page, the image grid's Class filter changed{times}: median "
            f"{fmt(a['data_filter_seconds'], 's')}, slowest {fmt(a['data_filter_max_seconds'], 's')}."
        )
    if "load" in a:
        ld = a["load"]
        lines.append(
            f"- Load: {ld['sessions']} sessions moving the threshold for {ld['seconds']:.0f} s: "
            f"{ld['moves']} moves, {ld['errors']} errors, p50 {fmt(ld['p50_seconds'], 's')}, "
            f"p95 **{fmt(ld['p95_seconds'], 's')}**, max {fmt(ld['max_seconds'], 's')} "
            "(slider change -> rerun finished and painted)."
        )
    else:
        lines.append(f"- Load test: left out with {a['load_skipped']}.")
    if a.get("command"):
        lines.append(
            f"- Measured by `{a['command']}` on {a['date'][:10]}; 1-minute load average "
            f"{a['load_average'][0]} at its end."
        )
    return "## App\n\n" + "\n".join(lines) + f"\n\n{rerun}"


def _keys() -> str:
    return (
        '## results.json\n\nNested dicts: `fast.train_seconds` is `results["fast"]["train_seconds"]`. '
        "Also: `dataset`, `date`, `versions`, `machine`, `scoring`, `targets`, `mode`, `command`.\n\n"
        + table(["Key", "What"], [[f"`{k}`", what] for k, what in KEYS])
    )


def _code(r: dict[str, Any]) -> str:
    code = r.get("code")
    if not code:
        return "not recorded"
    return f"commit {code['commit']}" + (" with local changes" if code["dirty"] else "")


def _acc(rate: float, ci: list[float]) -> str:
    return f"{rate:.2%} [{ci[0]:.2%}, {ci[1]:.2%}]"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=None, help="folder holding results.json")
    out = parser.parse_args().out
    for path in [write_report(out)] if out else refresh_committed():
        print(path)


if __name__ == "__main__":
    main()
