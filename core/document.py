"""The one-file report of a run: ``python -m core report`` and the Overview's button.

:func:`gather` collects the numbers (through :mod:`core.pipeline`, as the app shows them);
:func:`to_html` lays them out as one self-contained HTML file: styles inline, every chart an
SVG drawn by vl-convert (what Altair uses to save charts) and embedded as a data URI, no
script and nothing fetched from anywhere. :func:`write_report` writes it, or a PDF of it
(WeasyPrint) when the file name ends in ``.pdf``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core import pipeline
from core.errors import REPORT_BAD_SUFFIX, ConfigError, UnmaskError
from core.evaluation import charts, thresholds
from core.evaluation.bias import GroupTable, group_table
from core.evaluation.metrics import ThresholdMetrics, threshold_metrics
from core.evaluation.report import bias_rows, ci_text, metric_rows, pct, train_summary
from core.labels import PAPER
from core.runs import bias_store, store

STUDY = (
    "Unmask tells real face photos from AI-generated ones and shows how well it does and for whom, "
    f"following the study <em>AI Betrays AI</em> (Mao et al.): a small convolutional network trained on "
    f"{PAPER['dataset']}, judged on a held-out quarter ({PAPER['n_val']} images in the paper, which reports "
    f"{pct(PAPER['val_accuracy_reported'], 2)} validation accuracy at threshold {PAPER['threshold']:g}), "
    f"then given {PAPER['bias_per_group']} real faces per race group to count how many it calls fake. "
    "Labels: real = 1, fake = 0; the model's score is P(real); an image is called real when its score is "
    "above the threshold. Every share below has its count, its n and its 95% (Wilson) interval."
)
CAVEAT = (
    "These numbers hold for images like the validation images: the same source, framing, size and "
    "compression as the training data. They are not evidence that the model detects AI-generated faces in "
    "general. Models this small learn shortcuts of their training set (where the face sits in the frame, "
    "its pixel scale, its JPEG setting): real photos framed differently can be called fake, and fakes "
    "from another generator, cropped or resized, can pass as real. Judge a detector on both classes from "
    "the same new source before trusting it there."
)
NO_BIAS_DATA = (
    "No bias check: run {run_id}'s data ({name}) carries no group attribute. Give a folder of faces with "
    "groups from a matching source (e.g. UTKFace) with --bias-data, or the Bias page's folder in the app."
)
_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1f2933; margin: 2em auto;
       max-width: 60em; line-height: 1.45; font-size: 11pt; }
h1 { font-size: 20pt; margin-bottom: 0.2em; } h2 { font-size: 14pt; margin-top: 1.6em;
     border-bottom: 1px solid #c9d2dc; } table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #c9d2dc; padding: 3px 7px; text-align: left; vertical-align: top;
         font-size: 9.5pt; } th { background: #f3f6f9; } .caveat { background: #fff6e0;
         border-left: 4px solid #e0a800; padding: 0.6em 1em; } .muted { color: #52606d; font-size: 9.5pt; }
figure { margin: 0.8em 0; page-break-inside: avoid; } figure img { max-width: 100%; }
figcaption { color: #52606d; font-size: 9.5pt; } .row { display: flex; gap: 1em; flex-wrap: wrap; }
@page { size: A4; margin: 1.5cm; }
"""


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, computed; :func:`to_html` only lays it out."""

    info: store.RunInfo
    run: store.Run
    metrics: ThresholdMetrics
    roc: pd.DataFrame | None
    pr: pd.DataFrame | None
    bias: GroupTable | None
    bias_note: str
    stress: list[tuple[str, pd.DataFrame]]  # (sentence, probe table) per kept stress result, newest first
    fingerprint: str
    created: str


def gather(
    run_id: str,
    *,
    threshold: float | None = None,
    bias_data: str | os.PathLike[str] | None = None,
    attribute: str | None = None,
    per_group: int = 100,
    seed: int = 0,
) -> ReportData:
    """Compute what the report of ``run_id`` shows.

    Parameters
    ----------
    run_id : str
    threshold : float, optional
        Default: the run's own.
    bias_data : path, optional
        Faces with group attributes. Default: the run's latest saved bias check (the Bias page's,
        :mod:`core.runs.bias_store`); else the run's own data when its images carry groups (its
        validation images, scored already; see :func:`core.pipeline.default_bias_folder`);
        otherwise the report says why it has no bias check.
    attribute, per_group, seed
        As for ``python -m core bias``.

    Raises
    ------
    UnmaskError
        If the run or the bias data cannot be read.
    """
    run = store.load_run(run_id)
    t = run.info.threshold if threshold is None else threshold
    labels, scores = run.scores["label"], run.scores["score"]
    m = threshold_metrics(labels, scores, threshold=t)
    try:
        roc, pr = thresholds.roc_points(labels, scores), thresholds.pr_points(labels, scores)
    except UnmaskError:  # one class only: the metrics table says why the curves are undefined
        roc = pr = None
    saved = bias_store.latest_bias(run_id) if bias_data is None else None
    if saved is not None:
        frame = saved.scores
        bias = group_table(frame["label"], frame["score"], frame[saved.attribute], threshold=t)
        note = (
            f"The run's latest saved bias check: {saved.name}, up to {saved.per_group} faces per "
            f"{saved.attribute} (seed {saved.seed}), recomputed at threshold {t:g}."
        )
    else:
        options = {"attribute": attribute, "threshold": t, "per_group": per_group, "seed": seed}
        bias, note = _bias_on_folder(run, bias_data, **options)
    created = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    stress = stress_results(run_id)
    return ReportData(run.info, run, m, roc, pr, bias, note, stress, fingerprint(run), created)


def _bias_on_folder(
    run: store.Run, data: Any, *, attribute: str | None, threshold: float, per_group: int, seed: int
) -> tuple[GroupTable | None, str]:
    """The bias table on ``data`` (default: the run's own data, if it has groups), or why there is none."""
    run_id = run.run_id
    folder = data if data is not None else pipeline.default_bias_folder(run_id)
    if folder is None:
        name = run.info.config.get("dataset", {}).get("name", "?")
        return None, NO_BIAS_DATA.format(run_id=run_id, name=name)
    bias = pipeline.bias_table(
        run_id, data=folder, attribute=attribute, threshold=threshold, per_group=per_group, seed=seed
    )
    pool = pipeline.bias_pool(run_id, data=folder)
    used = "its validation images, as the run scored them" if pool.validation_only else "scored now"
    return bias, f"{pool.name}, up to {per_group} faces per {bias.attribute} (seed {seed}), {used}."


def fingerprint(run: store.Run) -> str:
    """The data's fingerprint: the run's own (``config["fingerprint"]``) or SHA-256 of its validation list.

    The list is every validation image's path and label, one ``path,label`` line each, in the
    stored order: the same images give the same fingerprint, whatever their folder is called.
    """
    stored = run.info.config.get("fingerprint") or run.info.config.get("dataset", {}).get("fingerprint")
    if stored:
        return str(stored)
    lines = "\n".join(f"{p},{y}" for p, y in zip(run.scores["path"], run.scores["label"], strict=True))
    digest = hashlib.sha256(lines.encode("utf-8", "surrogateescape")).hexdigest()
    return f"sha256:{digest[:16]} of the {len(run.scores)} validation images' paths and labels"


def stress_results(run_id: str) -> list[tuple[str, pd.DataFrame]]:
    """The run's kept stress results (:func:`core.stress_test.stored_stress`), newest first.

    Each is the framing verdict in words and a table of the probes: n, accuracy and the calls
    that flipped, each share with its 95% interval.
    """
    from core.evaluation.stress import framing_sentence
    from core.stress_test import stored_stress

    found = []
    for summary, report, _verdict in stored_stress(run_id):
        name = summary.get("data", {}).get("name", "?")
        sentence = framing_sentence(report, data_name=name) or f"Probes on {name}."
        found.append((sentence, _probe_rows(report.table())))
    return found


def _probe_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A probe table in words: each share with its 95% interval."""
    accuracy = zip(table["accuracy"], table["accuracy_ci_low"], table["accuracy_ci_high"], strict=True)
    flips = zip(table["flips"], table["flip_rate"], table["flip_ci_low"], table["flip_ci_high"], strict=True)
    return pd.DataFrame(
        {
            "probe": table["probe"],
            "n": table["n"],
            "accuracy (95% CI)": [f"{pct(r)} ({ci_text(lo, hi)})" for r, lo, hi in accuracy],
            "calls flipped (95% CI)": [f"{int(k)}: {pct(r)} ({ci_text(lo, hi)})" for k, r, lo, hi in flips],
        }
    )


def svg_data_uri(chart: Any) -> str:
    """An Altair chart as an SVG data URI, drawn offline by vl-convert (Altair's own ``save``)."""
    buffer = io.StringIO()
    chart.save(buffer, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")


def to_html(data: ReportData) -> str:
    """The report as one self-contained HTML page (no script, no remote resource)."""
    info, m = data.info, data.metrics
    s = train_summary(info)
    title = f"Unmask report: run {info.label}"
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">Written {_e(data.created)} by <code>python -m core report</code>.</p>',
        f"<h2>The study</h2><p>{STUDY}</p>",
        f'<div class="caveat"><strong>How far these numbers go.</strong> {_e(CAVEAT)}</div>',
        "<h2>The run</h2>",
        f"<p>{_e(info.note)}</p>" if info.note else "",
        _table(_settings(info, s, data.fingerprint)),
        "<h2>Every metric</h2>",
        f"<p>At threshold {m.threshold:g}, on the run's {m.n} validation images ({m.n_real} real, "
        f"{m.n_fake} fake).</p>",
        _table(metric_rows(m)),
        "<h2>Calls and mistakes</h2>",
        _figure(
            charts.confusion_heatmap(m).properties(width=280, height=200),
            f"At {m.threshold:g}: of {m.n_real} real faces, {m.tp} called real and {m.fn} flagged as fake; "
            f"of {m.n_fake} fakes, {m.fp} passed as real and {m.tn} called fake (n = {m.n}).",
        ),
        _curves(data),
        _figure(
            charts.score_histogram(
                data.run.scores["label"], data.run.scores["score"], threshold=m.threshold
            ).properties(width=560, height=200),
            "Scores per actual class; the dashed line is the threshold.",
        ),
        _training(data.run),
        "<h2>Who gets flagged: bias by group</h2>",
        _bias(data),
        "<h2>Stress tests</h2>",
        _stress(data.stress),
    ]
    body = "\n".join(p for p in parts if p)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def problem_page(run_id: str, problem: str) -> str:
    """A one-paragraph page in place of a report that could not be made: says why."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>No report</title></head>'
        f"<body><h1>No report of run {_e(run_id)}</h1><p>{_e(problem)}</p></body></html>\n"
    )


def write_report(run_id: str, out: str | os.PathLike[str], **options: Any) -> Path:
    """Write the report of ``run_id`` to ``out``: HTML, or PDF when ``out`` ends in ``.pdf``.

    ``options`` go to :func:`gather`.

    Raises
    ------
    ConfigError
        If ``out`` ends in neither ``.html`` nor ``.pdf``.
    UnmaskError
        If the run or the bias data cannot be read.
    """
    path = Path(out).expanduser()
    if path.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise ConfigError(REPORT_BAD_SUFFIX.format(path=str(path)))
    page = to_html(gather(run_id, **options))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".pdf":
        path.write_bytes(to_pdf(page))
    else:
        path.write_text(page, encoding="utf-8")
    return path


def to_pdf(page: str) -> bytes:
    """The HTML report as PDF bytes (WeasyPrint; nothing is fetched: the page holds everything)."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    # data: URIs only, so a name or note that smuggled a link in could not make it fetch anything.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=page, url_fetcher=fetcher).write_pdf()


def _settings(info: store.RunInfo, s: dict[str, Any], fingerprint_text: str) -> pd.DataFrame:
    c, d = info.config, info.config.get("dataset", {})
    rows = [
        ("run", info.run_id),
        ("name", info.name or "—"),
        ("status", f"{info.status}, {s['epochs_done']} of {s['epochs']} epochs"),
        ("data", f"{d.get('name', '?')} ({d.get('n', '?')} images) at {d.get('root', '?')}"),
        ("data fingerprint", fingerprint_text),
        ("training / validation images", f"{s['n_train']} / {s['n_val']}"),
        ("preset, image size", f"{c.get('preset')}, {c.get('image_size')} px"),
        ("batch size, learning rate", f"{c.get('batch_size')}, {c.get('learning_rate')}"),
        ("validation share, seed", f"{c.get('val_fraction')}, {c.get('seed')}"),
        ("augmentation", "on" if c.get("augment") else "off"),
        ("threshold the run was judged at", f"{info.threshold:g}"),
        ("training time", f"{s['train_seconds']} s"),
    ]
    return pd.DataFrame(rows, columns=["setting", "value"])


def _curves(data: ReportData) -> str:
    m = data.metrics
    if data.roc is None or data.pr is None:
        return "<p>No ROC or precision-recall curve: the validation images hold one class only.</p>"
    roc = charts.roc_chart(data.roc, current=(m.passed_real_rate.rate, m.recall)).properties(
        width=300, height=260
    )
    pr = charts.pr_chart(data.pr, current=(m.recall, m.precision)).properties(width=300, height=260)
    return (
        '<div class="row">'
        + "".join(
            [
                _figure(roc, f"ROC curve; the red point is the threshold. AUC {m.roc_auc:.3f}, n = {m.n}."),
                _figure(
                    pr, f"Precision-recall (real is positive). Average precision {m.average_precision:.3f}."
                ),
            ]
        )
        + "</div>"
    )


def _training(run: store.Run) -> str:
    try:
        chart = charts.training_curves(run.history)
    except UnmaskError:
        return ""
    return "<h2>Training</h2>" + _figure(chart, f"Loss and accuracy per epoch ({len(run.history)} epochs).")


def _bias(data: ReportData) -> str:
    if data.bias is None:
        return f"<p>{_e(data.bias_note)}</p>"
    chart = charts.group_bars(data.bias, reference_rate=PAPER["bias_flagged_fake_rate_below"])
    caption = "Share of real faces flagged as fake per group, with 95% intervals; red: the paper's 15%."
    notes = "".join(f"<li>{_e(n)}</li>" for n in data.bias.notes)
    return (
        f"<p>{_e(data.bias_note)}</p>"
        + _figure(chart.properties(width=520, height=260), caption)
        + _table(bias_rows(data.bias))
        + (f"<ul>{notes}</ul>" if notes else "")
    )


def _stress(results: list[tuple[str, pd.DataFrame]]) -> str:
    if not results:
        return "<p>No stress-test results are stored with this run (the app's Stress test keeps them).</p>"
    return "".join(f"<p>{_e(sentence)}</p>" + _table(rows) for sentence, rows in results)


def _figure(chart: Any, caption: str) -> str:
    image = f'<img alt="{_e(caption)}" src="{svg_data_uri(chart)}">'
    return f"<figure>{image}<figcaption>{_e(caption)}</figcaption></figure>"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, na_rep="—", border=0)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)
