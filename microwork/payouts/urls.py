from django.urls import path

from . import views

app_name = "payouts"

urlpatterns = [
    path("", views.credits, name="credits"),
]
