from django.contrib.auth.views import LogoutView
from django.urls import path

from .views import account, dashboard, experts, public, staff

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    # Accounts (AC01)
    path("connexion/", public.SignInView.as_view(), name="login"),
    path("deconnexion/", LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", public.PasswordReset.as_view(), name="password_reset"),
    path("mot-de-passe/oublie/envoye/", public.PasswordResetDone.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        public.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/nouveau/termine/", public.PasswordResetComplete.as_view(), name="password_reset_complete"),
    # Sign up (HM01, HM03)
    path("inscription/tasker/", public.signup_tasker, name="signup_tasker"),
    path("inscription/entreprise/", public.signup_company, name="signup_company"),
    path("inscription/expert/", public.signup_expert, name="signup_expert"),
    path("telephone/", public.phone_verify, name="phone_verify"),
    path("telephone/nouveau-code/", public.phone_code_send, name="phone_code_send"),
    path("telephone/changer/", public.phone_change, name="phone_change"),
    # Signed in
    path("tableau-de-bord/", dashboard.dashboard, name="dashboard"),
    path("tableau-de-bord/recharger/", dashboard.topup, name="topup"),
    path("tableau-de-bord/documents/", dashboard.document_upload, name="document_upload"),
    path("documents/<int:document_id>/fichier/", dashboard.document_file, name="document_file"),
    # Legal documents and consent (AC03)
    path("conditions-utilisation/", account.legal_terms_of_use, name="legal_terms_of_use"),
    path("conditions-vente/", account.legal_terms_of_sale, name="legal_terms_of_sale"),
    path("confidentialite/", account.legal_privacy, name="legal_privacy"),
    path("mentions-legales/", account.legal_notice, name="legal_notice"),
    path("conditions/accepter/", account.legal_accept, name="legal_accept"),
    # My data (AC03) and closing the account (AC02)
    path("tableau-de-bord/mes-donnees/", account.export_download, name="export"),
    path("mes-donnees/<str:token>/", account.export_file, name="export_download"),
    path("tableau-de-bord/fermer-mon-compte/", account.closure, name="closure"),
    path("tableau-de-bord/fermer-mon-compte/annuler/", account.closure_cancel, name="closure_cancel"),
    # Signed-in browsers and API tokens (PL06)
    path("tableau-de-bord/securite/", account.security, name="security"),
    path(
        "tableau-de-bord/securite/sessions/<int:session_id>/revoquer/",
        account.security_session_end,
        name="security_session_end",
    ),
    path(
        "tableau-de-bord/securite/jetons/<int:token_id>/revoquer/",
        account.security_token_revoke,
        name="security_token_revoke",
    ),
    path("tableau-de-bord/securite/mot-de-passe/", account.PasswordChange.as_view(), name="password_change"),
    # Staff's second factor (PL06)
    path("securite/deuxieme-facteur/", account.second_factor, name="second_factor"),
    # Expert profile (AM13, AM17)
    path("tableau-de-bord/profil-expert/", experts.expert_profile, name="expert_profile"),
    path("tableau-de-bord/profil-expert/photo/", experts.expert_profile_photo, name="expert_profile_photo"),
    path("tableau-de-bord/profil-expert/envoyer/", experts.expert_profile_submit, name="expert_profile_submit"),
    path("experts/<int:expert_id>/photo/", experts.expert_photo, name="expert_photo"),
    # Staff (AM13)
    path("moderation/documents/", staff.staff_documents, name="staff_documents"),
    path(
        "moderation/documents/<int:document_id>/approuver/",
        staff.staff_document_approve,
        name="staff_document_approve",
    ),
    path(
        "moderation/documents/<int:document_id>/refuser/",
        staff.staff_document_refuse,
        name="staff_document_refuse",
    ),
    # Staff (AM17)
    path("moderation/experts/", staff.staff_experts, name="staff_experts"),
    path("moderation/experts/<int:expert_id>/approuver/", staff.staff_expert_approve, name="staff_expert_approve"),
    path("moderation/experts/<int:expert_id>/refuser/", staff.staff_expert_refuse, name="staff_expert_refuse"),
]
