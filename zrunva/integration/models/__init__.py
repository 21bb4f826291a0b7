"""Data integration's models, one module per part: imports from other registries, record
linkage and its review, merges (with undo), data quality counts, and other agencies' access."""

from zrunva.integration.models.agencies import (
    Agency,
    AgencyClient,
    AgencyDisclosure,
    AgencyQuery,
)
from zrunva.integration.models.imports import Import, ImportRow, Source, SourceLink
from zrunva.integration.models.linkage import LinkageModel, LinkageRun, MatchPair
from zrunva.integration.models.merges import Merge, MergeChange, MergeChangeKind, MergeKind
from zrunva.integration.models.quality import QualityCount

__all__ = [
    "Agency",
    "AgencyClient",
    "AgencyDisclosure",
    "AgencyQuery",
    "Import",
    "ImportRow",
    "LinkageModel",
    "LinkageRun",
    "MatchPair",
    "Merge",
    "MergeChange",
    "MergeChangeKind",
    "MergeKind",
    "QualityCount",
    "Source",
    "SourceLink",
]
