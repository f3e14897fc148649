"""deploy/prometheus: promtool checks and unit-tests every rule, and each rule agrees with the
conditions module the navbar's badge evaluates (name, threshold, severity, page)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dashboard.conditions import ALERTS, MIN_ALERTS_PER_HOUR, page_link

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = DEPLOY / "rules.yml"
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
PLACEHOLDERS = {"{{ $labels.instance }}": "dash:8503", "{{ $labels.model_type }}": "a_model"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    executable = shutil.which("promtool")
    if executable is None:
        pytest.fail("promtool is not installed: scripts/test installs Debian's prometheus")
    return subprocess.run(
        [executable, *args], cwd=DEPLOY, capture_output=True, text=True, timeout=120
    )


def rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_rules_and_the_example_config():
    for args in (("check", "rules", "rules.yml"), ("check", "config", "prometheus.yml")):
        checked = promtool(*args)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 12 rules found" in promtool("check", "rules", "rules.yml").stdout


def test_every_rule_passes_its_promtool_unit_tests():
    tested = promtool("test", "rules", "rules_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_rule_has_a_unit_test_that_fires_it_and_one_that_does_not():
    cases = yaml.safe_load((DEPLOY / "rules_test.yml").read_text())["tests"]
    fired, silent = set(), set()
    for case in cases:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in rules()}
    assert fired == names
    assert silent == names


def test_the_rules_are_the_conditions_the_badge_evaluates():
    assert [rule["alert"] for rule in rules()] == list(ALERTS)
    for rule in rules():
        spec = ALERTS[rule["alert"]]
        assert rule["labels"]["severity"] == spec.severity, rule["alert"]
        numbers = {float(number) for number in NUMBER.findall(rule["expr"])}
        assert float(spec.threshold) in numbers, (rule["alert"], rule["expr"])
        assert rule["annotations"]["summary"].strip(), rule["alert"]
    false_positives = next(rule for rule in rules() if rule["alert"] == "SocFalsePositiveRateHigh")
    assert f">= {MIN_ALERTS_PER_HOUR}" in false_positives["expr"]


def test_each_runbook_links_to_the_page_showing_its_condition_with_filters():
    for rule in rules():
        url = rule["annotations"]["runbook_url"]
        for placeholder, value in PLACEHOLDERS.items():
            url = url.replace(placeholder, value)
        model = (
            "a_model" if "{{ $labels.model_type }}" in rule["annotations"]["runbook_url"] else "all"
        )
        assert url == "http://dash:8503" + page_link(rule["alert"], model), rule["alert"]


def test_the_alertmanager_example_routes_every_severity_to_a_webhook():
    config = yaml.safe_load((DEPLOY / "alertmanager.yml").read_text())
    receivers = {receiver["name"]: receiver for receiver in config["receivers"]}
    for receiver in receivers.values():
        assert receiver["webhook_configs"][0]["url"].startswith("http")
    routed = {config["route"]["receiver"]}
    routed |= {route["receiver"] for route in config["route"]["routes"]}
    assert routed <= set(receivers)
    severities = {spec.severity for spec in ALERTS.values()}
    matched = {
        match.split('"')[1]
        for route in config["route"]["routes"]
        for match in route["matchers"]
        if match.startswith("severity=")
    }
    # Critical and info have routes of their own; warnings take the default receiver.
    assert severities - matched == {"warning"}
