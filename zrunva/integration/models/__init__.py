"""Data integration's models, one module per part: imports from other registries, record
linkage and its review, merges (with undo), and other agencies' access."""

from zrunva.integration.models.agencies import (
    Agency,
    AgencyClient,
    AgencyDisclosure,
    AgencyQuery,
)
from zrunva.integration.models.imports import Import, ImportRow, Source, SourceLink
from zrunva.integration.models.linkage import LinkageModel, LinkageRun, MatchPair

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
    "Source",
    "SourceLink",
]
