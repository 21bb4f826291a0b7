from auditlog.models import LogEntry
from django.contrib import admin

# auditlog registers its LogEntry in the admin, where an administrator would read the whole trail
# without AUDIT_VIEW and without the read being logged. The DPO reads it on the audit pages only
# (issue 9, finding 4). Autodiscovery imports auditlog's admin before this app's.
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)
