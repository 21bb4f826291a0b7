"""Data integration's models, one module per part: imports from other registries, record
linkage and its review, merges (with undo), and other agencies' access."""

from zrunva.integration.models.merges import (  # noqa: F401
    Merge,
    MergeChange,
    MergeChangeKind,
    MergeKind,
)
from zrunva.integration.models.quality import QualityCount  # noqa: F401
