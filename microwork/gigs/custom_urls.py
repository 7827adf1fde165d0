"""Pages of custom requests (AM11) and of staff's packaged-services queues."""

from django.urls import URLPattern, path

from .views import custom, staff

urlpatterns: list[URLPattern] = [
    path("sur-mesure/", custom.custom_list, name="custom_list"),
    path("sur-mesure/<int:request_id>/", custom.custom_detail, name="custom_detail"),
    path("sur-mesure/<int:request_id>/proposer/", custom.custom_propose, name="custom_propose"),
    path("sur-mesure/propositions/<int:proposal_id>/accepter/", custom.proposal_accept, name="proposal_accept"),
    path("moderation/sur-mesure/", staff.custom_list, name="staff_custom_list"),
    path("moderation/sur-mesure/<int:request_id>/", staff.custom_detail, name="staff_custom_detail"),
    path("moderation/sur-mesure/<int:request_id>/inviter/", staff.custom_invite, name="staff_custom_invite"),
    path("moderation/litiges-commandes/", staff.dispute_list, name="staff_dispute_list"),
    path("moderation/litiges-commandes/<int:order_id>/", staff.dispute_detail, name="staff_dispute_detail"),
    path("moderation/litiges-commandes/<int:order_id>/decider/", staff.dispute_resolve, name="staff_dispute_resolve"),
    path("moderation/litiges-commandes/<int:order_id>/partage/", staff.dispute_split, name="staff_dispute_split"),
    path(
        "moderation/litiges-commandes/<int:order_id>/fichiers/<int:file_id>/",
        staff.order_file,
        name="staff_order_file",
    ),
    path("moderation/messages-signales/", staff.flagged_messages, name="staff_flagged"),
]
