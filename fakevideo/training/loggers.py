"""A CSV logger that continues a resumed run's metrics.csv instead of deleting it (Lightning's default)."""

from __future__ import annotations

import csv
import os

from lightning_fabric.loggers.logger import rank_zero_experiment
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter


class _ContinuingWriter(ExperimentWriter):
    """Keeps the rows already in metrics.csv. Rows a killed run wrote after its last checkpoint are dropped when
    the resumed run logs those steps again, so the curve has neither gaps nor duplicate steps."""

    def _check_log_dir_exists(self) -> None:
        self._previous: list[dict] = []
        if os.path.isfile(self.metrics_file_path):
            with open(self.metrics_file_path, newline="") as file:
                self._previous = list(csv.DictReader(file))
            os.remove(self.metrics_file_path)

    def save(self) -> None:
        if self._previous and self.metrics:
            first_new_step = min(int(row["step"]) for row in self.metrics)
            kept = [row for row in self._previous if int(row["step"]) < first_new_step]
            self.metrics = kept + self.metrics
            self._previous = []
        super().save()


class ResumableCSVLogger(CSVLogger):
    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _ContinuingWriter(log_dir=self.log_dir)
        return self._experiment
