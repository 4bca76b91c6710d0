"""The table printed at the end of a study: best trial, in- and out-of-sample figures, the
overfitting statistics (DSR, PBO, walk-forward efficiency) and where the files are."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from backtrader_engine.engine.job import instrument_label
from backtrader_engine.optimize.pareto_text import front_lines
from backtrader_engine.optimize.runner import OptimizationResult
from backtrader_engine.optimize.samplers import describe_sampler
from backtrader_engine.optimize.storage import mask_storage
from backtrader_engine.optimize.summary import best_params, defaults_scored, status

# (metric key, label, format) of the in-sample / out-of-sample comparison in the table.
_COMPARE_ROWS = [
    ("total_return_pct", "Total return %", "{:+.2f}"),
    ("cagr_pct", "CAGR %", "{:+.2f}"),
    ("max_drawdown_pct", "Max drawdown %", "{:.2f}"),
    ("sharpe", "Sharpe", "{:.3f}"),
    ("sortino", "Sortino", "{:.3f}"),
    ("calmar", "Calmar", "{:.3f}"),
    ("rmd", "Return / max DD", "{:.3f}"),
    ("profit_factor", "Profit factor", "{:.3f}"),
    ("win_rate_pct", "Win rate %", "{:.1f}"),
    ("trades", "Closed trades", "{}"),
    ("orders_rejected", "Orders rejected", "{}"),
]


def _fmt(value: object, fmt: str = "{:.4g}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return fmt.format(value)


def _wrap_params(params: Mapping[str, object], indent: int, width: int = 100) -> list[str]:
    lines, current = [], ""
    for item in (f"{k}={v!r}" if isinstance(v, str) else f"{k}={v:g}" if isinstance(v, float)
                 else f"{k}={v}" for k, v in params.items()):
        if current and len(current) + 1 + len(item) > width - indent:
            lines.append(current)
            current = item
        else:
            current = f"{current} {item}".strip()
    return [*lines, current] if current else ["(none)"]


def _comparison(result: OptimizationResult) -> list[str]:
    ins = result.in_sample.metrics if result.in_sample else {}
    oos = result.out_of_sample.metrics if result.out_of_sample else None
    lines = [f"  {'':<22}{'in-sample':>14}{'out-of-sample' if oos is not None else '':>16}"]
    for key, label, fmt in _COMPARE_ROWS:
        right = f"{_fmt(oos.get(key), fmt):>16}" if oos is not None else ""
        lines.append(f"  {label:<22}{_fmt(ins.get(key), fmt):>14}{right}")
    return lines


def _statistics(result: OptimizationResult) -> list[str]:
    dsr, pbo, wf = result.dsr, result.pbo, result.walk_forward
    lines = []
    if dsr:
        sharpe, luck = _fmt(dsr["sharpe"], "{:.4f}"), _fmt(dsr["expected_max_sharpe"], "{:.4f}")
        lines.append(f"DSR  {_fmt(dsr['dsr'], '{:.3f}'):>8}   deflated Sharpe: daily Sharpe "
                     f"{sharpe} vs {luck} expected from luck over {dsr['n_trials']} trials")
    else:
        lines.append("DSR       n/a   (no eligible best trial or too few daily returns)")
    if pbo:
        lines.append(f"PBO  {_fmt(pbo['pbo'], '{:.3f}'):>8}   backtest overfitting: "
                     f"{pbo['n_splits']} splits, {pbo['n_combinations']} combinations, "
                     f"{pbo['n_trials']} trials")
    else:
        lines.append("PBO       n/a   (needs at least 2 eligible trials)")
    if wf is None:
        lines.append("WFE       n/a   (no --walk-forward)")
        return lines
    stitched = wf.stitched_metrics
    if wf.efficiency is None:
        head = (f"WFE       n/a   walk-forward efficiency over {len(wf.windows)} windows: "
                f"{_why_no_efficiency(wf)}")
    else:
        head = (f"WFE  {_fmt(wf.efficiency, '{:.3f}'):>8}   walk-forward efficiency over "
                f"{len(wf.windows)} windows")
    lines.append(f"{head}; stitched test return "
                 f"{_fmt(stitched.get('total_return_pct'), '{:+.2f}')}%, max DD "
                 f"{_fmt(stitched.get('max_drawdown_pct'), '{:.2f}')}%")
    for number, w in enumerate(wf.windows, start=1):
        span = f"{w.window.test_start:%Y-%m-%d} -> {w.window.test_end:%Y-%m-%d}"
        lines.append(f"  wf{number:<3}test {span}  annualised return train "
                     f"{_fmt(w.train_return_ann, '{:+.1f}')}% / test "
                     f"{_fmt(w.test_return_ann, '{:+.1f}')}%"
                     f"{_window_note(w)}")
    return lines


def _window_note(w) -> str:
    if w.best is None:
        return "  (no eligible trial: not traded)"
    return f"  (test not run: {w.problem})" if w.problem else ""


def _sampler(job) -> str:
    options = describe_sampler(job.sampler, job.seed, job.n_jobs)
    extras = [name.replace("_", " ") for name in ("multivariate", "constant_liar")
              if options.get(name)]
    return f"{job.sampler} ({', '.join(extras)})" if extras else job.sampler


def _defaults(result: OptimizationResult) -> list[str]:
    """``defaults 0.84 (trial 0) vs best 1.31: +0.47`` and the notes about moved values."""
    doc = defaults_scored(result)
    if doc is None:
        return []
    if doc["value"] is None or doc["penalty_reason"] is not None:
        why = doc["penalty_reason"] or doc["error"] or str(doc["state"]).lower()
        text = f"not scored ({why})"
    elif isinstance(doc["values"], list) and len(doc["values"]) > 1:
        text = ", ".join(f"{v:.6g}" for v in doc["values"])  # one per --metric
    else:
        text = f"{doc['value']:.6g}"
        if doc["improvement"] is not None:
            text += f" vs best {doc['best_value']:.6g}: {doc['improvement']:+.6g}"
    lines = [f"defaults {text} (trial {doc['trial']}, the strategy's own params)"]
    notes = doc["notes"]
    lines += [f"         note: {note}" for note in (notes if isinstance(notes, list) else [])]
    return lines


def format_table(result: OptimizationResult, files: Mapping[str, Path]) -> str:
    """The summary table printed at the end of a run."""
    plan, run, counts = result.plan, result.run, result.counts
    request = plan.request
    done = run.progress.trials_done if run.progress else 0
    rate = done / run.duration if run.duration > 0 else 0.0
    # The instrument as the backtest summary names it: from the data's own facts first.
    instrument, _ = (instrument_label(plan.data_path, plan.job.backtest.symbol)
                     if request.portfolio is None
                     else (f"portfolio {request.symbol} ({request.portfolio.accounts} account"
                           f"{'' if request.portfolio.accounts == 'shared' else 's'})", None))
    goal = ("maximise" if result.pareto is None else
            ", ".join("minimise" if d == "minimize" else "maximise"
                      for d in result.pareto.directions))
    header = (f"{request.strategy.__name__}  {instrument} {request.timeframe}  study "
              f"{plan.study_name}  metric {plan.job.metric} ({goal})")
    lines = [header, "-" * len(header),
             f"status   {status(result)}; this run {done} trials in {run.duration:.1f} s "
             f"({rate:.2f}/s, {plan.job.n_jobs} worker{'' if plan.job.n_jobs == 1 else 's'}, "
             f"sampler {_sampler(plan.job)})",
             f"trials   {counts['complete']} complete ({counts['penalised']} penalised), "
             f"{counts['pruned']} pruned, {counts['failed']} failed, {len(result.trials)} in the "
             "study"]
    if result.pareto is not None:
        lines += front_lines(result.pareto, plan.job.pick)
    if result.best is None:
        lines.append(f"best     none: no complete trial reached --min-trades "
                     f"{plan.job.min_trades} with a defined {plan.job.metric}")
    else:
        check = {True: "reproduced exactly", False: "NOT reproduced", None: ""}[result.reproduced]
        first = "" if result.pareto is None else f"first pick, {plan.job.metrics[0]} "
        lines.append(f"best     {first}{result.best.value:.6g} (trial {result.best.number}, "
                     f"{check})")
        params = _wrap_params(best_params(result) or {}, 9)
        lines += [f"params   {params[0]}", *(f"         {p}" for p in params[1:])]
        lines += _comparison(result)
        if result.lookahead is not None:
            lines.append(result.lookahead.line())
    lines += _defaults(result)
    lines += _statistics(result)
    lines.append("files")
    lines += [f"  {name:<12}{path}" for name, path in files.items()]
    storage = "" if plan.job.storage is None else f" --storage {mask_storage(plan.storage)}"
    lines.append(f"continue with: --study-name {plan.study_name}{storage}"
                 f"{'' if plan.job.out is None else f' --out {plan.out_dir}'}")
    return "\n".join(line.rstrip() for line in lines)


def _why_no_efficiency(wf) -> str:
    """Why the walk-forward efficiency could not be computed, for the WFE line."""
    pairs = [(w.train_return_ann, w.test_return_ann) for w in wf.windows
             if w.best is not None]
    if not pairs:
        return "no window had an eligible trial, so none traded"
    if any(r is None or not math.isfinite(r) for pair in pairs for r in pair):
        return "a window's annualised return is undefined (a wiped-out account)"
    return ("the windows' mean annualised train return is not positive, so a test/train "
            "ratio would say nothing")
