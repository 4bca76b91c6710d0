"""The Pareto-front block of the summary table of a study of several metrics."""

from __future__ import annotations

import math

from backtrader_engine.optimize.pareto import ParetoFront, ParetoPoint

_ARROWS = {"maximize": "max", "minimize": "min"}


def _number(value: object) -> str:
    if not isinstance(value, int | float) or not math.isfinite(float(value)):
        return "n/a"
    return f"{value:.4g}"


def _validation(point: ParetoPoint) -> str:
    if not point.picked:
        return ""
    check = {True: "reproduced", False: "NOT reproduced", None: "not run"}[point.reproduced]
    if point.out_of_sample is not None:
        oos = " / ".join(_number(v) for v in point.out_of_sample.values)
        return f"{check}; out of sample {oos}"
    if point.out_of_sample_problem:
        return f"{check}; out of sample not run: {point.out_of_sample_problem}"
    return check


def front_lines(front: ParetoFront, pick: int | None) -> list[str]:
    """``front`` and one row per point: trial, each metric, whether picked and validated."""
    metrics = front.metrics
    goals = ", ".join(f"{m} ({_ARROWS[d]})" for m, d in zip(metrics, front.directions,
                                                                 strict=True))
    if not front.points:
        return [f"front    empty: no complete trial reached --min-trades with {goals} defined"]
    chosen = "all" if pick is None else str(pick)
    lines = [f"front    {len(front.points)} points on {goals}; {len(front.picked)} picked "
             f"(--pick {chosen})",
             f"  {'trial':>7}" + "".join(f"{m:>18}" for m in metrics)
             + "  picked  in-sample check; out-of-sample values"]
    for point in front.points:
        values = "".join(f"{_number(v):>18}" for v in point.values)
        mark = "  yes     " if point.picked else "          "
        lines.append(f"  {point.number:>7}{values}{mark}{_validation(point)}")
    return lines
