"""The hidden-mapping family's rows: ``AttemptRow`` plus the grid point, its dataset and the
validation/test accuracies (``harness.run.rows`` holds what every family shares)."""

from __future__ import annotations

from typing import TypedDict

from harness.run.rows import AttemptRow, BestFields, SummaryRow


class ErmFields(TypedDict, total=False):
    fn: str
    length: int
    prompt_version: str  # the prompt's wording (harness.families.erm.prompt)
    target_name: str
    global_seed: int  # the base seed every grid point's dataset seed derives from
    dataset_seed: int
    dataset_path: str
    train_size: int
    val_size: int
    test_size: int
    val_acc: float  # selection score (validation only)
    test_acc: float
    first_error: str | None  # the first failing input's verdict and detail
    sandbox_retried: bool  # the exec server restarted once during this program


class RerunFields(TypedDict, total=False):
    """A rerun's row: a stored program scored on a new dataset, with its source's scores."""

    source_run_id: str
    program_sha256: str
    source_val_acc: float
    source_test_acc: float
    source_test_size: int
    source_dataset_seed: int


class ErmAttemptRow(AttemptRow, ErmFields, RerunFields, total=False):
    pass


class ErmBestRow(ErmAttemptRow, BestFields, total=False):
    pass


class ErmSummaryRow(SummaryRow, total=False):
    fn: str
    length: int
    prompt_version: str
    target_name: str
    global_seed: int
    dataset_seed: int
    dataset_path: str
    val_size: int
    test_size: int
    source_run_id: str
