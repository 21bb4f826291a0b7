from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
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

    def has_change_permission(self, request, obj=None):
        # A DPO's account (its password too) is changed only on the server: see
        # permissions.ROLES_SET_ON_THE_SERVER.
        if obj is not None and permissions.role_set_on_the_server(obj.role):
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [
                (value, label)
                for value, label in db_field.choices
                if not permissions.role_set_on_the_server(value)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


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
