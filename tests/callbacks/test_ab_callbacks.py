"""The A/B Testing callbacks called as plain functions: verdicts, banners, forged values."""

from __future__ import annotations

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks import ab_testing, router
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
    """The A/B page's layout as the pages router draws it on a first visit."""
    slots = router.draw_page("/ab-testing")
    return next(slot for slot in slots if slot is not router.no_update)


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
    # Running: the intervals are confidence sequences, at the Holm level of each metric.
    for sentence in (
        "v5.3.0 raises accuracy by 0.6 points (98.75% always-valid CI −4.2 to 5.5), "
        "not significant",
        "v5.3.0 raises automation rate by 0.2 points (98.75% always-valid CI −7.9 to 8.4), "
        "not significant",
        "v5.3.0 lowers false-positive rate by 1.0 points (98.75% always-valid CI −6.9 to 8.8), "
        "not significant",
        "v5.3.0 lowers mean response time by 0.03 min (98.75% always-valid CI −0.66 to 0.73), "
        "not significant",
    ):
        assert sentence in shown["verdicts"]
    # Not significant: each verdict says what this experiment can detect, now and at the plan.
    assert shown["verdicts"].count("Detectable with 80% power") == 4
    assert "±6.1 points now, ±3.7 points at the planned 8,000 alerts" in shown["verdicts"]
    assert "Detecting a change this size" not in shown["verdicts"]
    assert shown["srm"] == ""
    assert "Guardrail flag" in shown["guardrail"]
    assert "95% always-valid interval reaches +5.7 pts" in shown["guardrail"]


def test_a_running_experiment_says_it_is_analysed_always_valid_and_why():
    shown = parts(compare_experiment("EXP-006"))
    assert "Running: always-valid analysis (confidence sequences)" in shown["summary"]
    assert "hold however often this page refreshes" in shown["summary"]
    assert "Always-valid p = 1.000" in shown["verdicts"]
    assert "asymptotic confidence sequence (Waudby-Smith et al. 2024)" in shown["table"]


def test_a_completed_experiment_keeps_the_fixed_horizon_analysis():
    shown = parts(compare_experiment("EXP-005"))
    assert "Completed: fixed-horizon analysis, one look at all its alerts" in shown["summary"]
    assert "always-valid" not in shown["verdicts"].lower()
    assert "Fixed horizon: one analysis of all alerts" in shown["table"]
    # No plan left to reach: the detectable change is the one it could find.
    assert (
        "Detectable with 80% power: ±2.2 points; a smaller true change may have been missed"
        in shown["verdicts"]
    )


def test_switching_the_experiment_changes_the_verdicts():
    default = parts(compare_experiment("EXP-006"))
    switched = parts(compare_experiment("EXP-005"))
    assert switched["verdicts"] != default["verdicts"]
    # Holm tested response time at 0.05/4, false positives at 0.05/3, automation at 0.05/2 and
    # accuracy, not significant, at 0.05: each interval is at its metric's level.
    for sentence in (
        "v5.2.1 raises automation rate by 2.9 points (97.5% CI 0.5 to 5.4), significant — an "
        "improvement",
        "v5.2.1 lowers false-positive rate by 3.1 points (98.33% CI 0.6 to 5.5), significant — "
        "an improvement",
        "v5.2.1 lowers mean response time by 0.40 min (98.75% CI 0.17 to 0.62), significant — "
        "an improvement",
        "v5.2.1 raises accuracy by 1.1 points (95% CI −0.2 to 2.5), not significant",
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


def results_of(experiment_id: str, model: str = "all"):
    comparison = experiments.experiment_comparison(experiment_id)
    return ab_testing.metric_results(
        experiments.arm_summary(comparison, model),
        experiments.response_samples(comparison, model),
        ab_testing.analysis_of(comparison),
    )


def test_significance_is_holm_adjusted_across_the_four_metrics():
    results = results_of("EXP-001")
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
            assert result["ci_low"] > 0 or result["ci_high"] < 0


@pytest.mark.parametrize(
    "model", ["all", "threat_detection", "false_positive_filter", "response_automation"]
)
def test_every_interval_shown_agrees_with_its_verdict(model):
    for experiment_id in experiments.experiment_list()["experiment_id"]:
        for result in results_of(experiment_id, model):
            excludes = result["ci_low"] > 0 or result["ci_high"] < 0
            relative = result["relative_ci_low"] > 0 or result["relative_ci_high"] < 0
            assert excludes == relative == result["significant"], (experiment_id, result)
            levels = [1 - 0.05 / tested for tested in (1, 2, 3, 4)]
            assert any(result["confidence"] == pytest.approx(level) for level in levels)


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
    outputs = ab_testing.comparison(*DEFAULT, "versions", None, "v5.1.0", "v5.0.0")
    assert "Guardrail failed" in parts(outputs)["guardrail"]
    assert "a regression" in parts(outputs)["verdicts"]
    assert "Neither version takes pilot alerts any more" in parts(outputs)["summary"]


def test_two_versions_one_of_them_in_the_running_experiment_are_compared_always_valid():
    # v5.2.1 is the running canary's control, so its pilot alerts keep arriving.
    shown = parts(ab_testing.comparison(*DEFAULT, "versions", None, "v5.2.1", "v5.1.0"))
    assert "A version is still in a running experiment" in shown["summary"]
    assert "always-valid CI" in shown["verdicts"] and "a regression" in shown["verdicts"]
    # Wider, always-valid intervals cannot yet rule the ~3-point rise in or out for sure.
    assert "Guardrail flag" in shown["guardrail"] and "always-valid" in shown["guardrail"]


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
    samples = experiments.response_samples(comparison, "all")
    results = results_of("EXP-003")
    overall = {result["metric"]: result["difference"] for result in results}
    effects = ab_testing.cumulative_effects(
        experiments.cumulative_counts(comparison, "all"),
        samples,
        {result["metric"]: 1 - result["confidence"] for result in results},
        ab_testing.analysis_of(comparison).rho,
    )
    last = effects[effects["day"] == effects["day"].max()].set_index("metric")["difference"]
    assert last.to_dict() == pytest.approx(overall)


def test_a_running_experiments_chart_ends_on_its_verdicts_intervals():
    # The day-by-day chart shows confidence sequences at each metric's verdict level: on the
    # last day they are the intervals of the verdicts.
    comparison = experiments.experiment_comparison("EXP-006")
    results, effects = ab_testing.comparison_statistics(
        comparison, "all", ab_testing.analysis_of(comparison)
    )
    last = effects[effects["day"] == effects["day"].max()].set_index("metric")
    for result in results:
        bounds = last.loc[result["metric"], ["ci_low", "ci_high"]].to_list()
        assert bounds == pytest.approx([result["ci_low"], result["ci_high"]])


def test_the_detectable_change_shrinks_towards_the_plan():
    comparison = experiments.experiment_comparison("EXP-006")
    analysis = ab_testing.analysis_of(comparison)
    assert analysis.always_valid and analysis.planned_alerts == 8000
    arms = experiments.arm_summary(comparison, "all")
    samples = experiments.response_samples(comparison, "all")
    for planned, shrinks in (((6400, 1600), True), ((2000, 500), False)):
        results = ab_testing.metric_results(arms, samples, analysis, planned)
        for result in results:
            if shrinks:
                assert result["detectable_planned"] < result["detectable_now"]
                assert result["planned_alerts"] == 8000
            else:  # a plan already reached says nothing more
                assert result["detectable_planned"] is None


def test_the_plan_of_one_model_type_is_its_share_of_the_alerts():
    comparison = experiments.experiment_comparison("EXP-006")
    analysis = ab_testing.analysis_of(comparison)
    control, treatment = ab_testing.planned_arms(comparison, "threat_detection", analysis)
    everything = experiments.arm_summary(comparison, "all")["alerts"].sum()
    shown = experiments.arm_summary(comparison, "threat_detection")["alerts"].sum()
    assert control + treatment == round(8000 * shown / everything)
    assert treatment == round((control + treatment) * 0.2)
    completed = experiments.experiment_comparison("EXP-005")
    assert ab_testing.planned_arms(completed, "all", ab_testing.analysis_of(completed)) is None


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
    rows = ab_testing.version_table(DEFAULT[1])
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
