from django.urls import path

from .views import batches, bonuses, company, staff, tasker

app_name = "missions"

urlpatterns = [
    # Taskers (HM04-HM06, HM12, HM13, HM15)
    path("", tasker.mission_list, name="list"),
    path("<int:mission_id>/", tasker.mission_detail, name="detail"),
    path("<int:mission_id>/prendre/", tasker.mission_claim, name="claim"),
    path("mes-missions/", tasker.my_claims, name="my_claims"),
    path("participations/<int:claim_id>/rapport/", tasker.claim_report, name="report"),
    path("participations/<int:claim_id>/abandonner/", tasker.claim_release, name="release"),
    path("participations/<int:claim_id>/contester/", tasker.claim_dispute, name="dispute"),
    # The path the API gives for a report's files.
    path("claims/<int:claim_id>/files/<int:file_id>/", tasker.report_file, name="report_file"),
    # Companies (HM06-HM10, HM12, HM14, HM15b, MW04)
    path("entreprise/", company.company_list, name="company_list"),
    path("entreprise/nouvelle/", company.mission_create, name="create"),
    path("entreprise/cout/", company.mission_price, name="price"),
    path("entreprise/lot/", company.mission_batch, name="batch"),
    path("entreprise/lot/exemple.csv", company.batch_sample, name="batch_sample"),
    path("entreprise/<int:mission_id>/", company.company_mission, name="company_mission"),
    path("entreprise/<int:mission_id>/modifier/", company.mission_edit, name="edit"),
    path("entreprise/<int:mission_id>/soumettre/", company.mission_submit, name="submit"),
    path("entreprise/<int:mission_id>/retirer/", company.mission_withdraw, name="withdraw"),
    path("entreprise/lots/", batches.batch_list, name="batch_list"),
    path("entreprise/lots/nouveau/", batches.batch_create, name="batch_create"),
    path("entreprise/lots/<int:batch_id>/", batches.batch_detail, name="batch_detail"),
    path("entreprise/lots/<int:batch_id>/soumettre/", batches.batch_submit, name="batch_submit"),
    path("entreprise/lots/<int:batch_id>/retirer/", batches.batch_withdraw, name="batch_withdraw"),
    path("entreprise/lots/<int:batch_id>/resultats.csv", batches.batch_results, name="batch_results"),
    path("participations/<int:claim_id>/valider/", company.claim_approve, name="approve"),
    path("participations/<int:claim_id>/refuser/", company.claim_reject, name="reject"),
    path("participations/<int:claim_id>/bonus/", bonuses.claim_bonus, name="bonus"),
    # Staff (HM11, HM15)
    path("moderation/", staff.review_queue, name="review_queue"),
    path("moderation/<int:mission_id>/publier/", staff.mission_publish, name="publish"),
    path("moderation/<int:mission_id>/modifications/", staff.mission_request_changes, name="request_changes"),
    path("moderation/lots/<int:batch_id>/publier/", batches.batch_publish, name="batch_publish"),
    path("moderation/lots/<int:batch_id>/modifications/", batches.batch_request_changes, name="batch_request_changes"),
    path("litiges/", staff.disputes, name="disputes"),
    path("litiges/<int:claim_id>/regler/", staff.claim_settle, name="settle"),
]
