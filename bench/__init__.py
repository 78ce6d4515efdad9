"""Unmask's benchmark: ``python -m bench`` measures training, data, scoring, metrics and the app.

Every figure in ``bench/RESULTS.md`` and ``bench/results.json`` comes from one run on one
machine (``python -m bench --quick --out DIR`` is the CI smoke run), except the experiments
section, from ``bench/experiments.json``. Modules, one per concern:

``suite``           what one run measures (a Plan) and in which order
``datasource``      which data: the real Hard set beside the checkout, else the demo set
``machine``         cores, versions, numpy's float32 matrix-multiply rate
``timing``          small timing helpers (seconds, median, load average)
``worker``          one training process: trains seeds, times scoring, reports its peak RSS
``training``        runs workers per preset, summarises seeds (mean, range, extrapolation, FLOPs)
``variants``        the knobs an experiment turns on a preset, and a variant's full settings
``data``            first (decoding) and cached load of a data set
``interaction``     threshold metrics and the per-group table, recomputed as on a slider move
``app``             the dashboard in Chromium: first page, confusion-matrix page
``load``            concurrent browser sessions moving the threshold slider
``targets``         the targets, as data, and whether a result meets them
``report``          RESULTS.md from results.json and experiments.json (``python -m bench.report``)
``readme``          the README's generated blocks (speed table and notes, presets and trials)
``markdown``        Markdown tables
``experiments``     ``python -m bench.experiments [--only NAME]``: variants of a preset, by experiment
``conclusions``     the notes on the experiments, generated from their figures
``experiment_tables`` RESULTS.md's experiments section
``bench_datasets``  ``python -m bench.bench_datasets``: decoding serial vs threads vs processes
``generalization``  ``python -m bench.generalization``: the fast preset on other sources and under probes
"""
