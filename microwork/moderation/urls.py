from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    # Everyone signed in (AC04)
    path("signaler/", views.report, name="report"),
    # Staff: the inbox of reports and contact messages (AC04, HM18)
    path("moderation/signalements/", views.staff_reports, name="staff_reports"),
    path(
        "moderation/signalements/<int:report_id>/suspendre/",
        views.staff_report_suspend,
        name="staff_report_suspend",
    ),
    path(
        "moderation/signalements/<int:report_id>/<slug:decision>/",
        views.staff_report_decide,
        name="staff_report_decide",
    ),
    path("moderation/signalements/contact/", views.staff_contacts, name="staff_contacts"),
    path(
        "moderation/signalements/contact/<int:contact_id>/<slug:decision>/",
        views.staff_contact_move,
        name="staff_contact_move",
    ),
    path("moderation/comptes/", views.staff_suspensions, name="staff_suspensions"),
    path("moderation/comptes/<int:user_id>/", views.staff_account, name="staff_account"),
    path("moderation/comptes/<int:user_id>/suspendre/", views.staff_account_suspend, name="staff_account_suspend"),
    path("moderation/comptes/<int:user_id>/lever/", views.staff_account_unsuspend, name="staff_account_unsuspend"),
]
