"""PromQL expressions of the dashboards and alert rules, and the metric names they select."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from .conftest import MONITORING

#: Grafana's variables, replaced by values Prometheus accepts.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                     "$portfolio": ".*", "$strategy": ".*", "$symbol": ".*"}

_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
             "or", "unless", "offset", "inf", "nan"}


def dashboard_expressions(folder: Path = MONITORING / "grafana" / "dashboards") -> list[str]:
    """Every target expression and variable query of the committed dashboards."""
    out: list[str] = []
    for path in sorted(folder.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            out += [t["expr"] for t in panel.get("targets", [])]
        for variable in board.get("templating", {}).get("list", []):
            query = variable.get("query")
            inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query or "")
            if inner:
                out.append(inner.group(1))  # the series selector; label_values is Grafana's
    return out


def rule_expressions(path: Path = MONITORING / "alert_rules.yml") -> dict[str, str]:
    """Alert name → expression of every rule in *path*."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return {rule["alert"]: rule["expr"] for group in doc["groups"] for rule in group["rules"]}


def substitute(expr: str) -> str:
    """*expr* with Grafana's variables replaced, so Prometheus can parse it."""
    for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARIABLES[name])
    return expr


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (functions, labels and keywords left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "",
                  text)
    text = re.sub(r"\[[^\]]*\]", "", text)  # range and subquery durations
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end():].lstrip()
        if following.startswith("(") or word.lower() in _KEYWORDS:
            continue  # a function call or a keyword
        names.add(word)
    return names


def rules_file(expressions: list[str]) -> str:
    """A Prometheus rules file with one recording rule per expression (for promtool)."""
    rules = [{"record": f"check:expr_{i}", "expr": substitute(e)}
             for i, e in enumerate(expressions)]
    return yaml.safe_dump({"groups": [{"name": "expressions", "rules": rules}]})
