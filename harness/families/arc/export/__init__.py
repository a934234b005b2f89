"""ARC run logs -> hindsight-relabelled training data in the seed's competition format.

``sources`` picks and reads the task logs (untrusted input), ``records`` turns attempts into
records (quality rules, transduction filter, dedup), ``balance`` balances difficulty and draws
the validation split, ``write`` writes JSONL and Parquet. ``harness arc export-training`` is
the command.
"""

from harness.families.arc.export.records import (
    ExportCounts,
    ExportOptions,
    code_key,
    export_records,
    strip_comments,
    tasks_of,
)
from harness.families.arc.export.sources import LogFilter
from harness.families.arc.export.write import write_export

__all__ = ["ExportCounts", "ExportOptions", "LogFilter", "code_key", "export_records",
           "strip_comments", "tasks_of", "write_export"]
