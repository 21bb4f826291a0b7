from django.contrib import admin

from zrunva.payments.models import PaymentAccount


@admin.register(PaymentAccount)
class PaymentAccountAdmin(admin.ModelAdmin):
    """Read-only: accounts change through the service, which closes the one before."""

    list_display = ("person", "method", "iban", "holder", "valid_from", "valid_until")
    list_filter = ("method",)
    raw_id_fields = ("person", "holder", "representative")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
