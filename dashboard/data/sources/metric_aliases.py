"""Logged names -> the contract's names; experiment and folder names -> model types.

MLflow metrics and TensorBoard scalar tags are matched after normalising: lower case, with `/`,
`.`, `-` and spaces read as `_` (so `train/accuracy`, `Train.Accuracy` and `train-accuracy` are
one name). The defaults below cover common spellings; the `DASHBOARD_METRIC_ALIASES` setting
(a JSON object `{"logged name": "contract name"}`) adds to them or overrides them. Names that map
to nothing keep their logged spelling in `training_metrics`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from simulator.schema import MODEL_TYPES

# Metric names the pages read (training_metrics.metric), and the session counts that a run may
# log as a parameter, a tag or a metric.
CONTRACT_METRICS: tuple[str, ...] = (
    "train_accuracy",
    "val_accuracy",
    "train_loss",
    "val_loss",
    "learning_rate",
    "epoch",
)
SESSION_COUNTS: tuple[str, ...] = ("samples", "epochs")

DEFAULT_METRIC_ALIASES: dict[str, str] = {
    **{name: name for name in CONTRACT_METRICS + SESSION_COUNTS},
    "accuracy": "train_accuracy",
    "acc": "train_accuracy",
    "train_acc": "train_accuracy",
    "training_accuracy": "train_accuracy",
    "accuracy_train": "train_accuracy",
    "val_acc": "val_accuracy",
    "valid_accuracy": "val_accuracy",
    "validation_accuracy": "val_accuracy",
    "eval_accuracy": "val_accuracy",
    "accuracy_val": "val_accuracy",
    "accuracy_validation": "val_accuracy",
    "loss": "train_loss",
    "training_loss": "train_loss",
    "loss_train": "train_loss",
    "valid_loss": "val_loss",
    "validation_loss": "val_loss",
    "eval_loss": "val_loss",
    "loss_val": "val_loss",
    "loss_validation": "val_loss",
    "lr": "learning_rate",
    # Keras's TensorBoard callback (validation tags read as validation/<tag>)
    "epoch_accuracy": "train_accuracy",
    "epoch_loss": "train_loss",
    "epoch_learning_rate": "learning_rate",
    "epoch_lr": "learning_rate",
    "validation_epoch_accuracy": "val_accuracy",
    "validation_epoch_loss": "val_loss",
    # PyTorch Lightning's self.log(..., on_epoch=True) and LearningRateMonitor
    "train_acc_epoch": "train_accuracy",
    "train_accuracy_epoch": "train_accuracy",
    "train_loss_epoch": "train_loss",
    "val_acc_epoch": "val_accuracy",
    "val_accuracy_epoch": "val_accuracy",
    "val_loss_epoch": "val_loss",
    "lr_adam": "learning_rate",
    "lr_adamw": "learning_rate",
    "lr_sgd": "learning_rate",
    "num_samples": "samples",
    "n_samples": "samples",
    "train_samples": "samples",
    "num_epochs": "epochs",
    "n_epochs": "epochs",
    "max_epochs": "epochs",
}

_SEPARATORS = re.compile(r"[\s/.\-]+")
_REPEATS = re.compile(r"_+")


def normalise(name: str) -> str:
    """`Train/Accuracy` -> `train_accuracy`: the form in which names are compared."""
    return _REPEATS.sub("_", _SEPARATORS.sub("_", name.strip().lower())).strip("_")


def _checked_mapping(mapping: object, setting: str) -> dict[str, str]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
    ):
        raise ValueError(f"{setting} must be a JSON object of names to names")
    return dict(mapping)


class MetricNames:
    """Maps logged metric, parameter and tag names to contract names."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        merged = {**DEFAULT_METRIC_ALIASES, **_checked_mapping(aliases, "DASHBOARD_METRIC_ALIASES")}
        self.aliases = {normalise(logged): contract for logged, contract in merged.items()}

    def contract_name(self, logged: str) -> str | None:
        """The contract name `logged` stands for, or None when it maps to nothing."""
        return self.aliases.get(normalise(logged))

    def metric(self, logged: str) -> str:
        """The training_metrics name of a logged metric: its alias, else its own name."""
        return self.contract_name(logged) or logged


class ModelTypes:
    """Resolves a model type from names (run tag, experiment, folder) via an optional mapping.

    A name resolves when the mapping (`DASHBOARD_MODEL_TYPE_MAP`, a JSON object
    `{"experiment or folder name": "model_type"}`) names it, or when it is itself a model type
    once normalised (`Threat Detection` -> `threat_detection`).
    """

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        checked = _checked_mapping(mapping, "DASHBOARD_MODEL_TYPE_MAP")
        unknown = sorted({value for value in checked.values() if value not in MODEL_TYPES})
        if unknown:
            raise ValueError(
                f"DASHBOARD_MODEL_TYPE_MAP maps to unknown model type(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(MODEL_TYPES)}"
            )
        self.mapping = {normalise(name): model_type for name, model_type in checked.items()}

    def resolve(self, name: str) -> str | None:
        key = normalise(name)
        if key in self.mapping:
            return self.mapping[key]
        return key if key in MODEL_TYPES else None

    def first(self, names: Iterable[str]) -> str | None:
        """The model type of the first name that resolves to one."""
        return next((found for found in map(self.resolve, names) if found), None)
