from django.contrib import admin

from zrunva.geo.models import Municipality, Office, Region, Settlement


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["iso_code", "name_ka", "name_en", "kind"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name_ka", "name_en", "region", "population", "highland_area"]
    list_filter = ["region", "highland_area"]
    search_fields = ["name_ka", "name_en"]


@admin.register(Settlement)
class SettlementAdmin(admin.ModelAdmin):
    list_display = ["name_ka", "name_en", "municipality", "kind", "is_highland", "is_synthetic"]
    list_filter = ["kind", "is_highland", "is_synthetic", "municipality__region"]
    search_fields = ["name_ka", "name_en"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name_ka", "name_en", "agency"]
    list_filter = ["agency"]
    filter_horizontal = ["municipalities"]
