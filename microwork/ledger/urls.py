from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("recharger/", views.topup, name="topup_start"),
    path("recharges/<int:topup_id>/", views.topup_detail, name="topup"),
    path("rembourser/", views.refund, name="refund"),
]
