from zrunva.services.views import providers, services

app_name = "services"

urlpatterns = [*services.urls(), *providers.urls()]
