from django.urls import path

from . import views

app_name = "payouts"

urlpatterns = [
    # Taskers and experts (HM16, AM15)
    path("", views.credits, name="credits"),
    path("comptes/", views.account_add, name="account_add"),
    path("comptes/<int:account_id>/par-defaut/", views.account_make_default, name="account_default"),
    path("retrait/", views.payout_request, name="payout_request"),
    path("retraits/<int:payout_id>/code/", views.voucher_reveal, name="voucher_reveal"),
    # Companies (HM10)
    path("entreprise/", views.company_balance, name="company_balance"),
    path("entreprise/recharger/", views.company_topup, name="company_topup"),
    # Staff (MW03)
    path("versements/", views.staff, name="staff"),
    path("versements/lots/", views.staff_batch_create, name="staff_batch_create"),
    path("versements/lots/<int:batch_id>/fichier/", views.staff_batch_export, name="staff_batch_export"),
    path("versements/lots/<int:batch_id>/paye/", views.staff_batch_paid, name="staff_batch_paid"),
    path("versements/<int:payout_id>/echec/", views.staff_payout_fail, name="staff_payout_fail"),
    path("versements/bons/import/", views.staff_voucher_import, name="staff_voucher_import"),
]
