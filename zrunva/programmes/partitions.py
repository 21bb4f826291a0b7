"""The eligibility decisions partitioned by month of `period` on PostgreSQL (the months'
mechanics are `zrunva.core.partitions`'; migration 0015 converts the table). A decision lives in
the partition of the month it starts in: a run writes its changes into its own month's, and
closing or replacing rows names their month so that each statement reads one partition
(`runs._for_ids`). What is in force is read from every month through each partition's copy of
`decision_in_force_idx`. The months of years before last year are merged into a partition per
year: a read that cannot name its months (one household's decisions) costs the planner a
little per partition. docs/partitioning.md has the design and the measurement."""

from zrunva.core.partitions import Monthly

DECISIONS = Monthly(
    table="programmes_decision",
    column="period",
    instants=False,
    ahead_setting="DECISION_PARTITIONS_AHEAD",
    monthly_years_setting="DECISION_PARTITIONS_MONTHLY_YEARS",
)
