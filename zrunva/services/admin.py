from django.contrib import admin

from zrunva.services.models import ServiceType, TargetGroup


@admin.register(ServiceType, TargetGroup)
class ManagedListAdmin(admin.ModelAdmin):
    """The managed lists (service types, target groups): administrators add to them."""

    list_display = ["code", "name_ka", "name_en"]
    search_fields = ["code", "name_ka", "name_en"]
