"""RESULTS.md's "Experiments" section from bench/experiments.json: method, a table and the notes each."""

from __future__ import annotations

from typing import Any

from bench.conclusions import notes
from bench.experiments import EXPERIMENTS, FASTER_THAN, MIN_ACCURACY, MIN_AUC, SLOWER_THAN
from bench.markdown import table


def render_experiments(experiments: dict[str, dict[str, Any]]) -> str:
    """The section for every experiment stored (and how to run those that are not)."""
    method = (
        "`python -m bench.experiments` trains variants of a preset, each run a fresh process, one round "
        "per seed; wall = cached data load + `train()`. In a *timed* experiment the baseline runs twice "
        'per round and the others in an order rotated each round; "÷ baseline" is the median over rounds '
        "of the run's time over the same round's baseline, because only runs close in time compare while "
        f"the machine is shared (load average beside each). A variant is kept only if under {FASTER_THAN:g} "
        f"x baseline wall and at least {MIN_ACCURACY:.1%} accuracy at 0.75 and AUC {MIN_AUC:g} on every "
        f"seed; over {SLOWER_THAN:g} x it is called slower. Every note below is generated from the figures "
        "(`bench/conclusions.py`): *adopted* means the variant's stored settings equal what `core` trains "
        "today. Re-run one experiment with `python -m bench.experiments --only NAME`."
    )
    parts = [f"## Experiments\n\n{method}"]
    for name, experiment in EXPERIMENTS.items():
        if name in experiments:
            parts.append(_experiment(experiments[name]))
        else:
            command = f"python -m bench.experiments --only {name}"
            parts.append(f"### {name}\n\n{experiment.question} Not run yet: `{command}`.")
    return "\n\n".join(parts)


def _experiment(session: dict[str, Any]) -> str:
    seeds = ", ".join(map(str, session["seeds"]))
    code = session["code"]
    commit = f"commit {code['commit'][:10]}{' with local changes' if code['dirty'] else ''}"
    where = (
        f"`{session['command']}` on {session['date']}, {session['data_description']} (`{session['data']}`), "
        f"seeds {seeds}; {session['cores']} cores, {commit}; load average (1, 5, 15 min) "
        f"{session['load_average_start']} at the start, {session['load_average_end']} at the end; "
        f"numpy matmul {session['matmul_gflops']:.0f} GFLOP/s. "
        f"Figures: `experiments.{session['experiment']}`."
    )
    rows = _timed_table(session) if session["timed"] else _trials_table(session)
    found = "\n".join(f"- {n}" for n in notes(session))
    return f"### {session['experiment']}: {session['question']}\n\n{where}\n\n{rows}\n\n{found}"


def _timed_table(session: dict[str, Any]) -> str:
    header = ["Variant", "What", "Wall s, mean (range)", "÷ baseline, wall", "÷ baseline, CPU"]
    header += ["Share of matmul rate", "Val acc at 0.75, min / mean", "AUC, min", "Passes all seeds"]
    header += ["Load avg (1 min)"]
    rows = []
    for name, s in session["summary"].items():
        rows.append(
            [f"`{name}`", session["variants"][name]["description"]]
            + ["{:.1f} ({:.1f}–{:.1f})".format(s["wall_mean"], *s["wall_range"])]
            + [_ratio(s["relative_wall"]), _ratio(s["relative_cpu"]), f"{s['flops_share']:.0%}"]
            + [f"{s['val_accuracy_min']:.2%} / {s['val_accuracy_mean']:.2%}", f"{s['auc_min']:.4f}"]
            + ["yes" if s["passes_all_seeds"] else "**no**", "{}–{}".format(*s["load_average_1min"])]
        )
    return table(header, rows)


def _trials_table(session: dict[str, Any]) -> str:
    header = ["Variant", "What", "Epochs", "Seed", "Val acc at 0.75 (correct/n)", "AUC", "Called real"]
    header += ["First-epoch loss", "Dead hidden units", "s / epoch", "Weights"]
    rows = []
    for name, s in session["summary"].items():
        for seed in s["per_seed"]:
            rows.append(
                [f"`{name}`", session["variants"][name]["description"], s["epochs"], seed["seed"]]
                + [
                    f"{seed['val_accuracy']:.2%} ({seed['val_correct']}/{seed['val_n']})",
                    f"{seed['auc']:.4f}",
                ]
                + [f"{seed['val_called_real']}/{seed['val_n']}", f"{seed['first_epoch_loss']:.4g}"]
                + [
                    f"{seed['hidden_units_dead']}/{seed['hidden_units']}",
                    f"{s['seconds_per_epoch_mean']:.1f}",
                ]
                + [f"{s['params']:,}"]
            )
    return table(header, rows)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
