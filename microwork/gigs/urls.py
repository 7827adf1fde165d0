"""Pages of the packaged-services trade, mounted at the site's root."""

from django.urls import URLPattern, URLResolver, include, path

from .views import expert, orders, trade

app_name = "gigs"

urlpatterns: list[URLPattern | URLResolver] = [
    # The catalogue, offers and experts, for everyone (AM04, AM07, AM14)
    path("services/", trade.catalogue, name="catalogue"),
    path("services/<int:offer_id>/", trade.offer_detail, name="offer"),
    path("services/<int:offer_id>/commander/", trade.offer_order, name="order_place"),
    path("services/<int:offer_id>/images/<int:image_id>/", trade.offer_image, name="offer_image"),
    path(
        "services/<int:offer_id>/images/<int:image_id>/miniature/",
        trade.offer_image,
        {"thumbnail": True},
        name="offer_thumbnail",
    ),
    path("experts/<int:expert_id>/", trade.expert_profile, name="expert"),
    # Orders, for their two parties (and staff, read-only) (AM05-AM10)
    path("commandes/", orders.my_orders, name="my_orders"),
    path("commandes/<int:order_id>/", orders.order_detail, name="order"),
    path("commandes/<int:order_id>/messages/", orders.order_conversation, name="conversation"),
    path("commandes/<int:order_id>/fichiers/<int:file_id>/", orders.order_file, name="order_file"),
    path(
        "commandes/<int:order_id>/annulations/<int:cancellation_id>/evaluation/",
        orders.cancellation_evaluate,
        name="cancellation_evaluate",
    ),
    path("commandes/<int:order_id>/<slug:action>/", orders.order_act, name="order_act"),
    # The expert's offers (AM01-AM03)
    path("mes-offres/", expert.my_offers, name="my_offers"),
    path("mes-offres/nouvelle/", expert.offer_new, name="offer_new"),
    path("mes-offres/<int:offer_id>/modifier/", expert.offer_edit, name="offer_edit"),
    path("mes-offres/<int:offer_id>/retirer/", expert.offer_withdraw, name="offer_withdraw"),
    # Custom requests and staff queues live in their own list.
    path("", include("microwork.gigs.custom_urls")),
]
