"""The A/B Testing callbacks called as plain functions: verdicts, banners, forged values."""

from __future__ import annotations

import dash
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks import ab_testing
from dashboard.data import experiments
from tests.helpers import text_of

pytestmark = pytest.mark.usefixtures("app_context")

DEFAULT = ("30d", "all", None)
FORGED_IDS = [
    "EXP-999",
    "exp-006",
    "",
    "<script>alert(1)</script>",
    "x" * 900_000,
    None,
    7,
    ["EXP-006"],
    {"experiment_id": "EXP-006"},
]
FORGED_VERSIONS = [
    ("v9.9.9", "v5.3.0"),
    ("v5.2.1", "<img src=x onerror=alert(1)>"),
    (None, "v5.3.0"),
    (["v5.2.1"], "v5.3.0"),
    ("v5.2.1", {"v": 1}),
    (5.21, 5.3),
]


def default_choice() -> tuple[str, str, str]:
    """What the picker selects when the page opens: (experiment, control, treatment)."""
    choices = ab_testing.picker_choices()
    return choices.experiment, choices.control, choices.treatment


def ab_layout():
    """The A/B page's layout as Dash's pages router renders it on a visit."""
    page = next(page for page in dash.page_registry.values() if page["path"] == "/ab-testing")
    return page["layout"]()


def compare_experiment(experiment_id, model="all", range_key="30d"):
    return ab_testing.comparison(range_key, model, None, "experiment", experiment_id, None, None)


def parts(outputs) -> dict[str, str]:
    summary, srm, guardrail, verdicts, table, _forest, _cumulative = outputs
    return {
        "summary": text_of(summary),
        "srm": "" if srm is None else text_of(srm),
        "guardrail": "" if guardrail is None else text_of(guardrail),
        "verdicts": "" if verdicts is None else text_of(verdicts),
        "table": "" if table is None else text_of(table),
    }


def test_the_picker_defaults_to_the_latest_experiment_and_its_versions():
    options, experiment, version_choices, control, _, treatment = ab_testing.comparison_choices(
        None, None, None, None
    )
    assert [option["value"] for option in options][:2] == ["EXP-006", "EXP-005"]
    assert "v5.2.1 → v5.3.0" in options[0]["label"] and "running" in options[0]["label"]
    assert (experiment, control, treatment) == ("EXP-006", "v5.2.1", "v5.3.0")
    assert [option["value"] for option in version_choices] == experiments.compared_versions()


def test_the_page_opens_with_the_default_comparison_already_chosen():
    # The layout holds the choices, so the comparison is asked for with the page's first
    # callbacks (the choices callback only runs on a refresh).
    page = ab_layout()
    assert page[ids.AB_EXPERIMENT].value == "EXP-006"
    assert page[ids.AB_EXPERIMENT].options == ab_testing.picker_choices().experiments
    assert (page[ids.AB_CONTROL].value, page[ids.AB_TREATMENT].value) == ("v5.2.1", "v5.3.0")


def test_the_page_opens_with_empty_choices_when_the_data_cannot_be_read(monkeypatch, caplog):
    def unreadable():
        raise OSError("source gone")

    monkeypatch.setattr(experiments, "experiment_list", unreadable)
    monkeypatch.setattr(experiments, "latest_experiment_id", unreadable)
    page = ab_layout()
    assert page[ids.AB_EXPERIMENT].options == [] and page[ids.AB_EXPERIMENT].value is None
    assert "could not be read" in caplog.text


def test_the_picker_keeps_a_valid_choice_and_replaces_a_forged_one():
    kept = ab_testing.comparison_choices(None, "EXP-002", "v4.1.0", "v5.0.0")
    assert (kept[1], kept[3], kept[5]) == (no_update, no_update, no_update)
    replaced = ab_testing.comparison_choices(None, "<script>", ["x"], "v0")
    assert (replaced[1], replaced[3], replaced[5]) == ("EXP-006", "v5.2.1", "v5.3.0")


def test_the_default_experiment_states_its_verdicts():
    experiment, _, _ = default_choice()
    shown = parts(compare_experiment(experiment))
    assert "EXP-006 · v5.2.1 (control) vs v5.3.0 (treatment)" in shown["summary"]
    assert "no significant change on any of the four metrics" in shown["summary"]
    assert "planned split 80/20" in shown["summary"] and "running" in shown["summary"]
    for sentence in (
        "v5.3.0 raises accuracy by 0.6 points (95% CI −2.2 to 3.1), not significant",
        "v5.3.0 raises automation rate by 0.2 points (95% CI −4.1 to 4.6), not significant",
        "v5.3.0 lowers false-positive rate by 1.0 points (95% CI −3.2 to 5.2), not significant",
        "v5.3.0 lowers mean response time by 0.03 min (95% CI −0.34 to 0.40), not significant",
    ):
        assert sentence in shown["verdicts"]
    # Not significant: each verdict says how many more alerts would settle it.
    assert shown["verdicts"].count("Detecting a change this size needs about") == 4
    assert shown["srm"] == ""
    assert "Guardrail flag" in shown["guardrail"]


def test_switching_the_experiment_changes_the_verdicts():
    default = parts(compare_experiment("EXP-006"))
    switched = parts(compare_experiment("EXP-005"))
    assert switched["verdicts"] != default["verdicts"]
    for sentence in (
        "v5.2.1 raises automation rate by 2.9 points (95% CI 0.8 to 5.1), significant — an "
        "improvement",
        "v5.2.1 lowers false-positive rate by 3.1 points (95% CI 1.1 to 5.1), significant — an "
        "improvement",
        "v5.2.1 lowers mean response time by 0.40 min (95% CI 0.22 to 0.57), significant — an "
        "improvement",
        "v5.2.1 raises accuracy by 1.1 points (95% CI −0.2 to 2.4), not significant",
    ):
        assert sentence in switched["verdicts"]
    assert "significantly better on automation rate" in switched["summary"]
    assert "Guardrail holds" in switched["guardrail"]


def test_the_experiments_give_a_mix_of_significant_and_not_significant_results():
    verdicts = [
        parts(compare_experiment(experiment_id))["verdicts"]
        for experiment_id in experiments.experiment_list()["experiment_id"]
    ]
    significant = sum(text.count("Significant improvement") for text in verdicts)
    not_significant = sum(text.count("Not significant") for text in verdicts)
    assert significant >= 10 and not_significant >= 5
    assert any("Significant improvement" in t and "Not significant" in t for t in verdicts)


def test_significance_is_holm_adjusted_across_the_four_metrics():
    comparison = experiments.experiment_comparison("EXP-001")
    arms = experiments.arm_summary(comparison, "all")
    results = ab_testing.metric_results(arms, experiments.response_samples(comparison, "all"))
    assert [result["metric"] for result in results] == [
        "accuracy",
        "automation_rate",
        "false_positive_rate",
        "response_min",
    ]
    for result in results:
        assert result["adjusted_p_value"] >= result["p_value"]
        assert result["significant"] == (result["adjusted_p_value"] < 0.05)
        if result["significant"]:
            assert result["required_per_arm"] is None


def test_a_sample_ratio_mismatch_shows_the_banner():
    shown = parts(compare_experiment("EXP-002"))
    assert "Sample ratio mismatch" in shown["srm"]
    assert "planned a 50/50 split but logged 4,158 control and 3,790 treatment" in shown["srm"]
    assert "Split check passed" not in shown["summary"]


@pytest.mark.parametrize("experiment_id", ["EXP-005", "EXP-006"])
def test_a_healthy_experiment_shows_no_srm_banner(experiment_id):
    shown = parts(compare_experiment(experiment_id))
    assert shown["srm"] == ""
    assert "Split check passed" in shown["summary"]


def test_the_srm_check_counts_the_whole_experiment_whatever_the_model_filter():
    # Randomisation ignores model type, so the banner stays when one type is shown.
    shown = parts(compare_experiment("EXP-002", model="threat_detection"))
    assert "4,158 control and 3,790 treatment" in shown["srm"]


def test_the_guardrail_flags_a_treatment_when_the_margin_is_forced_to_zero(app, monkeypatch):
    # Threat detection in EXP-001: the false-positive rate may rise by at most ~0.7 points.
    default = parts(compare_experiment("EXP-001", model="threat_detection"))
    assert "Guardrail holds" in default["guardrail"]
    monkeypatch.setitem(app.server.config, "AB_GUARDRAIL_MARGIN", 0.0)
    forced = parts(compare_experiment("EXP-001", model="threat_detection"))
    assert "Guardrail flag" in forced["guardrail"]
    assert "0.0-point margin" in forced["guardrail"]


def test_a_worse_false_positive_rate_fails_the_guardrail():
    # The older version as "treatment": its false-positive rate is ~3 points worse.
    outputs = ab_testing.comparison(*DEFAULT, "versions", None, "v5.2.1", "v5.1.0")
    assert "Guardrail failed" in parts(outputs)["guardrail"]
    assert "a regression" in parts(outputs)["verdicts"]


def test_the_model_filter_narrows_the_arms():
    everything = parts(compare_experiment("EXP-005"))["summary"]
    one_type = parts(compare_experiment("EXP-005", model="response_automation"))["summary"]
    assert "All Models · whole experiment: 4,210 control" in everything
    assert "Response Automation · whole experiment" in one_type and one_type != everything


def test_the_time_range_does_not_restrict_an_experiment():
    assert parts(compare_experiment("EXP-001", range_key="24h")) == parts(
        compare_experiment("EXP-001", range_key="all")
    )


def test_any_two_versions_are_compared_with_an_observational_warning():
    shown = parts(ab_testing.comparison(*DEFAULT, "versions", None, "v4.1.0", "v5.3.0"))
    assert "Observational comparison" in shown["summary"]
    assert "v4.1.0 (control) vs v5.3.0 (treatment)" in shown["summary"]
    assert "v5.3.0 raises accuracy by" in shown["verdicts"]
    assert shown["srm"] == ""


def test_the_same_version_twice_asks_for_two_different_ones():
    summary, srm, *_ = ab_testing.comparison(*DEFAULT, "versions", None, "v5.2.1", "v5.2.1")
    assert "Pick two different versions" in text_of(summary) and srm is None


def test_the_charts_show_every_metric_and_the_days_of_the_experiment():
    *_, forest, cumulative = compare_experiment("EXP-005")
    assert len(forest.data) == 4
    lines = [trace for trace in cumulative.data if trace.mode == "lines+markers"]
    assert len(lines) == 4 and all(len(trace.x) >= 13 for trace in lines)


def test_the_cumulative_effect_ends_at_the_overall_difference():
    comparison = experiments.experiment_comparison("EXP-003")
    arms = experiments.arm_summary(comparison, "all")
    samples = experiments.response_samples(comparison, "all")
    overall = {r["metric"]: r["difference"] for r in ab_testing.metric_results(arms, samples)}
    effects = ab_testing.cumulative_effects(
        experiments.cumulative_counts(comparison, "all"), samples
    )
    last = effects[effects["day"] == effects["day"].max()].set_index("metric")["difference"]
    assert last.to_dict() == pytest.approx(overall)


@pytest.mark.parametrize("forged", FORGED_IDS)
def test_a_forged_experiment_id_gives_no_update(forged):
    with pytest.raises(PreventUpdate):
        compare_experiment(forged)


@pytest.mark.parametrize(("control", "treatment"), FORGED_VERSIONS)
def test_forged_versions_give_no_update(control, treatment):
    with pytest.raises(PreventUpdate):
        ab_testing.comparison(*DEFAULT, "versions", None, control, treatment)


@pytest.mark.parametrize("mode", ["experiments", None, ["experiment"], 1, "<b>x</b>"])
def test_a_forged_mode_gives_no_update(mode):
    with pytest.raises(PreventUpdate):
        ab_testing.comparison(*DEFAULT, mode, "EXP-006", "v5.2.1", "v5.3.0")
    with pytest.raises(PreventUpdate):
        ab_testing.picker_visibility(mode)


@pytest.mark.parametrize(("range_key", "model"), [("365d", "all"), ("30d", "<script>"), (None, 1)])
def test_forged_filters_give_no_update(range_key, model):
    with pytest.raises(PreventUpdate):
        ab_testing.comparison(range_key, model, None, "experiment", "EXP-006", None, None)


def test_the_mode_shows_one_picker():
    experiment_style, versions_style = ab_testing.picker_visibility("experiment")
    assert versions_style == {"display": "none"} and experiment_style == {}
    experiment_style, versions_style = ab_testing.picker_visibility("versions")
    assert experiment_style == {"display": "none"} and versions_style == {}


def test_the_version_table_has_n_and_intervals_around_each_level():
    rows = ab_testing.version_table(*DEFAULT)
    assert [row["version"] for row in rows] == [
        "v4.1.0",
        "v4.2.0",
        "v5.0.0",
        "v5.1.0",
        "v5.2.1",
        "v5.3.0",
    ]
    for row in rows:
        assert row["alerts"] > 0 and row["responded"] > 0
        for field in ("accuracy", "automation_rate", "false_positive_rate", "response_min"):
            assert row[f"{field}_low"] < row[field] < row[f"{field}_high"], (row["version"], field)
    canary = rows[-1]
    # The canary's arm is a quarter the size of the others: its intervals are about twice as wide.
    width = canary["automation_rate_high"] - canary["automation_rate_low"]
    assert width > 1.5 * (rows[-2]["automation_rate_high"] - rows[-2]["automation_rate_low"])
