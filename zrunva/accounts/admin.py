from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from zrunva.accounts.models import ApiToken, Organisation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "municipality",
        "office",
        "is_active",
    ]
    list_filter = ["role", "is_active", "office__agency"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Role and scope"),
            {"fields": ("role", "municipality", "office", "organisation", "preferred_language")},
        ),
    )

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, never deleted: the audit trail refers to them.
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_ka"]
    filter_horizontal = ["municipalities"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked"]

    def has_add_permission(self, request):
        return False  # issued with `manage.py api_token_issue`, which shows the key once
