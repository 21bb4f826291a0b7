"""Data integration's models, one module per part: imports from other registries, record
linkage and its review, merges (with undo), and other agencies' access."""

from zrunva.integration.models.imports import Import, ImportRow, Source, SourceLink

__all__ = ["Import", "ImportRow", "Source", "SourceLink"]
