"""ARC run logs -> hindsight-relabelled training data in the seed's competition format.

``sources`` picks and reads the task logs (untrusted input), ``discover`` finds the run
directories when none are named, ``records`` turns attempts into records (quality rules,
transduction filter, dedup), ``balance`` balances difficulty and draws the validation split,
``write`` writes JSONL and Parquet, ``hub`` stands in for the seed's Hugging Face push, and
``tasks`` makes program-free rows from a subset's tasks. ``harness arc export-training`` and
``harness arc export-tasks`` (``harness.cli.arc_export``) are the commands.
"""

from harness.families.arc.export.balance import VALIDATION_FRACTION
from harness.families.arc.export.discover import FoundRuns, find_runs
from harness.families.arc.export.hub import HubRequest, dataset_slug, default_name, upload_hint
from harness.families.arc.export.records import (
    ExportCounts,
    ExportOptions,
    code_key,
    export_records,
    strip_comments,
    tasks_of,
)
from harness.families.arc.export.sources import LogFilter
from harness.families.arc.export.tasks import task_records
from harness.families.arc.export.write import Layout, file_layout, folder_layout, write_export

__all__ = ["VALIDATION_FRACTION", "ExportCounts", "ExportOptions", "FoundRuns", "HubRequest",
           "Layout", "LogFilter", "code_key", "dataset_slug", "default_name", "export_records",
           "file_layout", "find_runs", "folder_layout", "strip_comments", "task_records",
           "tasks_of", "upload_hint", "write_export"]
