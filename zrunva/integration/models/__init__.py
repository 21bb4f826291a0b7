"""Data integration's models, one module per part: imports from other registries, record
linkage and its review, merges (with undo), and other agencies' access."""

from zrunva.integration.models.agencies import (  # noqa: F401
    Agency,
    AgencyClient,
    AgencyDisclosure,
    AgencyQuery,
)
