"""The expert's public page shows the profile staff approved (AM17); the
navigation leads each role to its packaged-services pages."""

from django.urls import reverse

from microwork import testing


def test_am17_the_public_page_shows_the_approved_profile(client, expert):
    response = client.get(reverse("gigs:expert", args=[expert.pk]))
    assert response.status_code == 200
    profile = expert.expert_profile
    assert profile.headline in response.content.decode()
    assert reverse("web:expert_photo", args=[expert.pk]) in response.content.decode()


def test_am17_an_expert_not_yet_approved_has_no_public_page(client, db):
    draft = testing.make_expert("draft@example.fr")
    testing.approve_documents(draft)
    assert client.get(reverse("gigs:expert", args=[draft.pk])).status_code == 404


def test_am11_navigation_leads_buyers_and_staff_to_their_pages(client, buyer, staff):
    client.force_login(buyer)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert reverse("gigs:my_orders") in page and reverse("gigs:custom_list") in page
    assert reverse("gigs:staff_dispute_list") not in page
    testing.signed_in(client, staff)
    page = client.get(reverse("web:dashboard")).content.decode()
    for name in ("gigs:staff_custom_list", "gigs:staff_dispute_list", "gigs:staff_flagged"):
        assert reverse(name) in page
