from django.urls import path

from . import views

app_name = "missions"

urlpatterns = [
    path("", views.mission_list, name="list"),
    path("mine/", views.my_claims, name="my_claims"),
    path("company/<int:mission_id>/", views.company_mission, name="company_mission"),
]
