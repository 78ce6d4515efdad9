"""The README's generated blocks: the speed table and its notes, and the presets with their trials.

Each block sits between ``<!-- bench:NAME:start ... -->`` and ``<!-- bench:NAME:end -->`` and
is rewritten whole from bench/results.json and bench/experiments.json by
:func:`update_readme` (``python -m bench``, ``python -m bench.experiments`` and
``python -m bench.report`` call it). Every figure names its JSON key; every conclusion is
generated (:mod:`bench.conclusions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.conclusions import CurrentSettings, adopted, head_change, notes, number
from bench.markdown import table
from bench.variants import preset_settings

BLOCKS = ("headline", "speed-notes", "presets")
MISSING_BLOCK = (
    "{readme} has no {name} block: put back the lines {start!r} and {end!r} where the block belongs, "
    "then re-run python -m bench.report."
)
_INIT = {"he_normal": "He-normal", "glorot_uniform": "Glorot"}


#: What writes the blocks of :func:`readme_blocks` (another module names itself, e.g. the generalization one).
SOURCE = "python -m bench.report from bench/results.json and bench/experiments.json"


def markers(name: str, *, source: str = SOURCE) -> tuple[str, str]:
    """The start and end lines of the block ``name``, written by ``source``."""
    return f"<!-- bench:{name}:start (written by {source}; do not edit) -->", f"<!-- bench:{name}:end -->"


def readme_blocks(
    results: dict[str, Any],
    experiments: dict[str, dict[str, Any]],
    *,
    current: CurrentSettings = preset_settings,
) -> dict[str, str]:
    """Every block, markers included, by name."""
    bodies = {
        "headline": headline(results),
        "speed-notes": speed_notes(results, experiments),
        "presets": presets(experiments, current=current),
    }
    return {name: "\n".join([markers(name)[0], body, markers(name)[1]]) for name, body in bodies.items()}


def update_readme(readme: Path, blocks: dict[str, str]) -> None:
    """Replace each block of ``readme`` with ``blocks[name]``.

    Raises
    ------
    ValueError
        If a block's start or end line is missing (see :data:`MISSING_BLOCK`).
    """
    text = readme.read_text(encoding="utf-8")
    for name, block in blocks.items():
        start_line, end_line = markers(name)
        start, end = text.find(start_line.split(" (")[0]), text.find(end_line)
        if start < 0 or end < start:
            raise ValueError(MISSING_BLOCK.format(readme=readme, name=name, start=start_line, end=end_line))
        text = text[:start] + block + text[end + len(end_line) :]
    readme.write_text(text, encoding="utf-8")


def targets_table(r: dict[str, Any]) -> str:
    """Each target of results.json: what, its key, the target, the measured figure, met or not."""
    rows = [
        [f"{t['what']} (`{t['key']}`)", f"{t['target']} {t['unit']}", fmt(t["measured"], t["unit"])]
        + [{True: "met", False: "**not met**", None: "not measured"}[t["met"]]]
        for t in r["targets"]
    ]
    return table(["Figure", "Target", "Measured", "Met"], rows)


def headline(r: dict[str, Any]) -> str:
    """The targets table and where its figures come from."""
    fast, paper, machine = r["fast"], r.get("paper"), r["machine"]
    timed = (
        f" `paper` was timed on {paper['measured_epochs']} epoch and extrapolated to {paper['epochs']}."
        if paper
        else " `paper` was left out (`--skip paper`)."
    )
    return "\n".join(
        [
            targets_table(r),
            "",
            f"Measured by `{r['command']}` on {r['date'][:10]}, {r['machine']['cores']} CPU cores, on "
            f"{r['dataset']['description']} ({r['dataset']['n']} images; validation n = {fast['val_n']} "
            f"per seed, seeds {', '.join(str(s) for s in fast['seeds'])}).{timed} The 1-minute load average "
            f"was {machine['load_average_start'][0]} at the start and {machine['load_average_end'][0]} "
            "at the end (other work on the machine slows every timing). Every figure, with intervals and the "
            "experiments behind the settings: [bench/RESULTS.md](bench/RESULTS.md)."
            + _throughput_note(r)
            + _app_note(r),
        ]
    )


def _throughput_note(r: dict[str, Any]) -> str:
    """Where the streamed-evaluate rows come from: their own command, date, n and load."""
    t = r.get("throughput")
    if not t:
        return ""
    loads = " and ".join(f"{s['load_average'][0]} ({side} px)" for side, s in t["by_size"].items())
    said = (
        f" The streamed-evaluate rows were measured by `{t['command']}` on {t['date'][:10]}, "
        f"n = {t['n_images']:,} images per size on {t['device']}, 1-minute load average {loads}."
    )
    training = t.get("training")
    if training:
        paper = training["by_preset"].get("paper")
        said += (
            f" The training row by `{training['command']}` on {training['date'][:10]}: 1 epoch on "
            f"{training['n_images']:,} images"
            + (f", 1-minute load average {paper['load_average'][0]}" if paper else "")
            + "."
        )
    return said


def _app_note(r: dict[str, Any]) -> str:
    """Where the app rows come from when ``python -m bench.app --write`` measured them on their own."""
    a = r.get("app") or {}
    if not a.get("command"):
        return ""
    return (
        f" The app rows were measured by `{a['command']}` on {a['date'][:10]}, 1-minute load average "
        f"{a['load_average'][0]} at its end."
    )


def speed_notes(r: dict[str, Any], experiments: dict[str, dict[str, Any]]) -> str:
    """The targets not met, what the experiments say about them, and the ``paper`` epoch's time."""
    unmet = [t for t in r["targets"] if t["met"] is False]
    lines = [
        f"**Not met: {t['what']}** (`{t['key']}`): {fmt(t['measured'], t['unit'])} against {t['target']}."
        for t in unmet
    ] or ["Every target above is met."]
    if any(t["key"] == "fast.flops_fraction" for t in unmet) and "fast_variants" in experiments:
        lines.append(_share_note(r, experiments["fast_variants"]))
    if "paper" in r and "paper_trials" in experiments:
        lines.append(_paper_epoch_note(r, experiments["paper_trials"]))
    return "\n\n".join(lines)


def _share_note(r: dict[str, Any], session: dict[str, Any]) -> str:
    """The FLOPs share of the variants that do better on it than the baseline, and their wall time.

    Shares within a session are of that session's own matmul rate, which load lowers: they
    compare with each other, not with the target, so the note gives both rates.
    """
    summary, base = session["summary"], session["summary"][session["baseline"]]
    higher = [n for n, s in summary.items() if round(s["flops_share"], 2) > round(base["flops_share"], 2)]
    where = (
        f"In `{session['command']}` ({session['date'][:10]}; shares of that session's numpy matmul rate, "
        f"{session['matmul_gflops']:.0f} GFLOP/s, against {r['machine']['numpy_matmul_gflops']:.0f} in "
        f"`python -m bench`), the baseline's share was {base['flops_share']:.0%}"
    )
    key = f"`experiments.{session['experiment']}.summary.*.flops_share`, `.relative_wall`"
    if not higher:
        return f"{where}, and no variant's was higher ({key})."
    found = "; ".join(
        f"`{n}` ({summary[n]['flops_share']:.0%}, {summary[n]['relative_wall']:.2f} x the baseline's wall "
        f"time, {'passes every seed' if summary[n]['passes_all_seeds'] else 'misses on some seed'})"
        for n in higher
    )
    return f"{where}; higher: {found} ({key})."


def _paper_epoch_note(r: dict[str, Any], session: dict[str, Any]) -> str:
    paper, trial = r["paper"], session["summary"][session["baseline"]]
    bench_epoch = paper["fit_seconds_measured"] / paper["measured_epochs"]
    load_bench = paper["per_seed"][0]["load_average"][0][0]
    return (
        f"A `paper` epoch took {bench_epoch:.0f} s in `python -m bench` (`paper.fit_seconds_measured`, "
        f"load average {load_bench}) and {trial['seconds_per_epoch_mean']:.0f} s on average over "
        f"{trial['epochs']} epochs in `{session['command']}` "
        f"(`experiments.{session['experiment']}.summary.{session['baseline']}.seconds_per_epoch_mean`, load "
        f"average {_span(trial['load_average_1min'])}): on this shared machine the speed-up moves with the "
        "load."
    )


def presets(experiments: dict[str, dict[str, Any]], *, current: CurrentSettings = preset_settings) -> str:
    """The presets table (today's settings, measured weights) and the paper trials with their notes."""
    params = _adopted_params(experiments, current=current)
    header = ["preset", "layers", "input", "weights", "optimiser"]
    rows = [_preset_row(p, current(p), params.get(p)) for p in ("paper", "fast")]
    parts = [table(header, rows)]
    sources = [f"`{key}`" for _, key in params.values()]
    parts.append(
        "Weights as Keras counts them for a model built with today's settings, stored by "
        f"`python -m bench.experiments` ({', '.join(sources) or 'not run yet'})."
    )
    if "paper_trials" in experiments:
        parts.append(_trials(experiments["paper_trials"], current=current))
    head = (
        head_change(experiments["fast_variants"], current=current) if "fast_variants" in experiments else None
    )
    parts += [head] if head else []
    return "\n\n".join(parts)


def _adopted_params(
    experiments: dict[str, dict[str, Any]], *, current: CurrentSettings
) -> dict[str, tuple[int, str]]:
    """Per preset: the weights of the variant with today's settings, and its key."""
    found = {}
    for name, session in experiments.items():
        for variant in adopted(session, current=current):
            preset = session["variants"][variant]["settings"]["preset"]
            key = f"experiments.{name}.summary.{variant}.params"
            found.setdefault(preset, (session["summary"][variant]["params"], key))
    return found


def _preset_row(preset: str, s: dict[str, Any], params: tuple[int, str] | None) -> list[str]:
    filters = s["filters"]
    if len(filters) == 1:
        blocks = f"Conv2D({filters[0]}, 3×3, ReLU) → MaxPool(2)"
    else:
        blocks = (
            f"{len(filters)} × [Conv2D(3×3, ReLU) → MaxPool(2)] with {'/'.join(map(str, filters))} filters"
        )
    head = "Flatten" if s["head"] == "flatten" else "GlobalAveragePooling"
    layers = f"{blocks} → {head} → Dense({s['units']}, ReLU) → Dense(1, sigmoid)"
    weights = _count(params[0]) if params else "not measured with today's settings"
    init = _INIT.get(s["kernel_initializer"], s["kernel_initializer"])
    name = "`fast` (default)" if preset == "fast" else f"`{preset}`"
    size = s["image_size"]
    return [name, layers, f"{size}×{size}", weights, f"Adam {number(s['learning_rate'])}, {init} init"]


def _trials(session: dict[str, Any], *, current: CurrentSettings) -> str:
    chosen = adopted(session, current=current)
    rows = []
    for name, s in session["summary"].items():
        seed = s["per_seed"][0]
        what = f"{_trial_what(session['variants'][name]['settings'])} (`{name}`)"
        accuracy = f"{seed['val_accuracy']:.2%} ({seed['val_correct']}/{seed['val_n']})"
        if name in chosen:
            what, accuracy = f"**{what}: today's `paper` preset**", f"**{accuracy}**"
        rows.append([what, s["epochs"], accuracy, f"{seed['auc']:.4f}"])
    header = ["paper design, variant", "epochs", "validation accuracy at 0.75", "AUC"]
    seeds = ", ".join(map(str, session["seeds"]))
    intro = (
        f"*Why these settings.* Trials on {session['data_description']}, seed {seeds}, "
        f"{session['cores']} cores, written by `{session['command']}` on {session['date'][:10]} "
        f"(`experiments.{session['experiment']}.summary`):"
    )
    found = "\n".join(f"- {n}" for n in notes(session, current=current))
    return f"{intro}\n\n{table(header, rows)}\n\n{found}"


def _trial_what(s: dict[str, Any]) -> str:
    """``"rescaled to 0–1, He-normal init, Adam 1e-4"`` from a variant's settings."""
    pixels = (
        "raw 0–255 pixels (no rescaling)" if s["input_scale"] == 1 else f"pixels x {number(s['input_scale'])}"
    )
    pixels = "rescaled to 0–1" if abs(s["input_scale"] - 1 / 255) < 1e-12 else pixels
    init = _INIT.get(s["kernel_initializer"], s["kernel_initializer"])
    return f"{pixels}, {init} init, Adam {number(s['learning_rate'])}"


def _span(values: list[float]) -> str:
    """``[2.5, 7.0]`` -> ``"2.5–7.0"``; one value once."""
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high}"


def _count(n: int) -> str:
    """``90_851_201`` -> ``"90.9 M"``; ``71_633`` -> ``"72 k"``."""
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def fmt(value: Any, unit: str) -> str:
    """A measured figure in its unit, for the tables (``–`` when not measured)."""
    if value is None:
        return "–"
    if unit == "x":
        return f"{value:.1f} x"
    if unit in ("s", "ms"):
        return f"{value:.2f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    if unit:  # a count or a size: images/s, MiB
        return f"{value:,.0f} {unit}"
    return f"{value:.4f}"
