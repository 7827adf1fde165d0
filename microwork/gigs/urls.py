"""Pages of the packaged-services trade, mounted at the site's root."""

from django.urls import URLPattern, URLResolver, include, path

app_name = "gigs"

urlpatterns: list[URLPattern | URLResolver] = [
    # Custom requests and staff queues live in their own list.
    path("", include("microwork.gigs.custom_urls")),
]
