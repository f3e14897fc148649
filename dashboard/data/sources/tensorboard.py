"""Training runs from TensorBoard event files: `DASHBOARD_DATA_SOURCE=tensorboard:<log dir>`.

Needs the `tensorboard` extra (`pip install .[tensorboard]`); reads with TensorBoard's own
EventAccumulator, keeping every point of every scalar (no reservoir sampling), whether written
TF2-style (tensor summaries) or PyTorch/TF1-style (simple values).

- Each directory holding `events.out.tfevents.*` files is a session; `session_id` is its path
  under the log dir (`threat_detection/v5.2.1/run-07`), `run_name` its folder's name.
- Keras's layout: a run folder's `train/` and `validation/` subfolders are one session; the
  validation folder's tags read as `validation/<tag>` (`epoch_accuracy` there is val_accuracy).
- PyTorch Lightning's layout: `<name>/version_N/` with `hparams.yaml`; its run name is
  `<name>/version_N`, and its hyperparameters count as parameters (`max_epochs` -> epochs;
  `model_type`, `model_version` and `run_name` there say those when no folder does; and
  `gpu_host` and `gpus` claim GPUs, as MLflow runs do).
- Model type: the first folder on that path that names one (or that `DASHBOARD_MODEL_TYPE_MAP`
  maps), else the run's `hparams.yaml`; model version: the folder between it and the run
  folder, if any, else `hparams.yaml`. Layout:
  `LOGDIR/<model type>/[<model version>/]<run>/events.out.tfevents.*`. Runs under no model
  type are left out, and `check-data` lists them.
- Event files carry no run status: a run whose last point is less than `ACTIVE_MINUTES` old
  is active, otherwise completed. Start and end are its first and last event times.
- Scalar tags -> training_metrics through the metric aliases; tags named like MLflow's system
  metrics -> resource_usage (see `dashboard.data.sources.training_runs`).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
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
HPARAMS = "hparams.yaml"
# Keras's TensorBoard callback: <run>/train and <run>/validation; the prefix of each folder's tags.
KERAS_SPLITS = {"train": "", "validation": "validation/"}
LIGHTNING_VERSION = re.compile(r"^version_\d+$")
ACTIVE_MINUTES = 15
MAX_SESSION_ID = 64


def run_folders(event_dirs: list[Path], log_dir: Path) -> dict[Path, list[tuple[Path, str]]]:
    """Each run folder with its folders of event files and their tags' prefix: Keras's
    `train/` and `validation/` belong to the folder above them."""
    folders: dict[Path, list[tuple[Path, str]]] = defaultdict(list)
    for event_dir in event_dirs:
        if event_dir.name in KERAS_SPLITS and event_dir != log_dir:
            folders[event_dir.parent].append((event_dir, KERAS_SPLITS[event_dir.name]))
        else:
            folders[event_dir].append((event_dir, ""))
    return dict(sorted(folders.items()))


def read_hparams(path: Path) -> dict[str, str]:
    """A run's `hparams.yaml` (PyTorch Lightning) as flat text parameters; {} if none or bad."""
    if not path.is_file():
        return {}
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {
        str(key): str(value)
        for key, value in loaded.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def run_name_of(run_dir: Path, hparams: Mapping[str, str]) -> str:
    """What people call a run: hparams' `run_name`, else `<name>/version_N` for a Lightning
    version folder, else the run folder's name."""
    if hparams.get("run_name"):
        return hparams["run_name"]
    if LIGHTNING_VERSION.match(run_dir.name):
        return f"{run_dir.parent.name}/{run_dir.name}"
    return run_dir.name


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
        event_dirs = sorted({path.parent for path in self.log_dir.rglob(EVENT_FILES)})
        folders = run_folders(event_dirs, self.log_dir)
        for run_dir, splits in folders.items():
            relative = run_dir.relative_to(self.log_dir).as_posix()
            parts = run_dir.relative_to(self.log_dir).parts or (self.log_dir.name,)
            hparams = read_hparams(run_dir / HPARAMS)
            found = self._model_type(parts, hparams)
            if found is None:
                skipped["no folder on the path names a model type"].append(relative)
                continue
            model_type, version = found
            session_id = session_id_of(relative)
            first_events, run_points = [], [empty_points()]
            for event_dir, prefix in splits:
                fingerprint = tuple(
                    (path.name, path.stat().st_size, path.stat().st_mtime_ns)
                    for path in sorted(event_dir.glob(EVENT_FILES))
                )
                fingerprints.append((event_dir.relative_to(self.log_dir).as_posix(), fingerprint))
                first_event, split_points = self._points(event_dir, session_id, fingerprint)
                first_events.append(first_event)
                run_points.append(split_points.assign(key=prefix + split_points["key"]))
            merged = pd.concat(run_points, ignore_index=True)
            points.append(merged)
            run = self._session(session_id, model_type, version, min(first_events), merged, now)
            runs.append(replace(run, run_name=run_name_of(run_dir, hparams), params=hparams))
        kept = {event_dir for splits in folders.values() for event_dir, _ in splits}
        self._read = {path: value for path, value in self._read.items() if path in kept}
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
                    "use LOGDIR/<model type>/[<version>/]<run>, DASHBOARD_MODEL_TYPE_MAP or "
                    "model_type in the run's hparams.yaml",
                )
                for reason, paths in skipped.items()
            ),
        )

    def _hint(self, table: str) -> str:
        return (
            f"TensorBoard logs hold training runs only; put {table}.parquet or {table}.csv in "
            f"a directory DIR and set DASHBOARD_DATA_SOURCE='tensorboard:{self.log_dir};DIR'"
        )

    def _model_type(
        self, parts: tuple[str, ...], hparams: Mapping[str, str]
    ) -> tuple[str, str | None] | None:
        for index, part in enumerate(parts):
            model_type = self.model_types.resolve(part)
            if model_type is not None:
                between = parts[index + 1 : -1]
                version = between[0] if between else hparams.get("model_version")
                return model_type, version
        model_type = self.model_types.resolve(hparams.get("model_type", ""))
        return None if model_type is None else (model_type, hparams.get("model_version"))

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
