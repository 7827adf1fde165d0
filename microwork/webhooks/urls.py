from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("<int:endpoint_id>/supprimer/", views.endpoint_delete, name="delete"),
    path("<int:endpoint_id>/envois/<int:delivery_id>/renvoyer/", views.delivery_replay, name="replay"),
]
