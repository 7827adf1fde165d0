from django.urls import path

from . import views

app_name = "missions"

urlpatterns = [
    # Taskers (HM04-HM06, HM12, HM13, HM15)
    path("", views.mission_list, name="list"),
    path("<int:mission_id>/", views.mission_detail, name="detail"),
    path("<int:mission_id>/prendre/", views.mission_claim, name="claim"),
    path("mes-missions/", views.my_claims, name="my_claims"),
    path("participations/<int:claim_id>/rapport/", views.claim_report, name="report"),
    path("participations/<int:claim_id>/abandonner/", views.claim_release, name="release"),
    path("participations/<int:claim_id>/contester/", views.claim_dispute, name="dispute"),
    # The path the API gives for a report's files.
    path("claims/<int:claim_id>/files/<int:file_id>/", views.report_file, name="report_file"),
    # Companies (HM06-HM10, HM12, HM14, HM15b, MW04)
    path("entreprise/", views.company_list, name="company_list"),
    path("entreprise/nouvelle/", views.mission_create, name="create"),
    path("entreprise/cout/", views.mission_price, name="price"),
    path("entreprise/lot/", views.mission_batch, name="batch"),
    path("entreprise/lot/exemple.csv", views.batch_sample, name="batch_sample"),
    path("entreprise/<int:mission_id>/", views.company_mission, name="company_mission"),
    path("entreprise/<int:mission_id>/modifier/", views.mission_edit, name="edit"),
    path("entreprise/<int:mission_id>/soumettre/", views.mission_submit, name="submit"),
    path("entreprise/<int:mission_id>/retirer/", views.mission_withdraw, name="withdraw"),
    path("participations/<int:claim_id>/valider/", views.claim_approve, name="approve"),
    path("participations/<int:claim_id>/refuser/", views.claim_reject, name="reject"),
    # Staff (HM11, HM15)
    path("moderation/", views.review_queue, name="review_queue"),
    path("moderation/<int:mission_id>/publier/", views.mission_publish, name="publish"),
    path("moderation/<int:mission_id>/modifications/", views.mission_request_changes, name="request_changes"),
    path("litiges/", views.disputes, name="disputes"),
    path("litiges/<int:claim_id>/regler/", views.claim_settle, name="settle"),
]
