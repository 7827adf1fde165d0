from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from microwork.api.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("missions/", include("microwork.missions.urls")),
    path("credits/", include("microwork.payouts.urls")),
    path("porte-monnaie/", include("microwork.ledger.urls")),
    path("factures/", include("microwork.billing.urls")),
    path("notifications/", include("microwork.notifications.urls")),
    path("webhooks/", include("microwork.webhooks.urls")),
    path("", include("microwork.moderation.urls")),
    path("", include("microwork.gigs.urls")),
    path("", include("microwork.web.urls")),
]

if settings.BENCH:
    # The benchmark's bare twins (microwork.ops.bench): never in production.
    urlpatterns.insert(0, path("bench/", include("microwork.ops.bench")))
