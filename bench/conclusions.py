"""What follows from bench/experiments.json, as sentences generated from its figures.

Nothing here is typed by hand: which variant is adopted is the one whose stored settings
equal what ``core`` trains today (:func:`adopted`, by comparing), faster and slower come
from the timed ratios and :data:`bench.experiments.FASTER_THAN`, passing from
:data:`bench.experiments.MIN_ACCURACY` and ``MIN_AUC``. A later change to ``core`` that
the figures no longer describe makes these sentences say so instead of staying true by
accident. Every sentence names the experiments.json key its figures come from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.experiments import FASTER_THAN, MIN_ACCURACY, MIN_AUC, SLOWER_THAN
from bench.variants import preset_settings

Settings = dict[str, Any]
CurrentSettings = Callable[[str], Settings]


def adopted(session: dict[str, Any], *, current: CurrentSettings = preset_settings) -> list[str]:
    """The variants of ``session`` whose stored settings equal what ``core`` trains today."""
    return [
        name for name, v in session["variants"].items() if v["settings"] == current(v["settings"]["preset"])
    ]


def differences(before: Settings, after: Settings) -> dict[str, tuple[Any, Any]]:
    """The settings that differ, as ``{name: (before, after)}``.

    Examples
    --------
    >>> differences({"units": 32, "head": "flatten"}, {"units": 16, "head": "flatten"})
    {'units': (32, 16)}
    """
    return {k: (before.get(k), after.get(k)) for k in {**before, **after} if before.get(k) != after.get(k)}


def describe_differences(diffs: dict[str, tuple[Any, Any]]) -> str:
    """``"units 32 → 16, head flatten → global_average"``."""
    return ", ".join(f"{k} {_value(a)} → {_value(b)}" for k, (a, b) in sorted(diffs.items()))


def notes(session: dict[str, Any], *, current: CurrentSettings = preset_settings) -> list[str]:
    """Every conclusion the session supports, as sentences."""
    found = adoption_notes(session, current=current)
    found += speed_notes(session) + accuracy_notes(session) if session["timed"] else []
    found += one_class_notes(session) + single_change_notes(session)
    return found


def adoption_notes(session: dict[str, Any], *, current: CurrentSettings = preset_settings) -> list[str]:
    """Which variant ``core`` uses today, or that none measured here is what it uses."""
    chosen = adopted(session, current=current)
    name, key = session["experiment"], f"`experiments.{session['experiment']}.variants.*.settings`"
    if not chosen:
        base = session["variants"][session["baseline"]]["settings"]
        diffs = describe_differences(differences(base, current(base["preset"])))
        return [
            f"No variant measured in {name} has the settings `core` uses today (the baseline then → now: "
            f"{diffs}); these figures describe an earlier design: re-run `{session['command']}`."
        ]
    summary = session["summary"]
    figures = "; ".join(f"`{c}`: {_accuracy(summary[c])}" for c in chosen)
    out = [f"Adopted, because its settings ({key}) equal what `core` trains today: {figures}."]
    if session["baseline"] not in chosen:
        base = session["variants"][session["baseline"]]["settings"]
        diffs = describe_differences(differences(base, current(base["preset"])))
        out.append(f"The baseline here is not what `core` uses today (then → now: {diffs}).")
    return out


def speed_notes(session: dict[str, Any]) -> list[str]:
    """Faster and passing (the keep rule), faster but failing, and slower variants, with their ratios."""
    summary, out = session["summary"], []
    keep = [n for n, s in summary.items() if s["faster_and_passes"]]
    failing_fast = [n for n, s in summary.items() if s["faster"] and not s["passes_all_seeds"]]
    slower = sorted(
        (n for n, s in summary.items() if s["slower"]), key=lambda n: -summary[n]["relative_wall"]
    )
    rule = f"under {FASTER_THAN:g} x the baseline's wall time and passing every seed"
    if keep:
        out.append(f"Meet the keep rule ({rule}): {_ratios(summary, keep)}.")
    else:
        out.append(f"No variant meets the keep rule ({rule}).")
    if failing_fast:
        out.append(f"Faster, but missing on some seed: {_ratios(summary, failing_fast)}.")
    if slower:
        out.append(f"Slower than {SLOWER_THAN:g} x the baseline: {_ratios(summary, slower)}.")
    loads = [load for s in summary.values() for load in s["load_average_1min"]]
    if max(loads) > session["cores"]:
        out.append(
            f"Other work shared the machine: the 1-minute load average ran from {min(loads)} to {max(loads)} "
            f"on {session['cores']} cores during these runs, so each ratio carries that noise."
        )
    key = f"`experiments.{session['experiment']}.summary.*.relative_wall`"
    return [f"{sentence[:-1]} ({key})." if i == 0 else sentence for i, sentence in enumerate(out)]


def accuracy_notes(session: dict[str, Any]) -> list[str]:
    """The variants that miss the keep rule's accuracy on some seed, with their worst seed."""
    summary = session["summary"]
    missing = [n for n, s in summary.items() if not s["passes_all_seeds"]]
    if not missing:
        return [f"Every variant passes every seed ({_rule()})."]
    worst = ", ".join(
        f"`{n}` (worst seed {summary[n]['val_accuracy_min']:.2%}, AUC {summary[n]['auc_min']:.4f})"
        for n in missing
    )
    key = f"`experiments.{session['experiment']}.summary.*.val_accuracy_min`"
    return [f"Miss {_rule()} on some seed: {worst} ({key})."]


def one_class_notes(session: dict[str, Any]) -> list[str]:
    """Variants that call every validation image the same class on some seed: they learned nothing."""
    out = []
    for name, s in session["summary"].items():
        for seed in s["per_seed"]:
            if seed["val_called_real"] not in (0, seed["val_n"]):
                continue
            called = "real" if seed["val_called_real"] else "fake"
            out.append(
                f"`{name}` (seed {seed['seed']}) calls every validation image {called}: its accuracy, "
                f"{seed['val_correct']}/{seed['val_n']}, is the share of the class it always names "
                f"(the majority class has {seed['val_majority']}). Its first epoch's training loss was "
                f"{seed['first_epoch_loss']:.4g}, and {seed['hidden_units_dead']} of its "
                f"{seed['hidden_units']} hidden Dense units output 0 for every validation image "
                f"(`experiments.{session['experiment']}.summary.{name}.per_seed`)."
            )
    return out


def single_change_notes(session: dict[str, Any]) -> list[str]:
    """In an untimed experiment, for two variants that differ in one setting only, at the same epochs:
    what that change did. (A timed experiment's table already sets each variant beside the baseline.)
    """
    if session["timed"]:
        return []
    variants, summary, out = session["variants"], session["summary"], []
    names = list(variants)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            diffs = differences(variants[a]["settings"], variants[b]["settings"])
            if len(diffs) != 1 or variants[a]["epochs"] != variants[b]["epochs"]:
                continue
            out.append(
                f"Changing only {describe_differences(diffs)} (`{a}` → `{b}`, same epochs): "
                f"{_accuracy(summary[a])} → {_accuracy(summary[b])}."
            )
    return out


HEADS = {"flatten": "Flatten", "global_average": "global average pooling"}


def head_change(session: dict[str, Any], *, current: CurrentSettings = preset_settings) -> str | None:
    """The adopted design against the same design with another head (Flatten vs pooling), if measured."""
    chosen = adopted(session, current=current)
    if not chosen:
        return None
    base = session["variants"][chosen[0]]["settings"]
    for name, v in session["variants"].items():
        diffs = differences(base, v["settings"])
        if set(diffs) == {"head"}:
            ours, other = (HEADS.get(h, h) for h in diffs["head"])
            s, b = session["summary"][name], session["summary"][chosen[0]]
            key = f"`experiments.{session['experiment']}.summary`"
            return (
                f"`{base['preset']}` with {other} instead of {ours} (`{name}`): {_accuracy(s)}; with "
                f"{ours}, as `core` builds it: {_accuracy(b)} ({key})."
            )
    return None


def _accuracy(s: dict[str, Any]) -> str:
    """Accuracy at 0.75 and AUC of a variant: one seed as count/n, several as min–max over seeds."""
    seeds = s["per_seed"]
    if len({seed["seed"] for seed in seeds}) == 1:
        one = seeds[0]
        acc = f"{one['val_accuracy']:.2%} at 0.75 ({one['val_correct']}/{one['val_n']})"
        return f"{acc}, AUC {one['auc']:.4f} after {s['epochs']} epochs"
    seeds_text = ", ".join(str(x) for x in dict.fromkeys(seed["seed"] for seed in seeds))
    acc = f"{s['val_accuracy_min']:.2%}–{max(x['val_accuracy'] for x in seeds):.2%} at 0.75"
    return f"{acc}, AUC from {s['auc_min']:.4f}, over seeds {seeds_text}"


def _ratios(summary: dict[str, Any], names: list[str]) -> str:
    return ", ".join(f"`{n}` ({summary[n]['relative_wall']:.2f} x)" for n in names)


def _rule() -> str:
    return f"{MIN_ACCURACY:.1%} at 0.75 and AUC {MIN_AUC:g}"


def _value(value: Any) -> str:
    """A setting as text: ``[8, 16, 32]`` -> ``8/16/32``, ``1/255`` -> ``1/255``, ``0.001`` -> ``1e-3``."""
    if isinstance(value, list):
        return "/".join(map(str, value))
    if isinstance(value, float):
        return number(value)
    return str(value)


def number(value: float) -> str:
    """A rate or scale as written by hand.

    Examples
    --------
    >>> [number(v) for v in (1 / 255, 1e-4, 3e-3, 1.0, 0.5)]
    ['1/255', '1e-4', '3e-3', '1', '0.5']
    """
    short = f"{value:.0e}"
    if 0 < value < 0.01 and float(short) == value:
        mantissa, exponent = short.split("e")
        return f"{mantissa}e{int(exponent)}"
    if 0 < value < 0.1 and abs(1 / value - round(1 / value)) < 1e-6:
        return f"1/{round(1 / value)}"
    return f"{value:g}"
