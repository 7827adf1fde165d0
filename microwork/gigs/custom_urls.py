"""Pages of custom requests (AM11) and of staff's packaged-services queues."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
