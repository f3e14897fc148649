"""GPU telemetry from a real Prometheus: DCGM exporter series backfilled with promtool, read by
the `prometheus:<URL>` source, attributed to MLflow runs that name their GPUs, and shown on the
Resources page with the figures a direct PromQL query gives."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from benchmarks.processes import free_port
from dashboard import create_app
from dashboard.__main__ import check_data
from dashboard.callbacks import resources
from dashboard.data import queries
from dashboard.data.sources import source_from_setting
from dashboard.data.sources.prometheus import GB_PER_MIB, PrometheusSource, query_step
from tests.conftest import SEED, FixedTimeSource, testing_config
from tests.prometheus_server import PrometheusServer, Series, backfill, openmetrics

# Now, to the minute: the series end ten minutes before it and cover the two days before that.
NOW = pd.Timestamp.now(tz="UTC").floor("min")
END = NOW - pd.Timedelta(minutes=10)
SAMPLES = 2 * 24 * 60
GPUS = [("gpu-node-a", "0"), ("gpu-node-a", "1"), ("gpu-node-b", "0"), ("gpu-node-b", "1")]
FB_TOTAL_MIB = 40_960
# Two runs that say where they train: node-a's GPU 0 by index, both of node-b's by UUID.
CLAIMS = {
    "orca-sentinel-17": ("gpu-node-a", "0", NOW - pd.Timedelta(hours=30), pd.Timedelta(hours=10)),
    "lynx-warden-3": (
        "gpu-node-b",
        "GPU-gpu-node-b-0,GPU-gpu-node-b-1",
        NOW - pd.Timedelta(hours=9),
        pd.Timedelta(hours=4),
    ),
}


def uuid(host: str, gpu: str) -> str:
    return f"GPU-{host}-{gpu}"


def dcgm_series() -> list[Series]:
    """What dcgm-exporter's scrapes leave: utilisation and framebuffer per GPU, every minute."""
    first = (END - pd.Timedelta(minutes=SAMPLES - 1)).timestamp()
    series = []
    for number, (host, gpu) in enumerate(GPUS):
        labels = {
            "gpu": gpu,
            "UUID": uuid(host, gpu),
            "Hostname": host,
            "device": f"nvidia{gpu}",
            "modelName": "NVIDIA A100-SXM4-40GB",
            "job": "dcgm",
        }
        times = [first + 60 * minute for minute in range(SAMPLES)]
        util = [float((minute * 7 + number * 13) % 90 + 5) for minute in range(SAMPLES)]
        used = [float(6_000 + (minute * 37 + number * 500) % 30_000) for minute in range(SAMPLES)]
        series += [
            Series("DCGM_FI_DEV_GPU_UTIL", labels, list(zip(times, util, strict=True))),
            Series("DCGM_FI_DEV_FB_USED", labels, list(zip(times, used, strict=True))),
            Series(
                "DCGM_FI_DEV_FB_FREE",
                labels,
                [(at, FB_TOTAL_MIB - value) for at, value in zip(times, used, strict=True)],
            ),
        ]
    return series


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    tsdb = tmp_path_factory.mktemp("tsdb")
    backfill(openmetrics(dcgm_series()), tsdb)
    directory = tmp_path_factory.mktemp("prometheus")
    with PrometheusServer(directory, tsdb_dir=tsdb, retention="3650d") as server:
        yield server


def ms(moment: pd.Timestamp) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory) -> str:
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("threat_detection")
    for name, (host, gpus, start, length) in CLAIMS.items():
        tags = {"gpu_host": host, "model_version": "v5.2.1"}
        run = client.create_run(experiment, start_time=ms(start), run_name=name, tags=tags)
        client.log_param(run.info.run_id, "gpus", gpus)
        client.log_metric(run.info.run_id, "accuracy", 0.8, timestamp=ms(start), step=0)
        client.set_terminated(run.info.run_id, "FINISHED", end_time=ms(start + length))
    return uri


def test_query_steps_fit_prometheus_limit_and_keep_the_minimum():
    day = pd.Timedelta(days=1)
    assert query_step(NOW - day, NOW, 60) == 60
    assert query_step(NOW - 30 * day, NOW, 60) == 260  # 30 days in at most 10,000 points
    assert query_step(NOW, NOW, 15) == 15


def test_every_gpu_and_sample_becomes_resource_usage(prometheus):
    source = PrometheusSource(prometheus.url, lookback_days=3)
    snapshot = source.load(NOW)
    usage = snapshot.tables["resource_usage"]
    assert len(usage) == len(GPUS) * SAMPLES
    assert usage["session_id"].isna().all()  # nothing says who trained: idle time
    assert snapshot.gpus[["host", "gpu"]].apply(tuple, axis=1).tolist() == GPUS
    assert sorted(usage["gpu_id"].unique()) == [0, 1, 2, 3]
    assert list(source.steps) == [60]
    sums = prometheus.scalar("sum(sum_over_time(DCGM_FI_DEV_GPU_UTIL[3d]))", NOW.timestamp())
    count = prometheus.scalar("sum(count_over_time(DCGM_FI_DEV_GPU_UTIL[3d]))", NOW.timestamp())
    assert count == len(usage)
    assert usage["gpu_util"].astype("float64").mean() == pytest.approx(sums / count / 100, rel=1e-6)
    peak = prometheus.scalar("max(max_over_time(DCGM_FI_DEV_FB_USED[3d]))", NOW.timestamp())
    assert usage["gpu_mem_used_gb"].max() == pytest.approx(peak * GB_PER_MIB, rel=1e-6)
    assert usage["gpu_mem_total_gb"].max() == pytest.approx(FB_TOTAL_MIB * GB_PER_MIB, rel=1e-6)
    assert "4 GPU(s) on 2 host(s) (gpu-node-a: gpu 0, 1; gpu-node-b: gpu 0, 1)" in snapshot.notes[0]


def test_a_refresh_asks_only_for_the_minutes_since_the_last_read(prometheus):
    source = PrometheusSource(prometheus.url, lookback_days=30)
    first = source.load(NOW)
    later = source.load(NOW + pd.Timedelta(minutes=3))
    assert list(source.steps) == [query_step(NOW - pd.Timedelta(days=30), NOW, 60), 60]
    assert source.steps[0] > 60  # the first read of 30 days is coarser than a refresh
    assert later.tables["resource_usage"].equals(first.tables["resource_usage"])
    assert later.token == first.token  # nothing new: the generation stays


def test_an_unreachable_server_fails_with_the_address():
    source = PrometheusSource(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionError, match=r"cannot reach Prometheus at http://127\.0\.0\.1"):
        source.load(NOW)


def test_a_setting_without_a_url_or_with_unknown_names_is_refused():
    with pytest.raises(ValueError, match="http"):
        source_from_setting("prometheus:prom:9090", SEED, 1)
    with pytest.raises(ValueError, match="unknown: gpu_temp"):
        PrometheusSource("http://prom:9090", metrics={"gpu_temp": "DCGM_FI_DEV_GPU_TEMP"})
    with pytest.raises(ValueError, match=r"not a name: 'sum\(\('"):
        PrometheusSource("http://prom:9090", metrics={"gpu_util": "sum(("})
    with pytest.raises(ValueError, match="DASHBOARD_PROMETHEUS_LABELS"):
        PrometheusSource("http://prom:9090", labels={"host": "host name"})


def test_other_exporters_names_are_configurable(prometheus):
    source = PrometheusSource(
        prometheus.url,
        metrics={"mem_free": "DCGM_FI_DEV_FB_USED"},  # any series with these labels
        labels={"host": "job"},
        lookback_days=3,
    )
    snapshot = source.load(NOW)
    assert set(snapshot.gpus["host"]) == {"dcgm"}
    usage = snapshot.tables["resource_usage"]
    doubled = (usage["gpu_mem_used_gb"] * 2).astype("float64")
    assert (usage["gpu_mem_total_gb"].astype("float64") - doubled).abs().max() < 1e-3


# MLflow runs that name their GPUs, and the Resources page


@pytest.fixture(scope="module")
def resources_app(prometheus, mlflow_uri):
    setting = f"mlflow:{mlflow_uri};prometheus:{prometheus.url}"
    source = source_from_setting(setting, SEED, 1, prometheus={"lookback_days": 3})
    return create_app(testing_config(DATA_SOURCE_OBJECT=FixedTimeSource(source, NOW)))


def promql_training_figures(prometheus) -> dict[str, float]:
    """Utilisation and peak memory over the claimed GPUs and hours, straight from PromQL."""
    total = count = peak = 0.0
    for host, gpus, start, length in CLAIMS.values():
        at = (start + length - pd.Timedelta(seconds=30)).timestamp()  # (start, end) holds
        by_uuid = "|".join(gpus.split(","))
        selector = (
            f'{{Hostname="{host}",gpu="{gpus}"}}' if "," not in gpus else f'{{UUID=~"{by_uuid}"}}'
        )
        window = f"[{int(length.total_seconds())}s]"
        total += prometheus.scalar(
            f"sum(sum_over_time(DCGM_FI_DEV_GPU_UTIL{selector}{window}))", at
        )
        count += prometheus.scalar(
            f"sum(count_over_time(DCGM_FI_DEV_GPU_UTIL{selector}{window}))", at
        )
        peak = max(
            peak,
            prometheus.scalar(f"max(max_over_time(DCGM_FI_DEV_FB_USED{selector}{window}))", at),
        )
    everything = prometheus.scalar(
        "sum(count_over_time(DCGM_FI_DEV_GPU_UTIL[7d]))", NOW.timestamp()
    )
    return {
        "gpu_util_training": total / count / 100,
        "gpu_mem_peak_gb": peak * GB_PER_MIB,
        "busy_share": count / everything,
    }


def test_resources_page_figures_equal_a_direct_promql_query(resources_app, prometheus):
    expected = promql_training_figures(prometheus)
    with resources_app.server.app_context():
        summary = queries.resource_summary("7d", "all")
        cards, utilisation, _memory = resources.resources("7d", "all")
        heatmap = resources.resources_per_gpu("7d", "all")
        sessions = queries.sessions_in_range("7d", "all").set_index("run_name")
    assert summary["gpus"] == len(GPUS)
    for figure, value in expected.items():
        assert summary[figure] == pytest.approx(value, rel=1e-5), figure
    assert summary["gpu_mem_total_gb"] == pytest.approx(FB_TOTAL_MIB * GB_PER_MIB, rel=1e-6)
    shown = str(cards)
    assert f"{expected['gpu_util_training']:.1%}" in shown
    assert f"{expected['busy_share']:.1%}" in shown
    assert "4 GPUs" in shown
    assert list(heatmap.data[0].y) == [
        f"GPU {number} · {host} gpu {gpu}" for number, (host, gpu) in enumerate(GPUS)
    ]
    # Sessions that logged no GPU figures of their own take them from their GPUs' series.
    assert not math.isnan(sessions.at["orca-sentinel-17", "gpu_util_mean"])
    assert sessions.at["lynx-warden-3", "gpu_mem_peak_gb"] > 0
    assert sum(len(trace.x) for trace in utilisation.data if trace.x is not None) > 0


def test_check_data_names_the_gpus_hosts_and_span(prometheus):
    out, err = io.StringIO(), io.StringIO()
    assert check_data(f"prometheus:{prometheus.url}", out, err) == 0, err.getvalue()
    report = out.getvalue()
    assert "GPU telemetry: 4 GPU(s)" in report
    assert "0% of samples belong to a training run" in report
    assert "hosts: gpu-node-a (2 GPU(s)), gpu-node-b (2 GPU(s))" in report
    assert "GPU 2 = gpu-node-b gpu 0 (GPU-gpu-node-b-0)" in report
    assert f"{(END - pd.Timedelta(days=2)).floor('D'):%Y-%m-%d}" in report
    assert (
        "training_sessions" in report
        and "DASHBOARD_DATA_SOURCE='mlflow:<URI>;prometheus:" in report
    )
