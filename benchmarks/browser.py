"""Browser interaction benchmark: every filter and page switch, timed in headless Chromium.

    .venv/bin/python -m benchmarks.browser                      # scales 1 and 20, with main
    .venv/bin/python -m benchmarks.browser --quick              # scale 1, fewer values
    .venv/bin/python -m benchmarks.browser --baseline none      # this checkout only

(from the repository root). It writes benchmarks/results/browser.json (--out) and prints, per
scale and code, the p50/p95 of each kind of interaction, the server CPU per interaction and the
first visit, with the issue's targets. `--baseline REF` (default `main`) also serves that commit,
exported with `git archive` into a temporary directory, in the same run, so that every figure
has a before/after ratio measured minutes apart on the same (shared, noisy) machine.

Every server is benchmarks.deployed.Deployment: `gunicorn -c gunicorn.conf.py` with the
production defaults (two workers, the ingest process, live refresh every 30 s) on a free
127.0.0.1 port and a fresh data directory; none of the caller's DASHBOARD_*, GUNICORN_* or
WEB_CONCURRENCY variables is passed on. One Chromium (Debian's, through its chromedriver) in a
1366x900 window, then per server:

1. First visit: a new browser (a fresh profile, nothing cached) opens the Overview; the time
   is from navigation start to the settle (below). `--first-visits` times, each a new browser.
2. On every page, reached through the nav: the time range through every value and back to
   Last 30 Days, then the model type through every value and back to All Models (--quick: two
   of each). Each change is one interaction.
3. Page switches: the nav through every page, `--switch-cycles` times round (the first round
   of step 2 is counted apart, as `first_switch`: those pages had not been drawn before).

Definitions (also in the JSON):

- Time of an interaction: from the change (set in the page's own script, just before it
  dispatches the change event or clicks the link) to the last DOM mutation before 500 ms
  with no mutation, no callback request in flight, no `data-dash-is-loading`, and every visible
  chart drawn (a plot with traces or an annotation). The window is not scrolled: a section
  below the fold that the code draws only once seen (when_seen) does not count until then.
  Mutations inside a screen reader's live region that the page draws 1 px wide and clipped
  (AG Grid's "1 to 12 of 823" message, updated ~200 ms after its rows) change nothing on the
  screen: they are left out of the time and recorded apart (`last_unseen_mutation_ms`). Runs
  before 2026-12-03 21:00 UTC counted them.
- Server CPU: user + system time of the gunicorn master and its workers (/proc/PID/stat),
  from just before the change to the settle; the ingest process is reported apart.
- An interaction during which the live refresh fired (a callback request triggered by the
  interval) is kept in the JSON but left out of the figures: it measures the refresh.
- Last response: when the last callback answer of the interaction arrived (the rest of its
  time is the browser's: rendering and drawing).
- Requests: the callback requests (`_dash-update-component`) and favicon fetches the browser
  made for the interaction (Chromium's performance log).

Bounded: loopback only; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.deployed import ROOT, Deployment
from benchmarks.processes import chromium_options, ingest_pids, worker_pids

RESULTS = ROOT / "benchmarks" / "results" / "browser.json"
WINDOW = (1366, 900)
QUIET_MS = 500.0
SETTLE_TIMEOUT = 60.0
PAGES = ("Overview", "Training", "A/B Testing", "Data Quality", "Resources")
RANGES = ("24h", "7d", "90d", "all", "30d")  # ends where it started: Last 30 Days
MODELS = (
    "threat_detection",
    "false_positive_filter",
    "incident_classification",
    "response_automation",
    "all",
)
QUICK_RANGES = ("7d", "30d")
QUICK_MODELS = ("threat_detection", "all")
TARGETS = {
    "filter_change": {"p50_ms": 250.0, "p95_ms": 500.0},
    "page_switch": {"p50_ms": 300.0, "p95_ms": 600.0},
    "cpu_per_interaction_s": 0.03,
    "first_visit_s": 1.5,
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Runs before any of the page's scripts: notes every DOM mutation and every callback request.
INSTRUMENT = """
(() => {
  const bench = {lastMutation: 0, lastUnseen: 0, pending: 0, refreshes: 0, requests: 0};
  window.__bench = bench;
  // A screen reader's live region drawn 1 px wide and clipped (AG Grid's row-count message)
  // changes nothing on the screen: its mutations are noted apart.
  const unseen = node => {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const region = element && element.closest('[aria-live]');
    if (!region) { return false; }
    const box = region.getBoundingClientRect();
    return box.width <= 1 && box.height <= 1;
  };
  new MutationObserver(records => {
    const now = performance.now();
    if (records.every(record => unseen(record.target))) { bench.lastUnseen = now; }
    else { bench.lastMutation = now; }
  }).observe(
    document, {subtree: true, childList: true, attributes: true, characterData: true});
  const originalFetch = window.fetch;
  window.fetch = function (resource, init) {
    const body = init && typeof init.body === 'string' ? init.body : '';
    if (body.includes('"changedPropIds":["refresh-interval.n_intervals"]')) {
      bench.refreshes += 1;
    }
    bench.pending += 1;
    bench.requests += 1;
    return originalFetch.apply(this, arguments).finally(() => {
      bench.pending -= 1;
      bench.lastResponse = performance.now();
    });
  };
})();
"""

# The page's state: 'settled' once quiet for QUIET_MS with nothing loading and every visible
# chart drawn; the time of the last mutation then.
STATE = """
const bench = window.__bench;
if (!bench) { return {settled: false}; }
const now = performance.now();
const loading = document.querySelectorAll(
  "[data-dash-is-loading='true'], ._dash-loading-callback").length;
// Dash's router (before) or the dashboard's page slots (callbacks/router.py).
const content = document.querySelector(
  '#_pages_content, #pages > .page-slot:not(.page-slot-hidden)');
// Charts of a hidden page, or of a section below the fold not yet seen (drawn when it is:
// dashboard/components/layout.py when_seen), do not count.
const graphs = Array.from(document.querySelectorAll('.dash-graph')).filter(graph =>
  graph.offsetParent !== null && !graph.closest('.page-slot-hidden')
  && !graph.closest('[data-seen-store]:not([data-seen])'));
const drawn = graphs.every(graph => {
  const plot = graph.querySelector('.js-plotly-plot');
  if (!plot || !plot.data || !plot._fullLayout) { return false; }
  const notes = (plot.layout && plot.layout.annotations) || [];
  return plot.data.length > 0 || notes.length > 0;
});
const ready = !loading && bench.pending === 0 && drawn && content && content.textContent.length;
return {
  settled: Boolean(ready) && now - bench.lastMutation >= arguments[0],
  lastMutation: bench.lastMutation, lastResponse: bench.lastResponse || 0,
  lastUnseen: bench.lastUnseen,
  refreshes: bench.refreshes, requests: bench.requests,
  now: now,
};
"""

CHANGE_FILTER = """
const [id, value] = arguments;
const select = document.getElementById(id);
const setValue = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
window.__bench.t0 = performance.now();
setValue.call(select, value);
select.dispatchEvent(new Event('change', {bubbles: true}));
return window.__bench.t0;
"""

CLICK_NAV = """
const link = Array.from(document.querySelectorAll('.app-navbar a.nav-link'))
  .find(a => a.textContent.trim() === arguments[0]);
window.__bench.t0 = performance.now();
link.click();
return window.__bench.t0;
"""


@dataclass
class Interaction:
    kind: str  # filter_change, page_switch, first_switch
    page: str
    control: str  # range, model, nav
    value: str
    ms: float | None
    cpu_s: float
    ingest_cpu_s: float
    callback_requests: int
    favicon_fetches: int
    refresh_overlap: bool
    extra: dict[str, Any] = field(default_factory=dict)


# Processes


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU of a gunicorn master and its workers (and apart its ingest) between two reads."""

    def __init__(self, master: int) -> None:
        self.master = master

    def read(self) -> dict[str, dict[int, float]]:
        serving = [self.master, *worker_pids(self.master)]
        return {
            "serving": {pid: cpu_seconds(pid) for pid in serving},
            "ingest": {pid: cpu_seconds(pid) for pid in ingest_pids(self.master)},
        }

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        # A worker replaced in between: only the processes seen at both reads count.
        return round(sum(after[pid] - before[pid] for pid in after if pid in before), 3)


# Chromium


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chromium_options(*WINDOW)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})
    driver.set_script_timeout(30)
    return driver


def requested_paths(driver) -> list[str]:
    """Paths the browser requested since the last call (and drains Chromium's log)."""
    paths = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            paths.append(url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0])
    return paths


def wait_settled(driver, since: float) -> tuple[float | None, dict[str, Any]]:
    """Milliseconds from `since` (the page's clock) to its settle; None if not within time."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE, QUIET_MS)
        if state.get("settled"):
            return round(max(state["lastMutation"] - since, 0.0), 1), state
        time.sleep(0.05)
    return None, state


def _since(moment: float | None, started: float) -> float | None:
    """Milliseconds from `started` to `moment` on the page's clock (None: not after it)."""
    return round(moment - started, 1) if moment and moment > started else None


class Session:
    """One browser on one server: interactions, each with its time, CPU and requests."""

    def __init__(self, server: Deployment) -> None:
        self.server = server
        self.meter = CpuMeter(server.process.pid)
        self.driver = browser()
        self.interactions: list[Interaction] = []

    def open(self, path: str) -> float | None:
        self.driver.get(f"{self.server.url}{path}")
        ms, _ = wait_settled(self.driver, 0.0)
        requested_paths(self.driver)
        return ms

    def interact(self, kind: str, page: str, control: str, value: str, script: str, *args) -> None:
        before = self.meter.read()
        refreshes = self.driver.execute_script("return window.__bench.refreshes")
        started = self.driver.execute_script(script, *args)
        ms, state = wait_settled(self.driver, started)
        after = self.meter.read()
        paths = requested_paths(self.driver)
        self.interactions.append(
            Interaction(
                kind=kind,
                page=page,
                control=control,
                value=value,
                ms=ms,
                cpu_s=CpuMeter.spent(before["serving"], after["serving"]),
                ingest_cpu_s=CpuMeter.spent(before["ingest"], after["ingest"]),
                callback_requests=sum(p.endswith("_dash-update-component") for p in paths),
                favicon_fetches=sum("favicon" in p for p in paths),
                refresh_overlap=state.get("refreshes", 0) > refreshes,
                extra={
                    "last_response_ms": _since(state.get("lastResponse"), started),
                    "last_unseen_mutation_ms": _since(state.get("lastUnseen"), started),
                },
            )
        )

    def switch_to(self, page: str, kind: str = "page_switch") -> None:
        self.interact(kind, page, "nav", page, CLICK_NAV, page)

    def change(self, page: str, control: str, value: str) -> None:
        element = "filter-range" if control == "range" else "filter-model"
        self.interact("filter_change", page, control, value, CHANGE_FILTER, element, value)

    def close(self) -> None:
        self.driver.quit()


def first_visits(server: Deployment, count: int) -> list[float | None]:
    """Seconds a new browser takes to settle its first page (the Overview)."""
    times = []
    for _ in range(count):
        driver = browser()
        try:
            driver.get(f"{server.url}/?range=30d&model=all")
            ms, _ = wait_settled(driver, 0.0)
            times.append(None if ms is None else round(ms / 1000, 3))
        finally:
            driver.quit()
    return times


def run_server(server: Deployment, args: argparse.Namespace) -> dict[str, Any]:
    ranges, models = (QUICK_RANGES, QUICK_MODELS) if args.quick else (RANGES, MODELS)
    visits = first_visits(server, args.first_visits)
    session = Session(server)
    try:
        session.open("/?range=30d&model=all")
        for page in PAGES:
            if page != PAGES[0]:  # the Overview is open already
                session.switch_to(page, "first_switch")
            for value in ranges:
                session.change(page, "range", value)
            for value in models:
                session.change(page, "model", value)
        for _ in range(args.switch_cycles):
            for page in (*PAGES[1:], PAGES[0]):
                session.switch_to(page)
        console = [
            entry["message"]
            for entry in session.driver.get_log("browser")
            if entry["level"] == "SEVERE"
        ]
    finally:
        session.close()
    return {
        "first_visit_s": visits,
        "interactions": [asdict(item) for item in session.interactions],
        "console_errors": console,
    }


# Summaries


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    array = np.asarray(values, dtype=float)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "max": round(float(array.max()), 1),
    }


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    counted = [item for item in run["interactions"] if not item["refresh_overlap"]]
    unsettled = [item for item in counted if item["ms"] is None]
    counted = [item for item in counted if item["ms"] is not None]

    def of(items: list[dict[str, Any]]) -> dict[str, Any]:
        summary = stats([item["ms"] for item in items])
        if items:
            summary["cpu_s_mean"] = round(float(np.mean([item["cpu_s"] for item in items])), 4)
            summary["callback_requests_mean"] = round(
                float(np.mean([item["callback_requests"] for item in items])), 2
            )
            summary["favicon_fetches"] = sum(item["favicon_fetches"] for item in items)
        return summary

    per_page: dict[str, Any] = {}
    for page in PAGES:
        mine = [item for item in counted if item["page"] == page]
        per_page[page] = {
            control: of(
                [i for i in mine if i["kind"] == "filter_change" and i["control"] == control]
            )
            for control in ("range", "model")
        }
        per_page[page]["first_switch"] = of([i for i in mine if i["kind"] == "first_switch"])
        per_page[page]["page_switch"] = of([i for i in mine if i["kind"] == "page_switch"])
    visits = [value for value in run["first_visit_s"] if value is not None]
    return {
        "filter_change": of([i for i in counted if i["kind"] == "filter_change"]),
        "page_switch": of([i for i in counted if i["kind"] == "page_switch"]),
        "first_switch": of([i for i in counted if i["kind"] == "first_switch"]),
        "all_interactions": of(counted),
        "first_visit_s": {
            "values": run["first_visit_s"],
            "median": round(float(np.median(visits)), 3) if visits else None,
        },
        "per_page": per_page,
        "left_out_refresh_overlap": sum(i["refresh_overlap"] for i in run["interactions"]),
        "unsettled": len(unsettled),
        "console_errors": len(run["console_errors"]),
    }


def verdicts(summary: dict[str, Any]) -> list[dict[str, Any]]:
    def target(name: str, measured: float | None, limit: float) -> dict[str, Any]:
        met = None if measured is None else measured <= limit
        return {"target": name, "measured": measured, "limit": limit, "met": met}

    rows = []
    for kind in ("filter_change", "page_switch"):
        for figure in ("p50", "p95"):
            limit = TARGETS[kind][f"{figure}_ms"]
            rows.append(target(f"{kind} {figure} (ms)", summary[kind].get(figure), limit))
        for page, figures in summary["per_page"].items():
            controls = ("range", "model") if kind == "filter_change" else ("page_switch",)
            for control in controls:
                for figure in ("p50", "p95"):
                    limit = TARGETS[kind][f"{figure}_ms"]
                    name = f"{page} {control} {figure} (ms)"
                    rows.append(target(name, figures[control].get(figure), limit))
    rows.append(
        target(
            "server CPU per interaction (s)",
            summary["all_interactions"].get("cpu_s_mean"),
            TARGETS["cpu_per_interaction_s"],
        )
    )
    rows.append(
        target("first visit (s)", summary["first_visit_s"]["median"], TARGETS["first_visit_s"])
    )
    return rows


def ratios(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """before / after of each headline figure (> 1: this checkout is faster)."""

    def divide(a: float | None, b: float | None) -> float | None:
        return None if not a or not b else round(a / b, 2)

    out = {}
    for kind in ("filter_change", "page_switch", "first_switch"):
        for figure in ("p50", "p95", "cpu_s_mean"):
            out[f"{kind} {figure}"] = divide(before[kind].get(figure), after[kind].get(figure))
    out["first_visit"] = divide(before["first_visit_s"]["median"], after["first_visit_s"]["median"])
    for page, figures in after["per_page"].items():
        for control, summary in figures.items():
            old = before["per_page"][page][control]
            out[f"{page} {control} p50"] = divide(old.get("p50"), summary.get("p50"))
    return out


# Code under test


def export_commit(ref: str, into: Path) -> Path:
    """The tree of `ref`, written out with git archive (no worktree of the repository)."""
    target = into / f"code-{ref.replace('/', '_')}"
    target.mkdir()
    archive = into / "code.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), ref], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target


def commit_of(ref: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", ref], capture_output=True, text=True, check=True
    ).stdout.strip()


def measure(name: str, code: Path, scale: int, scratch: Path, args) -> dict[str, Any]:
    server = Deployment(name, scratch, {"DASHBOARD_SIM_SCALE": str(scale)}, code=code)
    try:
        first_generation_s, _ = server.wait_first_generation()
        server.wait_serving()
        print(f"  {name}: serving after {server.elapsed():.0f} s", flush=True)
        run = run_server(server, args)
    finally:
        server.stop()
    run["first_generation_s"] = round(first_generation_s, 1)
    run["summary"] = summarise(run)
    run["targets"] = verdicts(run["summary"])
    return run


def print_summary(scale: int, name: str, summary: dict[str, Any]) -> None:
    def line(kind: str) -> str:
        figures = summary[kind]
        return (
            f"{kind} p50 {figures.get('p50')} ms p95 {figures.get('p95')} ms "
            f"cpu {figures.get('cpu_s_mean')} s (n={figures.get('n')})"
        )

    print(f"scale {scale}, {name}:")
    for kind in ("filter_change", "page_switch", "first_switch"):
        print(f"  {line(kind)}")
    print(f"  first visit {summary['first_visit_s']['values']} s")
    for page, figures in summary["per_page"].items():
        cells = " | ".join(
            f"{control} {item.get('p50')}/{item.get('p95')}" for control, item in figures.items()
        )
        print(f"  {page}: {cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=None)
    parser.add_argument("--baseline", default="main", help="a commit to compare with, or none")
    parser.add_argument("--quick", action="store_true", help="scale 1, two values per filter")
    parser.add_argument("--switch-cycles", type=int, default=None)
    parser.add_argument("--first-visits", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.scales = args.scales or ([1] if args.quick else [1, 20])
    args.switch_cycles = args.switch_cycles or (1 if args.quick else 3)
    args.first_visits = args.first_visits or (2 if args.quick else 3)
    started = time.monotonic()
    report: dict[str, Any] = {
        "benchmark": "browser interactions",
        "definitions": __doc__,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "shared": True},
        "window": list(WINDOW),
        "quick": args.quick,
        "targets": TARGETS,
        "code": {"this": {"commit": commit_of("HEAD"), "dirty": _dirty()}},
        "scales": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as temporary:
        scratch = Path(temporary)
        codes = {"this": ROOT}
        if args.baseline != "none":
            codes = {"before": export_commit(args.baseline, scratch), **codes}
            report["code"]["before"] = {"ref": args.baseline, "commit": commit_of(args.baseline)}
        for scale in args.scales:
            print(f"scale {scale}", flush=True)
            runs = {
                name: measure(f"{name}-{scale}", code, scale, scratch, args)
                for name, code in codes.items()
            }
            for name, run in runs.items():
                print_summary(scale, name, run["summary"])
            if "before" in runs:
                runs["before_over_this"] = ratios(
                    runs["before"]["summary"], runs["this"]["summary"]
                )
            report["scales"][str(scale)] = runs
    report["duration_s"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out} in {report['duration_s']:.0f} s")
    return 0


def _dirty() -> bool:
    status = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    return bool(status.stdout.strip())


if __name__ == "__main__":
    raise SystemExit(main())
