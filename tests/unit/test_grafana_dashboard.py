"""The Grafana dashboard (deploy/grafana/streamops.json) is dashboard JSON Grafana loads, and
every metric its queries name is one the code defines: a renamed or removed metric fails
here rather than leaving an empty panel."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "streamops.json"
SOURCES = sorted([*REPO.glob("libs/*/src/**/*.py"), *REPO.glob("services/*/src/**/*.py")])

#: the series each prometheus_client type exposes, from the name given to it
_EXPOSED = {
    "Counter": lambda name: {f"{name.removesuffix('_total')}{s}" for s in ("_total", "_created")},
    "Gauge": lambda name: {name},
    "Histogram": lambda name: {f"{name}{s}" for s in ("_bucket", "_sum", "_count", "_created")},
    "Summary": lambda name: {f"{name}{s}" for s in ("", "_sum", "_count", "_created")},
    "Info": lambda name: {f"{name}_info"},
    "Enum": lambda name: {name},
}
#: the series of the project's own collectors (serving's batch-observed histogram)
_OWN = {"BatchHistogram": lambda name: {f"{name}{s}" for s in ("_bucket", "_sum", "_count")}}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPINGS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# not inside a number (1e3), a duration (5m) or a Grafana variable ($pipeline)
_WORDS = re.compile(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}
_LABEL_VALUES = re.compile(r"label_values\((?:(\w+)\s*,\s*)?\w+\)")


def defined_series() -> set[str]:
    """Every series name the metrics defined in libs/ and services/ can expose."""
    names: set[str] = set()
    for source in SOURCES:
        tree = ast.parse(source.read_text(), str(source))
        # only prometheus_client's classes: collections.Counter is called in the same code
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "prometheus_client"
            for alias in node.names
            if alias.name in _EXPOSED
        }
        exposed = {name: _EXPOSED[name] for name in imported} | _OWN
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in exposed
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names |= exposed[node.func.id](node.args[0].value)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not its functions, labels, keywords)."""
    bare = _STRINGS.sub("", expr)
    bare = _MATCHERS.sub("", bare)
    bare = _RANGES.sub("", bare)
    bare = _GROUPINGS.sub("", bare)
    return {
        word.group()
        for word in _WORDS.finditer(bare)
        if word.group() not in _KEYWORDS and not bare[word.end() :].lstrip().startswith("(")
    }


def load() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels too."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found = _LABEL_VALUES.fullmatch(variable["definition"])
            assert found, f"variable {variable['name']}: {variable['definition']}"
            if found.group(1):
                yield f"${variable['name']}", found.group(1)


def test_the_name_finder_reads_promql() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, stage) (rate(a_seconds_bucket{stage=~"x\\\\..+"}'
        "[$__rate_interval]))) / on (stage) group_left b_total offset 5m"
        ' + (max(c{pipeline="$pipeline", role="champion"}) or vector(1e3)) - time()'
    )
    assert metric_names(expr) == {"a_seconds_bucket", "b_total", "c"}


def test_the_code_defines_the_library_and_service_metrics() -> None:
    defined = defined_series()
    assert {
        "streamops_stream_records_in_total",
        "streamops_stream_batch_duration_seconds_bucket",
        "streamops_state_keys",
        "streamops_features_view_records_total",
        "streamops_monitoring_feature_drift",
        "streamops_serving_event_to_prediction_seconds_bucket",
    } <= defined
    assert "streamops_stream_records_in" not in defined


def test_every_query_names_a_defined_metric() -> None:
    defined = defined_series()
    named = {where_expr: metric_names(where_expr[1]) for where_expr in queries(load())}
    assert all(named.values()), [where for where, names in named.items() if not names]
    unknown = {where: names - defined for where, names in named.items() if names - defined}
    assert unknown == {}


def test_every_stage_of_the_pipeline_has_panels() -> None:
    used = set().union(*(metric_names(expr) for _, expr in queries(load())))
    prefixes = {name.split("_")[1] for name in used}
    assert prefixes >= {
        "ingestion",
        "validation",
        "features",
        "training",
        "serving",
        "monitoring",
        "stream",
        "state",
    }
    for wanted in (
        "streamops_stream_consumer_lag_records",
        "streamops_stream_records_dead_lettered_total",
        "streamops_monitoring_feature_drift",
        "streamops_monitoring_model_metric",
        "streamops_monitoring_open_alerts",
        "streamops_monitoring_champion_version",
    ):
        assert wanted in used


def test_the_dashboard_is_grafana_json() -> None:
    dashboard = load()
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["pipeline"]["type"] == "query"
    everything = list(panels(dashboard))
    assert len({p["id"] for p in everything}) == len(everything)
    for panel in everything:
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("h", "w", "x", "y")), panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(set(refs)) == len(refs), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            assert "$pipeline" in target["expr"], panel["title"]


def test_no_two_panels_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in panels(load()):
        grid = panel["gridPos"]
        for y in range(grid["y"], grid["y"] + grid["h"]):
            for x in range(grid["x"], grid["x"] + grid["w"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]
