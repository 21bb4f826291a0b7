from zrunva.services import views
from zrunva.services.views import providers, services

app_name = "services"

urlpatterns = [*services.urls(), *providers.urls(), *views.urls()]
