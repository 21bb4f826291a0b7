"""What applications tells the apps above it, which it does not import (README "Architecture")."""

from django.dispatch import Signal

# An enrolment ended (`services.enrolment_end`), sent inside its transaction with
# `enrolment` and `actor` (None: the daily job). Payments holds lines not yet sent for months
# after the end and records what was already paid for them as an overpayment.
enrolment_ended = Signal()
