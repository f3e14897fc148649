"""Learning curves: a point every ~3 minutes of each session for six training metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.clock import US_PER_MINUTE, US_PER_SECOND, utc_times
from simulator.rows import Rows
from simulator.schema import conform
from simulator.sessions import SessionPlan
from simulator.strings import fixed_width_strings, repeated_labels

# Alphabetical, so that rows sort by (session_id, step, metric) as they are generated.
METRICS = ("epoch", "learning_rate", "train_accuracy", "train_loss", "val_accuracy", "val_loss")
LAST_VALUE_METRICS = ("train_accuracy", "val_accuracy", "train_loss", "val_loss")
POINT_INTERVAL_MIN = 3
FINAL_TRAIN_ACCURACY = (0.70, 0.80)
FINAL_ACCURACY_GAP = 0.019  # validation within 2 points of training
FINAL_TRAIN_LOSS = (0.105, 0.295)
FINAL_VAL_LOSS = (0.125, 0.345)
FINAL_ACCURACY_BY_TYPE = (0.0, 0.012, -0.008, -0.010)
ACCURACY_PER_VERSION = 0.002  # incremental learning: each release ends a little higher
# From v5.3.0 (release 6) on, each release adds less: the gains level off at ~0.007 more.
GAIN_LEVELS_OFF_AFTER = 5
GAIN_DECAY = 0.7
BASE_LEARNING_RATE = (3e-4, 2e-4, 5e-4, 1e-4)


@dataclass(frozen=True)
class MetricPoints:
    """Logged points of all sessions, session by session, in time order."""

    session: np.ndarray  # session index of each point
    time_us: np.ndarray
    step: np.ndarray
    values: np.ndarray  # (points, len(METRICS)) in METRICS order
    offsets: np.ndarray  # first point of each session; offsets[-1] == number of points

    def last_values(self, points: np.ndarray) -> dict[str, np.ndarray]:
        """The last-value columns of sessions from their chosen point (-1: none yet)."""
        rows = self.values[np.clip(points, 0, None)]
        return {
            name: np.where(points >= 0, rows[:, METRICS.index(name)], np.nan)
            for name in LAST_VALUE_METRICS
        }


def version_gain(version: np.ndarray) -> np.ndarray:
    """Final accuracy added by a release over the mean of the first six (levelling off)."""
    later = np.maximum(version - GAIN_LEVELS_OFF_AFTER, 0)
    releases = np.minimum(version, GAIN_LEVELS_OFF_AFTER) + (1 - GAIN_DECAY**later) / (
        1 - GAIN_DECAY
    )
    return ACCURACY_PER_VERSION * (releases - 2.5)


def simulate_points(rng: np.random.Generator, plan: SessionPlan) -> MetricPoints:
    """Saturating accuracy and decaying loss curves with noise, calibrated at the final point."""
    sessions = plan.size
    actual_us = plan.end_us - plan.start_us
    counts = np.maximum(1, np.rint(actual_us / (POINT_INTERVAL_MIN * US_PER_MINUTE)))
    counts = counts.astype(np.int64)
    offsets = np.zeros(sessions + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    session = np.repeat(np.arange(sessions, dtype=np.int32), counts)
    k = np.arange(offsets[-1]) - offsets[session] + 1
    # Evenly spaced, each logged at the last whole second before its share of the session,
    # so that even the last point of a session ending at midnight falls on the session's day.
    elapsed_us = (k * actual_us[session] // counts[session] - 1) // US_PER_SECOND * US_PER_SECOND
    time_us = plan.start_us[session] + elapsed_us
    progress = elapsed_us / plan.planned_us[session]
    final = (k == counts[session]) & (plan.failure[session] < 0)

    draw = rng.uniform
    mtype = plan.model_type
    acc_final = (
        0.75
        + version_gain(plan.version)
        + np.asarray(FINAL_ACCURACY_BY_TYPE)[mtype]
        + rng.normal(0.0, 0.012, sessions)
    ).clip(0.715, 0.785)
    acc_start = draw(0.50, 0.62, sessions)
    acc_rate = draw(3.0, 6.0, sessions)
    acc_gap = rng.normal(0.006, 0.005, sessions).clip(-0.012, 0.015)
    loss_final = (0.20 - 1.6 * (acc_final - 0.75) + rng.normal(0.0, 0.025, sessions)).clip(
        0.115, 0.285
    )
    loss_start = draw(0.70, 1.10, sessions)
    loss_rate = draw(3.0, 6.0, sessions)
    loss_gap = draw(0.012, 0.045, sessions)
    base_lr = np.asarray(BASE_LEARNING_RATE)[mtype] * draw(0.8, 1.2, sessions)

    def saturation(rate: np.ndarray) -> np.ndarray:
        return (1 - np.exp(-rate[session] * progress)) / (1 - np.exp(-rate[session]))

    noise = rng.standard_normal((session.size, 4))
    fading = 1 - 0.6 * np.minimum(progress, 1)  # early steps are noisier
    acc_curve = saturation(acc_rate)
    acc_clean = acc_start[session] + (acc_final - acc_start)[session] * acc_curve
    train_acc = acc_clean + 0.005 * fading * noise[:, 0]
    val_acc = acc_clean - acc_gap[session] * acc_curve + 0.006 * fading * noise[:, 1]
    val_acc = np.clip(val_acc, train_acc - FINAL_ACCURACY_GAP, train_acc + FINAL_ACCURACY_GAP)
    loss_curve = 1 - saturation(loss_rate)
    loss_clean = loss_final[session] + (loss_start - loss_final)[session] * loss_curve
    train_loss = loss_clean * (1 + 0.02 * noise[:, 2])
    val_loss = (loss_clean + loss_gap[session]) * (1 + 0.025 * noise[:, 3])
    warmup = np.minimum(1.0, progress / 0.05)
    cosine = 0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * np.minimum(progress, 1)))
    learning_rate = base_lr[session] * warmup * cosine

    train_acc = np.where(final, train_acc.clip(*FINAL_TRAIN_ACCURACY), train_acc.clip(0, 0.8))
    train_loss = np.where(final, train_loss.clip(*FINAL_TRAIN_LOSS), train_loss)
    val_loss = np.where(final, val_loss.clip(*FINAL_VAL_LOSS), val_loss)
    # Fractional epochs, as training loops log them: progress through the planned epochs.
    epoch = np.minimum(progress, 1.0) * plan.epochs[session]
    values = np.column_stack([epoch, learning_rate, train_acc, train_loss, val_acc, val_loss])

    steps_per_minute = draw(80, 160, sessions)
    step = np.maximum(1, np.rint(elapsed_us / US_PER_MINUTE * steps_per_minute[session]))
    return MetricPoints(session, time_us, step.astype(np.int64), values, offsets)


def metric_rows(points: MetricPoints, session_ids: np.ndarray) -> Rows:
    """The day's training_metrics rows, one per logged point (a row per metric in the frame)."""
    return {
        "session_id": session_ids[points.session],
        "step": points.step,
        "timestamp": points.time_us,
        "values": points.values,
    }


def metrics_frame(rows: Rows) -> pd.DataFrame:
    """The training_metrics table: one row per (session, step, metric), in that order."""
    per_point = len(METRICS)
    frame = pd.DataFrame(
        {
            "session_id": fixed_width_strings(np.repeat(rows["session_id"], per_point)),
            "step": np.repeat(rows["step"], per_point),
            "timestamp": utc_times(np.repeat(rows["timestamp"], per_point)),
            "metric": repeated_labels(METRICS, rows["step"].size),
            "value": rows["values"].ravel(),
        }
    )
    return conform("training_metrics", frame)
