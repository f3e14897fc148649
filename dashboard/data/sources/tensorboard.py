"""Training runs from TensorBoard event files: `DASHBOARD_DATA_SOURCE=tensorboard:<log dir>`.

Needs the `tensorboard` extra (`pip install .[tensorboard]`); reads with TensorBoard's own
EventAccumulator, keeping every point of every scalar (no reservoir sampling), whether written
TF2-style (tensor summaries) or PyTorch/TF1-style (simple values).

- Each directory holding `events.out.tfevents.*` files is a session; `session_id` is its path
  under the log dir (`threat_detection/v5.2.1/run-07`).
- Model type: the first folder on that path that names one (or that `DASHBOARD_MODEL_TYPE_MAP`
  maps); model version: the folder between it and the run folder, if any. Layout:
  `LOGDIR/<model type>/[<model version>/]<run>/events.out.tfevents.*`. Runs under no model
  type are left out, and `check-data` lists them.
- Event files carry no run status: a run whose last point is less than `ACTIVE_MINUTES` old
  is active, otherwise completed. Start and end are its first and last event times.
- Scalar tags -> training_metrics through the metric aliases; tags named like MLflow's system
  metrics -> resource_usage (see `dashboard.data.sources.training_runs`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from dashboard.data.sources.base import ReadingSource, Snapshot
from dashboard.data.sources.metric_aliases import MetricNames, ModelTypes
from dashboard.data.sources.training_runs import (
    POINT_COLUMNS,
    Run,
    empty_points,
    left_out,
    runs_snapshot,
)
from simulator.schema import MODEL_TYPES

EVENT_FILES = "events.out.tfevents.*"
ACTIVE_MINUTES = 15
MAX_SESSION_ID = 64


def session_id_of(relative: str) -> str:
    """The run's path, shortened with a hash suffix when longer than an id may be."""
    if len(relative) <= MAX_SESSION_ID:
        return relative
    digest = hashlib.sha256(relative.encode()).hexdigest()[:8]
    return f"…{relative[-(MAX_SESSION_ID - 10) :]}-{digest}"


class TensorBoardSource(ReadingSource):
    """Training sessions and their scalar curves from a TensorBoard log directory."""

    def __init__(
        self,
        log_dir: str | Path,
        metric_aliases: Mapping[str, str] | None = None,
        model_type_map: Mapping[str, str] | None = None,
    ) -> None:
        self.log_dir = Path(str(log_dir).strip()).expanduser()
        if not self.log_dir.is_dir():
            raise ValueError(f"DASHBOARD_DATA_SOURCE tensorboard:{log_dir} is not a directory")
        try:
            from tensorboard.backend.event_processing import plugin_event_accumulator
            from tensorboard.util import tensor_util
        except ImportError:
            raise ValueError(
                "reading TensorBoard logs needs the tensorboard extra: pip install "
                "'ai-model-training-dashboard[tensorboard]'"
            ) from None
        self._accumulator = plugin_event_accumulator.EventAccumulator
        self._to_array = tensor_util.make_ndarray
        self.names = MetricNames(metric_aliases)
        self.model_types = ModelTypes(model_type_map)
        self.name = f"TensorBoard {self.log_dir}"
        # run folder -> (event files' names, sizes and times, (first event time, points))
        self._read: dict[Path, tuple[object, tuple[float, pd.DataFrame]]] = {}

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        if not self.log_dir.is_dir():
            raise FileNotFoundError(f"TensorBoard log dir {self.log_dir} is gone")
        runs: list[Run] = []
        points: list[pd.DataFrame] = [empty_points()]
        skipped: dict[str, list[str]] = defaultdict(list)
        fingerprints = []
        run_dirs = sorted({path.parent for path in self.log_dir.rglob(EVENT_FILES)})
        for run_dir in run_dirs:
            relative = run_dir.relative_to(self.log_dir).as_posix()
            parts = run_dir.relative_to(self.log_dir).parts or (self.log_dir.name,)
            found = self._model_type(parts)
            if found is None:
                skipped["no folder on the path names a model type"].append(relative)
                continue
            model_type, version = found
            fingerprint = tuple(
                (path.name, path.stat().st_size, path.stat().st_mtime_ns)
                for path in sorted(run_dir.glob(EVENT_FILES))
            )
            fingerprints.append((relative, fingerprint))
            first_event, run_points = self._points(run_dir, session_id_of(relative), fingerprint)
            points.append(run_points)
            runs.append(
                self._session(
                    session_id_of(relative), model_type, version, first_event, run_points, now
                )
            )
        self._read = {path: value for path, value in self._read.items() if path in run_dirs}
        return runs_snapshot(
            runs,
            points,
            self.names,
            source=self.name,
            now=now,
            fingerprints=fingerprints,
            hint=self._hint,
            notes=tuple(
                left_out(
                    "run folder",
                    paths,
                    f"{reason} ({', '.join(MODEL_TYPES)}); "
                    "use LOGDIR/<model type>/[<version>/]<run> or DASHBOARD_MODEL_TYPE_MAP",
                )
                for reason, paths in skipped.items()
            ),
        )

    def _hint(self, table: str) -> str:
        return (
            f"TensorBoard logs hold training runs only; put {table}.parquet or {table}.csv in "
            f"a directory DIR and set DASHBOARD_DATA_SOURCE='tensorboard:{self.log_dir};DIR'"
        )

    def _model_type(self, parts: tuple[str, ...]) -> tuple[str, str | None] | None:
        for index, part in enumerate(parts):
            model_type = self.model_types.resolve(part)
            if model_type is not None:
                between = parts[index + 1 : -1]
                return model_type, between[0] if between else None
        return None

    def _points(
        self, run_dir: Path, session_id: str, fingerprint: object
    ) -> tuple[float, pd.DataFrame]:
        cached = self._read.get(run_dir)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        accumulator = self._accumulator(
            str(run_dir),
            size_guidance={"tensors": 1},
            tensor_size_guidance={"scalars": 0},  # 0: keep every point
            purge_orphaned_data=False,
        )
        accumulator.Reload()
        rows = [
            (
                session_id,
                tag,
                event.step,
                event.wall_time,
                self._to_array(event.tensor_proto).item(),
            )
            for tag in accumulator.Tags()["tensors"]
            if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
            for event in accumulator.Tensors(tag)
        ]
        frame = pd.DataFrame(rows, columns=POINT_COLUMNS)
        frame = frame.astype({"session_id": "string", "key": "string", "step": "int64"})
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True).astype(
            "datetime64[us, UTC]"
        )
        frame["value"] = frame["value"].astype("float64")
        result = (accumulator.FirstEventTimestamp(), frame)
        self._read[run_dir] = (fingerprint, result)
        return result

    def _session(
        self,
        session_id: str,
        model_type: str,
        version: str | None,
        first_event: float,
        points: pd.DataFrame,
        now: pd.Timestamp,
    ) -> Run:
        first = pd.Timestamp(first_event, unit="s", tz="UTC")
        started = min(first, points["timestamp"].min()) if len(points) else first
        last = points["timestamp"].max() if len(points) else first
        active = now - last < pd.Timedelta(minutes=ACTIVE_MINUTES)
        return Run(
            session_id=session_id,
            model_type=model_type,
            model_version=version,
            status="active" if active else "completed",
            started_at=started,
            ended_at=None if active else last,
        )
