"""Every page in headless Chromium: by nav link and direct URL, filters, links that reproduce."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from benchmarks.perf import SETTLED
from dashboard import create_app, ids
from tests.conftest import testing_config
from tests.unit.test_plotly_bundle import bundle_version

pytestmark = pytest.mark.browser

PAGES = {
    "/": ids.OV_IMPACT_CHART,
    "/training": ids.TR_ACCURACY,
    "/ab-testing": ids.AB_TRENDS,
    "/data-quality": ids.DQ_TRENDS,
    "/resources": ids.RS_UTILISATION,
}

PLOTTED_POINTS = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!graph || !graph.calcdata) { return -1; }
// calcdata holds the points Plotly computed, whatever encoding the figure arrived in.
const drawn = (points) => points.filter(p => p.y !== undefined || p.z !== undefined).length;
return graph.calcdata.reduce((n, points) => n + drawn(points), 0);
"""
MARKER_POINTS = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!graph || !graph.calcdata) { return -1; }
const drawn = (points) => points.filter(p => p.y !== undefined).length;
return graph.calcdata.reduce(
  (n, points, index) => graph._fullData[index].mode === 'markers' ? n + drawn(points) : n, 0);
"""
SUBTITLE = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return graph && graph.layout && graph.layout.title && graph.layout.title.subtitle
    ? graph.layout.title.subtitle.text : null;
"""


@pytest.fixture
def dashboard(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    return dash_duo


SCROLL_TO = "document.getElementById(arguments[0]).scrollIntoView({block: 'center'});"


def drawn_in_view(duo, graph_id: str) -> bool:
    # Scrolled to again on every look: content arriving above may push the chart away.
    duo.driver.execute_script(SCROLL_TO, graph_id)
    return duo.driver.execute_script(PLOTTED_POINTS, graph_id) > 0


def see(duo, section_id: str, timeout: float = 20) -> None:
    """Scrolls to a section below the fold until the page has seen it (and asked for it)."""
    duo.wait_for_element(f"#{section_id}", timeout=timeout)
    seen = "return document.getElementById(arguments[0]).dataset.seen === 'yes';"
    duo._wait_for(
        lambda driver: driver.execute_script(SCROLL_TO + seen, section_id),
        timeout=timeout,
        msg=f"{section_id} was never seen",
    )


def click_nav(duo, path: str) -> None:
    """Clicks the nav link to `path`, from wherever the page is scrolled."""
    link = duo.find_element(f"a.nav-link[href^='{path}?']")
    duo.driver.execute_script("window.scrollTo(0, 0); arguments[0].click();", link)


def wait_for_chart(duo, graph_id: str, timeout: float = 20) -> None:
    """Scrolls to the chart (one below the fold is drawn once seen) and waits for its data."""
    duo.wait_for_element(f"#{graph_id}", timeout=timeout)
    duo._wait_for(
        lambda _driver: drawn_in_view(duo, graph_id),
        timeout=timeout,
        msg=f"{graph_id} never drew data",
    )


def subtitle(duo, graph_id: str) -> str:
    return duo.driver.execute_script(SUBTITLE, graph_id) or ""


def wait_for_subtitle(duo, graph_id: str, text: str, timeout: float = 20) -> None:
    duo._wait_for(
        lambda _driver: text in subtitle(duo, graph_id),
        timeout=timeout,
        msg=f"{graph_id} subtitle never showed {text!r}: {subtitle(duo, graph_id)!r}",
    )


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_opens_by_direct_url_with_charts_and_no_console_errors(dashboard, path):
    dashboard.wait_for_page(url=f"{dashboard.server_url}{path}")
    wait_for_chart(dashboard, PAGES[path])
    assert dashboard.get_logs() == []


def test_every_page_opens_by_its_nav_link(dashboard):
    dashboard.wait_for_page(url=dashboard.server_url)
    wait_for_chart(dashboard, PAGES["/"])
    for path, graph_id in [*list(PAGES.items())[1:], ("/", PAGES["/"])]:
        click_nav(dashboard, path)
        wait_for_chart(dashboard, graph_id)
        assert dashboard.driver.current_url.split("?")[0].endswith(path)
    assert dashboard.get_logs() == []


def test_changing_each_filter_changes_the_figures_and_the_link(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training")
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "All Models · Last 30 Days")
    assert "band: lowest to highest" in subtitle(dashboard, ids.TR_ACCURACY)
    banded = dashboard.driver.execute_script(MARKER_POINTS, ids.TR_ACCURACY)
    Select(dashboard.find_element(f"#{ids.RANGE}")).select_by_value("7d")
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "All Models · Last 7 Days")
    # A week holds few enough sessions to draw each as a dot.
    assert "band" not in subtitle(dashboard, ids.TR_ACCURACY)
    assert dashboard.driver.execute_script(MARKER_POINTS, ids.TR_ACCURACY) > banded
    Select(dashboard.find_element(f"#{ids.MODEL}")).select_by_value("threat_detection")
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "Threat Detection · Last 7 Days")
    assert "range=7d" in dashboard.driver.current_url
    assert "model=threat_detection" in dashboard.driver.current_url
    assert dashboard.get_logs() == []


def test_filters_survive_navigation_and_a_link_reproduces_the_view(dashboard):
    link = f"{dashboard.server_url}/resources?range=7d&model=incident_classification"
    dashboard.wait_for_page(url=link)
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "Incident Classification · Last 7 Days")
    assert (
        Select(dashboard.find_element(f"#{ids.RANGE}")).first_selected_option.get_attribute("value")
        == "7d"
    )
    dashboard.find_element("a.nav-link[href^='/training?']").click()
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "Incident Classification · Last 7 Days")
    dashboard.driver.refresh()
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "Incident Classification · Last 7 Days")
    assert dashboard.get_logs() == []


def test_an_unknown_filter_in_the_link_falls_back_with_a_message(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/?range=forever")
    dashboard.wait_for_contains_text(f"#{ids.FILTER_ERROR}", "unknown time range 'forever'")
    wait_for_subtitle(dashboard, ids.OV_IMPACT_CHART, "Last 30 Days")
    assert dashboard.get_logs() == []


def test_an_unknown_path_shows_the_not_found_page(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/no-such-report")
    dashboard.wait_for_contains_text(f"#{ids.page_slot(ids.NOT_FOUND)}", "Page not found")
    assert dashboard.get_logs() == []


def test_selecting_a_session_drills_down(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training?range=7d")
    wait_for_chart(dashboard, ids.TR_DETAIL_CURVES)
    cells = dashboard.find_elements(
        f"#{ids.TR_SESSIONS} .ag-row[row-index='2'] .ag-cell[col-id='run_name']"
    )
    run_name = cells[0].text
    # The row may sit below the fold of the headless window; a DOM click selects it all the same.
    dashboard.driver.execute_script("arguments[0].click()", cells[0])
    dashboard.wait_for_contains_text(f"#{ids.TR_DETAIL_TITLE}", run_name)
    assert dashboard.get_logs() == []


HOW_CHARTS_WERE_DRAWN = """
const sides = ['l', 'r', 't', 'b'];
return {
    version: window.Plotly && window.Plotly.version,
    fullBundle: performance.getEntriesByType('resource')
        .filter(entry => entry.name.includes('plotly.min.js')).map(entry => entry.name),
    charts: Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
        id: gd.parentElement.id,
        unknownTraces: gd._fullData.filter(trace => !trace._module).map(trace => trace.type),
        // A margin wider than the figure asked for means Plotly drew the chart twice.
        grown: sides.filter(side => Math.round(gd._fullLayout._size[side])
            > gd._fullLayout.margin[side]),
    })),
};
"""


def test_charts_are_drawn_once_by_the_vendored_cartesian_bundle(dashboard):
    """Plotly comes from assets/vendor (1.5 MB, not plotly.py's 4.8 MB), knows every trace,
    and each chart reserves the room its legend and labels need at the width the benchmark
    draws at, so Plotly does not draw it a second time with wider margins."""
    dashboard.driver.set_window_size(1600, 1200)
    dashboard.wait_for_page(url=dashboard.server_url)
    for path in PAGES:
        click_nav(dashboard, path)
        wait_for_chart(dashboard, PAGES[path])
        dashboard._wait_for(
            lambda _driver: dashboard.driver.execute_script(SETTLED),
            timeout=20,
            msg=f"charts of {path} never finished drawing",
        )
        drawn = dashboard.driver.execute_script(HOW_CHARTS_WERE_DRAWN)
        assert drawn["version"] == bundle_version()
        assert drawn["fullBundle"] == []
        for chart in drawn["charts"]:
            assert chart["unknownTraces"] == [], (path, chart)
            assert chart["grown"] == [], (path, chart)
    assert dashboard.get_logs() == []


RELAYOUT = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
Plotly.relayout(graph, arguments[1]);
"""


def test_zooming_the_banded_accuracy_chart_draws_the_window_s_sessions_and_a_reset_the_band(
    dashboard,
):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training?range=all")
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "band: lowest to highest")
    failed = dashboard.driver.execute_script(MARKER_POINTS, ids.TR_ACCURACY)
    zoom = {"xaxis.range": ["2026-11-19 00:00:00", "2026-11-26 00:00:00"]}
    dashboard.driver.execute_script(RELAYOUT, ids.TR_ACCURACY, zoom)
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "zoomed: every session in the window")
    assert dashboard.driver.execute_script(MARKER_POINTS, ids.TR_ACCURACY) > failed
    dashboard.driver.execute_script(RELAYOUT, ids.TR_ACCURACY, {"xaxis.autorange": True})
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "band: lowest to highest")
    assert dashboard.driver.execute_script(MARKER_POINTS, ids.TR_ACCURACY) == failed
    assert dashboard.get_logs() == []


def test_zooming_the_resources_utilisation_chart_draws_the_window_minute_by_minute(dashboard):
    # A window 1366-1919 px wide draws a day in 3-minute buckets (resources.chart_points); one
    # hour zoomed is drawn at the telemetry's minute.
    dashboard.wait_for_page(url=f"{dashboard.server_url}/resources?range=24h")
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "mean per 3 min")
    zoom = {"xaxis.range": ["2026-11-26 11:30:00", "2026-11-26 12:30:00"]}
    dashboard.driver.execute_script(RELAYOUT, ids.RS_UTILISATION, zoom)
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "mean per 1 min · zoomed")
    dashboard.driver.execute_script(RELAYOUT, ids.RS_UTILISATION, {"xaxis.autorange": True})
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "mean per 3 min")
    assert dashboard.get_logs() == []


def test_a_wide_window_draws_the_resources_charts_finer_from_the_first_answer(dashboard):
    # 1920 px: 800 points a chart (resources.chart_points), so 30 days in hourly buckets; a
    # window 1366 px wide shows 500, two-hour buckets. The width reaches the server with the
    # charts' first request: no answer is ever drawn at the narrower default.
    dashboard.driver.set_window_size(1920, 1080)
    dashboard.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": """
            window.__subtitles = [];
            new MutationObserver(() => {
                const title = document.querySelector('#rs-utilisation-chart .gtitle-subtitle');
                const text = title && title.textContent;
                if (text && window.__subtitles[window.__subtitles.length - 1] !== text) {
                    window.__subtitles.push(text);
                }
            }).observe(document, {subtree: true, childList: true, characterData: true});
            """
        },
    )
    dashboard.wait_for_page(url=f"{dashboard.server_url}/resources")
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "mean per 1 h")
    seen = dashboard.driver.execute_script("return window.__subtitles;")
    assert seen and all("mean per 1 h" in text for text in seen), seen
    assert dashboard.get_logs() == []
