from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("lues/", views.mark_read, name="mark_read"),
    path("contact/", views.contact, name="contact"),
]
