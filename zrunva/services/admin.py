from django.contrib import admin

from zrunva.services.models import (
    Area,
    Criterion,
    ServiceType,
    Standard,
    StandardVersion,
    TargetGroup,
)


@admin.register(ServiceType, TargetGroup)
class ManagedListAdmin(admin.ModelAdmin):
    """The managed lists (service types, target groups): administrators add to them."""

    list_display = ["code", "name_ka", "name_en"]
    search_fields = ["code", "name_ka", "name_en"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    """Standards: administrators write them, with their sources; the checklist is versioned."""

    list_display = ["code", "name_ka", "name_en"]
    search_fields = ["code", "name_ka", "name_en"]
    filter_horizontal = ["service_types", "target_groups"]


class _FrozenWhenPublished:
    """A published version's checklist is read-only: a change is a new version."""

    def _published(self, obj) -> bool:
        return False

    def has_change_permission(self, request, obj=None):
        return not self._published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._published(obj) and super().has_delete_permission(request, obj)


class _FrozenInline(_FrozenWhenPublished):
    def has_add_permission(self, request, obj=None):
        return not self._published(obj) and super().has_add_permission(request, obj)


class AreaInline(_FrozenInline, admin.TabularInline):
    model = Area
    extra = 0

    def _published(self, obj) -> bool:
        return obj is not None and obj.published


@admin.register(StandardVersion)
class StandardVersionAdmin(admin.ModelAdmin):
    list_display = ["standard", "number", "valid_from", "published"]
    list_filter = ["published"]
    inlines = [AreaInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published:
            return ["standard", "number", "valid_from", "published"]
        return []


class CriterionInline(_FrozenInline, admin.StackedInline):
    model = Criterion
    extra = 0

    def _published(self, obj) -> bool:
        return obj is not None and obj.version.published


@admin.register(Area)
class AreaAdmin(_FrozenWhenPublished, admin.ModelAdmin):
    list_display = ["version", "order", "name_ka", "name_en"]
    inlines = [CriterionInline]

    def _published(self, obj) -> bool:
        return obj is not None and obj.version.published
