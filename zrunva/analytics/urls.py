from django.urls import path  # noqa: F401

app_name = "analytics"

# Staff pages under /analytics/ (scoped; analysts see small cells suppressed).
urlpatterns = []
