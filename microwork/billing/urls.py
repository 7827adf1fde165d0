from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.invoices, name="invoices"),
    path("coordonnees/", views.billing_profile, name="profile"),
    path("<int:invoice_id>/pdf/", views.invoice_download, name="invoice_pdf"),
]
