"""The seed's difficulty balancing and its task-level, stratified validation split.

Difficulty is a property of a source task: a task "with correct examples" has at least one
record whose program got at least one train pair right (``correct_train_input``); a task
"without" has none. The seed balances the dataset 50/50 over tasks: the larger group is cut,
by dropping whole tasks with all their records, to as many tasks as the smaller group has
(its report: "67 with correct examples, 22 with no correct examples ... dropped 45 excess
correct-example tasks"). The tasks kept are a seeded random sample, so one seed always gives
the same dataset. When one group is empty the seed's rule would keep nothing; the export then
skips balancing and says so instead of writing an empty dataset.

The validation split is drawn after balancing, by whole tasks (no task in both splits), from
each group separately (stratified: validation has the same difficulty mix as training). As in
the seed there is none unless asked for; the seed's ``--validation`` puts about a tenth of the
tasks there (its report: 40 tasks in training, 4 in validation), ``VALIDATION_FRACTION``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

from harness.untrusted_text import printable

logger = logging.getLogger(__name__)

#: Share of the tasks in the validation split when one is asked for without a fraction.
VALIDATION_FRACTION = 0.1


def task_groups(records: Sequence[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(tasks with a correct train example, tasks without), each sorted by id."""
    easy: set[str] = set()
    tasks: set[str] = set()
    for record in records:
        tasks.add(record["task_id"])
        if any(record["correct_train_input"]):
            easy.add(record["task_id"])
    return sorted(easy), sorted(tasks - easy)


def balance(records: list[dict[str, Any]], seed: int
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The records of an equal number of tasks from each difficulty group, and a report."""
    with_correct, without = task_groups(records)
    report: dict[str, Any] = {"with_correct": len(with_correct), "without_correct": len(without),
                              "dropped_tasks": 0, "dropped_records": 0, "skipped": None}
    if not with_correct or not without:
        if records:
            empty = "with" if not with_correct else "without"
            report["skipped"] = f"no task {empty} a correct train example"
        return records, report
    larger, smaller = (with_correct, without) if len(with_correct) > len(without) else (
        without, with_correct)
    rng = random.Random(f"balance/{seed}")
    kept = set(rng.sample(larger, len(smaller))) | set(smaller)
    out = [r for r in records if r["task_id"] in kept]
    for task in larger:
        if task not in kept:
            logger.debug("task %s: dropped by balancing (%d records)", printable(task),
                         sum(r["task_id"] == task for r in records))
    report.update(dropped_tasks=len(larger) - len(smaller),
                  dropped_records=len(records) - len(out))
    return out, report


def assign_splits(records: list[dict[str, Any]], val_fraction: float, seed: int) -> None:
    """Set each record's ``split``: "validation" for a seeded ``val_fraction`` of the tasks of
    each difficulty group (rounded half up), "train" for the rest."""
    rng = random.Random(f"validation/{seed}")
    validation: set[str] = set()
    for group in task_groups(records):
        validation.update(rng.sample(group, int(val_fraction * len(group) + 0.5)))
    for task in sorted(validation):
        logger.debug("task %s: in the validation split", printable(task))
    for record in records:
        record["split"] = "validation" if record["task_id"] in validation else "train"
