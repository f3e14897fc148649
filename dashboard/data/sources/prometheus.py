"""GPU telemetry from Prometheus: `DASHBOARD_DATA_SOURCE=prometheus:<URL>` -> resource_usage.

Reads the series NVIDIA's DCGM exporter publishes, over Prometheus's HTTP API (`query_range`):

- `DCGM_FI_DEV_GPU_UTIL` (percent) -> gpu_util (a fraction);
- `DCGM_FI_DEV_FB_USED` (MiB) -> gpu_mem_used_gb; plus `DCGM_FI_DEV_FB_FREE` -> gpu_mem_total_gb;
- one GPU per (`Hostname`, `gpu`, `UUID`) label set, numbered 0, 1, … in host and GPU order
  (`check-data` lists which is which); host memory is not a DCGM series and stays empty.

Prometheus does the work: each query asks for one point per GPU and step, `max by (host, gpu,
uuid) (<f>_over_time(<metric>[<step>]))` (utilisation averaged over the step, used memory its
peak, free memory its last value), with a step chosen for the range (at least
`min_step_seconds`, default 60, and few enough points for Prometheus's limit of 11,000 per
series), so the first read of `lookback_days` (default 30) is coarser than the refreshes after
it. A point stands for the step that ends at its time; a GPU that stops reporting has no
points. Rows older than a few minutes are kept by the source and never asked for again; each
refresh asks only for the minutes since.

Other exporters: `DASHBOARD_PROMETHEUS_METRICS` (JSON, keys `gpu_util`, `mem_used`, `mem_free`)
and `DASHBOARD_PROMETHEUS_LABELS` (JSON, keys `host`, `gpu`, `uuid`) rename what is read; the
units stay DCGM's. GPU time is attributed to training sessions that name their host and GPUs
(`dashboard.data.sources.gpu_attribution`); with no such session every row is idle time.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Mapping

import pandas as pd

from dashboard.data.sources.base import ReadingSource, Snapshot, content_token
from dashboard.data.sources.validation import validated
from simulator.schema import TABLES

DEFAULT_METRICS = {
    "gpu_util": "DCGM_FI_DEV_GPU_UTIL",
    "mem_used": "DCGM_FI_DEV_FB_USED",
    "mem_free": "DCGM_FI_DEV_FB_FREE",
}
DEFAULT_LABELS = {"host": "Hostname", "gpu": "gpu", "uuid": "UUID"}
MAX_POINTS = 10_000  # per series and query; Prometheus refuses more than 11,000
SETTLE = pd.Timedelta(minutes=5)  # newer samples may still arrive: asked for again next time
GB_PER_MIB = 2**20 / 1e9
TIMEOUT_SECONDS = 10
GPU_COLUMNS = ["gpu_id", "host", "gpu", "uuid"]
# How each metric's samples within one step become its point.
OVER_STEP = {"gpu_util": "avg_over_time", "mem_used": "max_over_time", "mem_free": "last_over_time"}
SAMPLE_KEYS = ["host", "gpu", "uuid", "timestamp"]


METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _checked(
    names: Mapping[str, object] | None, defaults: dict[str, str], setting: str, form: re.Pattern
) -> dict[str, str]:
    names = dict(names or {})
    unknown = sorted(set(names) - set(defaults))
    invalid = sorted(
        repr(value)
        for value in names.values()
        if not isinstance(value, str) or not form.match(value)
    )
    if unknown or invalid:
        raise ValueError(
            f"{setting} must be a JSON object naming Prometheus series or labels for "
            f"{', '.join(defaults)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; not a name: {', '.join(invalid)}" if invalid else "")
        )
    return {**defaults, **names}


def query_step(start: pd.Timestamp, end: pd.Timestamp, min_step_seconds: int) -> int:
    """Whole seconds between points: at least `min_step_seconds`, at most MAX_POINTS points."""
    span = max((end - start).total_seconds(), 0.0)
    return max(min_step_seconds, math.ceil(span / MAX_POINTS))


class PrometheusSource(ReadingSource):
    """Per-GPU utilisation and memory from a Prometheus server's DCGM exporter series."""

    def __init__(
        self,
        url: str,
        metrics: Mapping[str, object] | None = None,
        labels: Mapping[str, object] | None = None,
        lookback_days: float = 30.0,
        min_step_seconds: int = 60,
    ) -> None:
        self.url = url.strip().rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"DASHBOARD_DATA_SOURCE 'prometheus:{url}' needs the server's http(s) URL, "
                "e.g. prometheus:http://prometheus:9090"
            )
        self.metrics = _checked(
            metrics, DEFAULT_METRICS, "DASHBOARD_PROMETHEUS_METRICS", METRIC_NAME
        )
        self.labels = _checked(labels, DEFAULT_LABELS, "DASHBOARD_PROMETHEUS_LABELS", LABEL_NAME)
        self.lookback = pd.Timedelta(days=lookback_days)
        self.min_step_seconds = int(min_step_seconds)
        self.name = f"Prometheus {self.url}"
        self._kept = _empty_samples()  # settled samples, never asked for again
        self._kept_until: pd.Timestamp | None = None
        self.steps: deque[int] = deque(maxlen=64)  # the steps of the last reads, newest last

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        start = now - self.lookback
        kept = self._kept[self._kept["timestamp"] >= start]
        ask_from = start if self._kept_until is None else max(self._kept_until, start)
        step = query_step(ask_from, now, self.min_step_seconds)
        first = pd.Timestamp(math.ceil(ask_from.timestamp() / step) * step, unit="s", tz="UTC")
        new = self._samples(first, now, step)
        samples = pd.concat([kept, new], ignore_index=True) if len(kept) else new
        settled_until = now - SETTLE
        self._kept = samples[samples["timestamp"] < settled_until].reset_index(drop=True)
        self._kept_until = settled_until
        gpus = _inventory(samples)
        usage = self._usage(samples, gpus)
        return Snapshot(
            {"resource_usage": validated("resource_usage", usage, self.name)},
            now,
            self.name,
            token=content_token(
                (len(samples), str(samples["timestamp"].max()), float(samples["gpu_util"].sum()))
            ),
            hints={name: self._hint(name) for name in TABLES if name != "resource_usage"},
            notes=(self._found(gpus),),
            kept_from=start,
            gpus=gpus,
            hints_yield=True,
        )

    def _hint(self, table: str) -> str:
        return (
            "Prometheus holds GPU telemetry only; join a source of it with ';' "
            f"(DASHBOARD_DATA_SOURCE='mlflow:<URI>;prometheus:{self.url}')"
        )

    def _found(self, gpus: pd.DataFrame) -> str:
        util = self.metrics["gpu_util"]
        if gpus.empty:
            return (
                f"Prometheus {self.url}: no {util} series in the last {self.lookback.days} "
                f"day(s); is the DCGM exporter scraped? (metric names: "
                "DASHBOARD_PROMETHEUS_METRICS)"
            )
        hosts = gpus.groupby("host", sort=True)["gpu"].apply(lambda values: ", ".join(values))
        return (
            f"Prometheus {self.url}: {len(gpus)} GPU(s) on {len(hosts)} host(s) ("
            + "; ".join(f"{host}: gpu {names}" for host, names in hosts.items())
            + f"), one point per {max(self.steps, default=self.min_step_seconds)} s at most"
        )

    def _samples(self, start: pd.Timestamp, end: pd.Timestamp, step: int) -> pd.DataFrame:
        """Every metric's points from `start` to `end`, one column per metric."""
        if start > end:
            return _empty_samples()
        self.steps.append(step)
        by = ", ".join(self.labels[key] for key in ("host", "gpu", "uuid"))
        wide = None
        for key, metric in self.metrics.items():
            # One millisecond short of the step: Prometheus 2 closes ranges at both ends, and a
            # sample on the step's boundary would count in two points.
            query = f"max by ({by}) ({OVER_STEP[key]}({metric}[{step * 1000 - 1}ms]))"
            result = self._query_range(query, start, end, step)
            frame = self._points(result, key)
            wide = frame if wide is None else wide.merge(frame, on=SAMPLE_KEYS, how="outer")
        return wide.sort_values(["timestamp", "host", "gpu"], kind="stable").reset_index(drop=True)

    def _points(self, result: list[dict], key: str) -> pd.DataFrame:
        rows = [
            (
                series["metric"].get(self.labels["host"], ""),
                series["metric"].get(self.labels["gpu"], ""),
                series["metric"].get(self.labels["uuid"], ""),
                float(at),
                float(value),
            )
            for series in result
            for at, value in series["values"]
        ]
        frame = pd.DataFrame(rows, columns=["host", "gpu", "uuid", "timestamp", key])
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True).astype(
            "datetime64[us, UTC]"
        )
        return frame.astype({"host": "string", "gpu": "string", "uuid": "string"})

    def _query_range(self, query: str, start: pd.Timestamp, end: pd.Timestamp, step: int):
        parameters = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": str(step),
        }
        address = f"{self.url}/api/v1/query_range?{urllib.parse.urlencode(parameters)}"
        try:
            with urllib.request.urlopen(address, timeout=TIMEOUT_SECONDS) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise ConnectionError(f"Prometheus {self.url} refused {query!r}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ConnectionError(f"cannot reach Prometheus at {self.url}: {reason}") from None
        if body.get("status") != "success":
            raise ConnectionError(f"Prometheus {self.url} answered {query!r}: {body.get('error')}")
        return body["data"]["result"]

    @staticmethod
    def _usage(samples: pd.DataFrame, gpus: pd.DataFrame) -> pd.DataFrame:
        numbered = samples.merge(gpus, on=["host", "gpu", "uuid"], how="left")
        used_gb = numbered["mem_used"] * GB_PER_MIB
        return pd.DataFrame(
            {
                "timestamp": numbered["timestamp"],
                "gpu_id": numbered["gpu_id"],
                "session_id": pd.Series(pd.NA, index=numbered.index, dtype="string"),
                "gpu_util": numbered["gpu_util"] / 100.0,
                "gpu_mem_used_gb": used_gb,
                "gpu_mem_total_gb": used_gb + numbered["mem_free"] * GB_PER_MIB,
                "host_mem_used_gb": float("nan"),
            }
        )


def _gpu_order(gpu: pd.Series) -> pd.Series:
    return pd.to_numeric(gpu, errors="coerce").fillna(float("inf"))


def _inventory(samples: pd.DataFrame) -> pd.DataFrame:
    """Each GPU once, numbered in host and GPU order: gpu_id, host, gpu, uuid."""
    gpus = samples[["host", "gpu", "uuid"]].drop_duplicates()
    gpus = gpus.assign(order=_gpu_order(gpus["gpu"])).sort_values(["host", "order", "gpu", "uuid"])
    gpus = gpus.drop(columns="order").reset_index(drop=True)
    gpus.insert(0, "gpu_id", pd.Series(range(len(gpus)), dtype="int64"))
    return gpus[GPU_COLUMNS]


def _empty_samples() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "host": pd.Series(dtype="string"),
            "gpu": pd.Series(dtype="string"),
            "uuid": pd.Series(dtype="string"),
            "timestamp": pd.Series(dtype="datetime64[us, UTC]"),
            **{key: pd.Series(dtype="float64") for key in DEFAULT_METRICS},
        }
    )
