from django.urls import path  # noqa: F401

app_name = "open"

# Public pages under /open/: indicators, budgets and civil society's monitoring, every cell
# under ten people suppressed.
urlpatterns = []
