from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.invoices, name="invoices"),
    path("coordonnees/", views.billing_profile, name="profile"),
    path("identifiant-fiscal/", views.tax_details, name="tax_details"),
    path("<int:invoice_id>/pdf/", views.invoice_download, name="invoice_pdf"),
    path("releve/<int:year>.csv", views.statement_csv, name="statement_csv"),
    path("releve/<int:year>.pdf", views.statement_pdf_download, name="statement_pdf"),
    path("dac7/<int:year>.csv", views.dac7_csv, name="dac7_csv"),
]
