"""The line-type table (billing_portal/model/line_types.py) is the one place a line type is described: the rule
registry, the default splits, the usage-driven list, the network metric and the FOCUS units derive from it."""

import importlib

from billing_portal.allocation import AllocationConfig
from billing_portal.allocation.config import DEFAULT_SHARED_SPLITS, DEFAULT_TOPIC_SPLITS, DEFAULT_USAGE_DRIVEN
from billing_portal.allocation.registry import RULE_NAMES, RULE_OF_LINE_TYPE, rule_for
from billing_portal.model.line_types import LINE_TYPE, LINE_TYPES
from billing_portal.sidecar.focus import LINE_TYPE_UNITS, UNIT_FORMAT


def test_every_row_names_a_rule_module_and_the_registry_is_the_table():
    assert RULE_OF_LINE_TYPE == {t.line_type: t.rule for t in LINE_TYPES}
    assert len(LINE_TYPE) == len(LINE_TYPES)
    for rule in {t.rule for t in LINE_TYPES} | set(RULE_NAMES):
        assert hasattr(importlib.import_module(f"billing_portal.allocation.rules.{rule}"), "allocate"), rule


def test_default_splits_and_usage_driven_lines_come_from_the_rows():
    cfg = AllocationConfig()
    for t in LINE_TYPES:
        assert (t.line_type in DEFAULT_USAGE_DRIVEN) == t.usage_driven
        assert (t.line_type in cfg.usage_driven_line_types) == t.usage_driven
        if t.shared_split:
            s = DEFAULT_SHARED_SPLITS[t.line_type]
            assert s.method == t.shared_split.method and cfg.shared_split(t.line_type) == s
            assert s.metric == (t.shared_split.metric or "total")
        else:
            assert t.line_type not in DEFAULT_SHARED_SPLITS
        if t.topic_split:
            assert DEFAULT_TOPIC_SPLITS[t.line_type].metric == t.topic_split.metric
            assert t.product in ("KAFKA", "CLUSTER_LINK"), "topic splits exist for Kafka-cluster lines only"
        else:
            assert cfg.topic_split(t.line_type) == cfg.default_topic_split
    # the shapes of today's defaults, spelt out once as a guard against an edited row going unnoticed
    assert cfg.shared_split("KAFKA_NUM_CKUS").usage_ratio == 0.7
    assert LINE_TYPE["KAFKA_NETWORK_WRITE"].metric == "request" and LINE_TYPE["KAFKA_NETWORK_READ"].metric == "response"


def test_org_level_lines_stay_with_no_resource_unless_overridden():
    cfg = AllocationConfig()
    for t in LINE_TYPES:
        if t.org_level:
            assert rule_for(t.line_type, True, cfg) == "no_resource"
    assert rule_for("SUPPORT", True, AllocationConfig(line_type_rules={"SUPPORT": "fallback"})) == "fallback"
    assert rule_for("SOMETHING_NEW", True, cfg) == "fallback"
    assert rule_for("KAFKA_BASE", False, cfg) == "no_resource"


def test_units_conform_to_the_focus_unit_format():
    assert LINE_TYPE_UNITS and all(UNIT_FORMAT.match(u) for u in LINE_TYPE_UNITS.values())
    assert LINE_TYPE_UNITS == {t.line_type: t.unit for t in LINE_TYPES if t.unit}
