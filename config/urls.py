from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from config.api import api
from zrunva.accounts.views import home
from zrunva.core.health import LivenessView, ReadinessView
from zrunva.core.views import metrics
from zrunva.integration.dci import dci_api

urlpatterns = [
    # Probes (core.health): no language prefix, no redirect to HTTPS (SECURE_REDIRECT_EXEMPT).
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    # Prometheus' scrape (README "Metrics and logs"): for allowed addresses or the token only.
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Other agencies' search (DCI), its own key and document: before the staff API's prefix.
    path("api/v1/dci/", dci_api.urls),
    path("api/v1/", api.urls),
]
urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("accounts/", include("zrunva.accounts.urls")),
    path("registry/", include("zrunva.registry.urls")),
    path("assessment/", include("zrunva.assessment.urls")),
    path("programmes/", include("zrunva.programmes.urls")),
    path("eligibility/", include("zrunva.programmes.urls_eligibility")),
    path("applications/", include("zrunva.applications.urls")),
    path("grievances/", include("zrunva.grievances.urls")),
    path("outreach/", include("zrunva.cases.urls_outreach")),
    path("payments/", include("zrunva.payments.urls")),
    path("cases/", include("zrunva.cases.urls")),
    path("services/", include("zrunva.services.urls")),
    path("integration/", include("zrunva.integration.urls")),
    path("questionnaires/", include("zrunva.questionnaires.urls")),
    path("portal/grievances/", include("zrunva.grievances.urls_portal")),
    path("portal/", include("zrunva.portal.urls")),
    path("analytics/", include("zrunva.analytics.urls")),
    path("open/", include("zrunva.analytics.urls_public")),
    path("outbox/", include("zrunva.notifications.urls")),
    path("audit/", include("zrunva.audit.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
