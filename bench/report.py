"""RESULTS.md from results.json (and experiments.json): ``python -m bench.report [DIR]`` re-renders it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent

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
    ("paper.train_seconds", "paper: 1 epoch timed, extrapolated to 10 (paper.extrapolated is true)"),
    ("paper.peak_rss_mb", "paper: peak RSS of the training process (MB)"),
    ("speedup", "paper.train_seconds ÷ fast.train_seconds"),
    ("data.cold_seconds", "first load at the fast size: every image decoded, cache cleared"),
    ("data.warm_seconds", "cached load at the fast size, median of 5"),
    ("metrics.threshold_ms", "all threshold metrics for 323 scores, median over a slider sweep"),
    ("metrics.groups_ms", "per-group table for 2,000 scores, median over a slider sweep"),
    ("app.first_page_seconds", "streamlit run -> first page rendered in Chromium (absent if skipped)"),
    ("app.confusion_page_seconds", "new session -> confusion page rendered with a run (absent if skipped)"),
    ("app.load.p95_seconds", "4 sessions moving the threshold: p95 slider change -> matrix re-rendered"),
    ("machine.cores", "CPU cores"),
    ("machine.numpy_matmul_gflops", "best numpy float32 2048² matmul rate, start or end of the run"),
)
_MET = {True: "met", False: "**not met**", None: "not measured"}


def render(
    results: dict[str, Any],
    experiments: Sequence[dict[str, Any]] = (),
    artifacts: Sequence[dict[str, Any]] = (),
) -> str:
    """The whole RESULTS.md as one string."""
    from bench.artifacts_report import render_artifacts
    from bench.experiments import render_experiments

    parts = [_header(results), _headline(results), _training(results), _data(results), _scoring(results)]
    parts += [_interaction(results), _app(results), render_experiments(experiments)]
    parts += [render_artifacts(artifacts), _keys()]
    return "\n\n".join(p.strip() for p in parts) + "\n"


def write_report(out_dir: Path) -> Path:
    """Render ``out_dir/RESULTS.md`` from ``out_dir/results.json``, ``bench/experiments.json`` and
    ``bench/artifacts.json``."""
    from bench import artifacts
    from bench.experiments import OUT_FILE, read_sessions

    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    target = out_dir / "RESULTS.md"
    rendered = render(results, read_sessions(OUT_FILE), artifacts.read_sessions(artifacts.OUT_FILE))
    target.write_text(rendered, encoding="utf-8")
    return target


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _header(r: dict[str, Any]) -> str:
    m, v = r["machine"], r["versions"]
    quick = "\n> **Quick mode** (CI smoke run): tiny settings, not comparable with the targets.\n"
    return f"""# Unmask benchmark results

Written by `{r["command"]}` on {r["date"]}. Every figure below was measured in that one run,
on one machine. Re-run with `python -m bench` (a few minutes; `--quick --out DIR` for a smoke run).
{quick if r["mode"] == "quick" else ""}
- **Data:** {r["dataset"]["description"]}, {r["dataset"]["n"]} images (`{r["dataset"]["folder"]}`).
- **Machine:** {m["cores"]} cores, {m["cpu"]}; numpy float32 matmul {m["numpy_matmul_gflops"]:.0f} GFLOP/s
  (best 2048² product, start or end of the run).
- **Load average** (1, 5, 15 min) at start {m["load_average_start"]}, at end {m["load_average_end"]}:
  other work on the machine slows every timing; compare runs only at a similar load.
- **Versions:** {", ".join(f"{k} {v[k]}" for k in v)}."""


README_START = "<!-- bench:headline:start (written by python -m bench; do not edit) -->"
README_END = "<!-- bench:headline:end -->"


def readme_block(r: dict[str, Any]) -> str:
    """The README's speed section body: the headline table and where its figures come from."""
    fast, paper = r["fast"], r["paper"]
    return "\n".join(
        [
            README_START,
            _headline_table(r),
            "",
            f"Measured by `{r['command']}` on {r['date'][:10]}, {r['machine']['cores']} CPU cores, on "
            f"{r['dataset']['description']} ({r['dataset']['n']} images; validation n = {fast['val_n']} "
            f"per seed, seeds {', '.join(str(s) for s in fast['seeds'])}). `paper` was timed on "
            f"{paper['measured_epochs']} epoch and extrapolated to {paper['epochs']}. Every figure, with "
            "intervals and the experiments behind the settings: [bench/RESULTS.md](bench/RESULTS.md).",
            README_END,
        ]
    )


def update_readme(r: dict[str, Any], readme: Path) -> bool:
    """Replace the block between the README's markers with :func:`readme_block`; False if none."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    readme.write_text(text[:start] + readme_block(r) + text[end + len(README_END) :], encoding="utf-8")
    return True


def _headline(r: dict[str, Any]) -> str:
    return "## Headline\n\n" + _headline_table(r)


def _headline_table(r: dict[str, Any]) -> str:
    rows = [
        [
            f"{t['what']} (`{t['key']}`)",
            f"{t['target']} {t['unit']}",
            _fmt(t["measured"], t["unit"]),
            _MET[t["met"]],
        ]
        for t in r["targets"]
    ]
    return table(["Figure", "Target", "Measured", "Met"], rows)


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
(3 x forward multiply-adds x 2); the share is that rate over numpy's matmul rate, and errs low
because fit time includes the validation passes.

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
    rerun = "Re-run this step alone with `python -m bench.app` (prints JSON)."
    if "skipped" in a:
        return f"## App\n\nSkipped: {a['skipped']}. {rerun}"
    lines = [
        f"- Server answering: {a['server_ready_seconds']:.2f} s after `streamlit run`.",
        f"- First page rendered in Chromium: **{a['first_page_seconds']:.2f} s** after `streamlit run`.",
    ]
    if "confusion_page_seconds" in a:
        page = f"`{a['confusion_url']}`, new session"
        lines.append(f"- Confusion-matrix page ({page}): **{a['confusion_page_seconds']:.2f} s**.")
    else:
        lines.append(f"- Confusion-matrix page: skipped: {a.get('confusion_skipped')}.")
    if "load" in a:
        ld = a["load"]
        lines.append(
            f"- Load: {ld['sessions']} sessions moving the threshold for {ld['seconds']:.0f} s: "
            f"{ld['moves']} moves, {ld['errors']} errors, p50 {_fmt(ld['p50_seconds'], 's')}, "
            f"p95 **{_fmt(ld['p95_seconds'], 's')}**, max {_fmt(ld['max_seconds'], 's')} "
            "(slider change -> rerun finished and painted)."
        )
    else:
        lines.append(f"- Load test: skipped: {a.get('load_skipped')}.")
    return "## App\n\n" + "\n".join(lines) + f"\n\n{rerun}"


def _keys() -> str:
    return (
        '## results.json\n\nNested dicts: `fast.train_seconds` is `results["fast"]["train_seconds"]`. '
        "Also: `dataset`, `date`, `versions`, `machine`, `scoring`, `targets`, `mode`, `command`.\n\n"
        + table(["Key", "What"], [[f"`{k}`", what] for k, what in KEYS])
    )


def _acc(rate: float, ci: list[float]) -> str:
    return f"{rate:.2%} [{ci[0]:.2%}, {ci[1]:.2%}]"


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "x":
        return f"{value:.1f} x"
    if unit in ("s", "ms"):
        return f"{value:.2f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{value:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=BENCH_DIR, help="folder holding results.json")
    print(write_report(parser.parse_args().out))


if __name__ == "__main__":
    main()
