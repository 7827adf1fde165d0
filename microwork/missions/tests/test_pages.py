# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""The micro-mission pages, driven as each persona would through Django's test client."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from microwork import testing
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.missions import services
from microwork.missions.batch import parse_batch_csv
from microwork.missions.models import Claim, ClaimState, Mission, MissionState, ReportFile
from microwork.notifications.models import Notice
from microwork.testing import ACCOUNT, MISSION, english
from microwork.testing import make_mission as draft
from microwork.testing import make_published as published
from microwork.testing import signed_in as as_user

from .conftest import photo_upload

QUESTIONS = [
    {"key": "shelf", "label": "Photo of the shelf", "kind": "photo"},
    {"key": "full", "label": "Was the shelf full?", "kind": "choice", "choices": ["Yes", "No"]},
    {"key": "note", "label": "Anything to add?", "kind": "long_text", "required": False},
]


@pytest.fixture(autouse=True)
def _pages_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def reported(company: Any, staff: Any, tasker: Any) -> Claim:
    mission = published(company, staff, questions=QUESTIONS)
    claim = services.claim_create(mission=mission, tasker=tasker)
    services.report_file_add(claim=claim, by=tasker, question_key="shelf", upload=photo_upload("JPEG", size=(40, 30)))
    return services.claim_report(claim=claim, by=tasker, answers={"full": "Yes"})


def available(user: Any) -> int:
    return wallet_balance(user).available_cents


def html(response: Any) -> str:
    return response.content.decode()


# --- Access ---------------------------------------------------------------

# The mission list is open to visitors (MW01); what is the tasker's own is not.
TASKER_PAGES = [("missions:my_claims", [])]
COMPANY_PAGES = [("missions:company_list", []), ("missions:create", []), ("missions:batch", [])]
STAFF_PAGES = [("missions:review_queue", []), ("missions:disputes", [])]


@pytest.mark.parametrize("name", [n for n, _ in TASKER_PAGES + COMPANY_PAGES + STAFF_PAGES] + ["notifications:list"])
def test_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_mw01_visitor_browses_open_missions_and_signs_up_to_claim(client, acme, staff):
    # given one mission open for claims, with its hourly rate, and one still a draft
    open_mission = published(acme, staff, reward_cents=300, estimated_minutes=10)
    hidden = draft(acme, title="Draft not yet reviewed")
    # when a visitor without an account opens the list
    page = html(client.get(reverse("missions:list")))
    # then they see the open mission, its reward and what it makes per hour, and not the draft
    assert open_mission.title in page and "3,00 €" in page and "18,00 €/h" in page
    assert hidden.title not in page
    # and its page, instructions included, asks them to sign up to take it
    page = html(client.get(reverse("missions:detail", args=[open_mission.pk])))
    assert MISSION["instructions"] in page
    assert 'data-testid="signup-to-claim"' in page and reverse("web:signup_tasker") in page
    assert "Prendre cette mission" not in page
    # a draft stays out of sight, and claiming still needs an account
    assert client.get(reverse("missions:detail", args=[hidden.pk])).status_code == 404
    response = client.post(reverse("missions:claim", args=[open_mission.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))
    assert not Claim.objects.exists()


def test_mw01_front_page_shows_live_missions_and_how_it_works(client, acme, staff):
    # given no mission open, the front page says so
    page = html(client.get(reverse("web:home")))
    assert 'data-testid="live-count"' not in page
    # given two missions open and one full
    published(acme, staff, title="Photo du rayon biscuits", reward_cents=250, estimated_minutes=10)
    published(acme, staff, title="Tester le tunnel de commande", reward_cents=600, estimated_minutes=20)
    full = published(acme, staff, title="Mission déjà prise", places=1)
    services.claim_create(mission=full, tasker=testing.make_tasker("zoe@example.fr", "+33698765432"))
    # then the front page counts the two a tasker could take, with reward and rate per hour
    page = html(client.get(reverse("web:home")))
    assert "2 missions attendent" in page
    assert "Photo du rayon biscuits" in page and "2,50 €" in page and "15,00 €/h" in page
    assert "Mission déjà prise" not in page
    assert "10,00 €" in page  # the payout minimum, in the steps


def test_each_role_sees_its_pages_and_is_refused_the_others(client, acme, alice, staff, emma):
    for user, mine, others in [
        (alice, TASKER_PAGES, COMPANY_PAGES + STAFF_PAGES),
        (acme, COMPANY_PAGES, TASKER_PAGES + STAFF_PAGES),
        (staff, STAFF_PAGES, TASKER_PAGES + COMPANY_PAGES),
        (emma, [], TASKER_PAGES + COMPANY_PAGES + STAFF_PAGES),
    ]:
        as_user(client, user)
        for name, args in mine:
            assert client.get(reverse(name, args=args)).status_code == 200, (user, name)
        for name, args in others:
            assert client.get(reverse(name, args=args)).status_code == 403, (user, name)


def test_nav_links_by_role(client, acme, alice, staff):
    page = html(as_user(client, alice).get(reverse("web:dashboard")))
    assert reverse("missions:list") in page and reverse("missions:my_claims") in page
    assert reverse("missions:create") not in page
    page = html(as_user(client, acme).get(reverse("web:dashboard")))
    assert reverse("missions:company_list") in page and reverse("missions:create") in page
    assert reverse("missions:review_queue") not in page
    page = html(as_user(client, staff).get(reverse("web:dashboard")))
    assert reverse("missions:review_queue") in page and reverse("missions:disputes") in page


def test_posts_by_the_wrong_role_change_nothing(client, acme, staff, alice):
    mission = published(acme, staff)
    as_user(client, acme)
    assert client.post(reverse("missions:claim", args=[mission.pk])).status_code == 403
    assert client.post(reverse("missions:publish", args=[mission.pk])).status_code == 403
    as_user(client, alice)
    assert client.post(reverse("missions:withdraw", args=[mission.pk])).status_code == 403
    assert client.post(reverse("missions:price"), {"reward": "3"}).status_code == 403
    assert not Claim.objects.exists()
    mission.refresh_from_db()
    assert mission.state == MissionState.PUBLISHED


# --- Tasker: the list (HM12, MW01) ----------------------------------------


def test_hm12_list_shows_published_missions_with_free_places_only(client, acme, staff, alice, bob):
    shown = published(acme, staff, title="Shelf photo in Lyon", estimated_minutes=12, reward_cents=350)
    draft(acme, title="Draft never shown")
    full = published(acme, staff, title="Already full")
    services.claim_create(mission=full, tasker=bob)
    page = html(as_user(client, alice).get(reverse("missions:list")))
    assert "Shelf photo in Lyon" in page
    assert "Draft never shown" not in page
    assert "Already full" not in page
    # the card: category, reward, places left, duration, remote
    assert "Photo sur place" in page
    assert "3,50\u00a0€" in page or "3,50 €" in page
    assert "1 place restante" in page
    assert "12\u00a0min" in page
    assert "De n’importe où" in page
    assert reverse("missions:detail", args=[shown.pk]) in page


def test_hm12_list_filters_by_category_minimum_reward_and_keywords(client, acme, staff, alice):
    published(acme, staff, title="Shelf photo", reward_cents=300)
    published(acme, staff, title="Survey on breakfast", category="survey", reward_cents=500)
    as_user(client, alice)
    page = html(client.get(reverse("missions:list"), {"category": "survey"}))
    assert "Survey on breakfast" in page and "Shelf photo" not in page
    page = html(client.get(reverse("missions:list"), {"min_reward": "4,00"}))
    assert "Survey on breakfast" in page and "Shelf photo" not in page
    page = html(client.get(reverse("missions:list"), {"q": "breakfast"}))
    assert "Survey on breakfast" in page and "Shelf photo" not in page


def test_hm12_near_me_keeps_missions_around_the_tasker_and_remote_ones(client, acme, staff, alice):
    paris = services.Location(lat=48.8566, lon=2.3522, radius_km=5)
    published(acme, staff, title="Shelf in Paris", location=paris)
    published(acme, staff, title="Website from home", category="website_test")
    as_user(client, alice)
    near_paris = html(client.get(reverse("missions:list"), {"lat": "48.86", "lon": "2.35"}))
    assert "Shelf in Paris" in near_paris and "Website from home" in near_paris
    assert "km de vous" in near_paris
    in_lyon = html(client.get(reverse("missions:list"), {"lat": "45.76", "lon": "4.83"}))
    assert "Shelf in Paris" not in in_lyon and "Website from home" in in_lyon
    # the button that fills the position is on the page
    assert 'data-testid="near-me"' in in_lyon and "/static/missions/near-me.js" in in_lyon


def test_list_pages_with_a_cursor(client, acme, staff, alice):
    company = testing.make_company("big@example.fr", balance_cents=1000_00)
    for number in range(25):
        published(company, staff, title=f"Mission number {number:02d}")
    as_user(client, alice)
    first = client.get(reverse("missions:list"))
    page = html(first)
    assert "Mission number 24" in page and "Mission number 05" in page and "Mission number 04" not in page
    more = first.context["more_url"]
    assert "cursor=" in more
    second = html(client.get(more))
    assert "Mission number 04" in second and "Mission number 00" in second and "Mission number 05" not in second
    assert 'rel="next"' not in second
    # a broken cursor starts over instead of failing
    assert client.get(reverse("missions:list"), {"cursor": "!!"}).status_code == 200


@pytest.mark.parametrize("lots", [30])
def test_mw01_list_runs_the_same_number_of_queries_for_5_or_30_missions(
    client, staff, alice, bob, lots, django_assert_num_queries
):
    company = testing.make_company("big@example.fr", balance_cents=1000_00)
    missions = [published(company, staff, title=f"Mission {n}") for n in range(5)]
    services.claim_create(mission=missions[0], tasker=alice)
    as_user(client, alice)
    client.get(reverse("missions:list"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("missions:list")).status_code == 200
    for n in range(5, lots):
        published(company, staff, title=f"Mission {n}")
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(reverse("missions:list"))
    assert len(response.context["missions"]) == 20


# --- Tasker: the mission and claiming (HM04-HM06) -------------------------


def test_hm06_instructions_shown_before_claiming(client, acme, staff, alice):
    mission = published(acme, staff, questions=QUESTIONS)
    response = as_user(client, alice).get(reverse("missions:detail", args=[mission.pk]))
    page = html(response)
    assert response.status_code == 200
    assert MISSION["instructions"] in page
    assert "Photo of the shelf" in page and "Was the shelf full?" in page
    assert "Prendre cette mission" in page
    assert not Claim.objects.exists()


def test_hm04_taking_a_mission_gives_48_hours_and_opens_the_report(client, acme, staff, alice):
    mission = published(acme, staff)
    response = as_user(client, alice).post(reverse("missions:claim", args=[mission.pk]))
    claim = Claim.objects.get(mission=mission, tasker=alice)
    assert response.status_code == 302 and response.url == reverse("missions:report", args=[claim.pk])
    assert claim.deadline_at - claim.claimed_at == timedelta(hours=48)
    page = html(client.get(reverse("missions:my_claims")))
    assert 'data-deadline="' in page and "/static/missions/countdown.js" in page
    assert reverse("missions:release", args=[claim.pk]) in page


def test_mw01_my_missions_in_tabs_by_state(client, acme, staff, alice):
    # given one mission alice reported and acme approved, one she holds, one she gave back
    approved = reported(acme, staff, alice)
    services.claim_approve(claim=approved, by=acme, rating=5)
    held = services.claim_create(mission=published(acme, staff, title="Mission en cours"), tasker=alice)
    given_back = services.claim_create(mission=published(acme, staff, title="Mission rendue au pot"), tasker=alice)
    services.claim_release(claim=given_back, by=alice)
    as_user(client, alice)
    # when she opens "My missions", she lands on the one in progress, and the tabs count each state
    page = html(client.get(reverse("missions:my_claims")))
    assert 'aria-current="page" class="current">En cours<span class="count">1</span>' in page
    assert "Validées" in page and "Abandonnées" in page
    assert f'id="claim-{held.pk}"' in page
    assert f'id="claim-{approved.pk}"' not in page and f'id="claim-{given_back.pk}"' not in page
    # each tab holds its own claims only
    page = html(client.get(reverse("missions:my_claims") + "?onglet=validees"))
    assert f'id="claim-{approved.pk}"' in page and f'id="claim-{held.pk}"' not in page
    page = html(client.get(reverse("missions:my_claims") + "?onglet=abandonnees"))
    assert f'id="claim-{given_back.pk}"' in page and f'id="claim-{approved.pk}"' not in page
    # an empty tab says so, without pretending she never took a mission
    page = html(client.get(reverse("missions:my_claims") + "?onglet=refusees"))
    assert 'data-testid="tab-empty"' in page


def test_hm05_third_claim_refused_on_the_page(client, acme, staff, alice):
    first, second, third = (published(acme, staff, title=f"Mission {n}") for n in range(3))
    services.claim_create(mission=first, tasker=alice)
    services.claim_create(mission=second, tasker=alice)
    response = as_user(client, alice).post(reverse("missions:claim", args=[third.pk]))
    assert response.status_code == 400
    assert "déjà 2 missions en cours" in html(response)
    assert reverse("missions:my_claims") in html(response)
    assert not Claim.objects.filter(mission=third).exists()


def test_hm01_unverified_phone_cannot_claim_and_is_shown_the_way(client, acme, staff, charlie):
    mission = published(acme, staff)
    response = as_user(client, charlie).post(reverse("missions:claim", args=[mission.pk]))
    assert response.status_code == 400
    page = html(response)
    assert 'data-testid="claim-error"' in page
    assert "Vérifiez votre numéro" in page
    assert reverse("web:phone_verify") in page
    assert not Claim.objects.exists()


def test_mw01_claim_button_that_would_fail_is_disabled_with_the_reason(client, acme, staff, alice, charlie):
    first, second, third = (published(acme, staff, title=f"Mission {n}") for n in range(3))
    claim_url = reverse("missions:claim", args=[third.pk])
    # a tasker free to claim gets the working button
    page = html(as_user(client, alice).get(reverse("missions:detail", args=[third.pk])))
    assert f'action="{claim_url}"' in page and 'data-testid="claim-refusal"' not in page
    # at the limit of two missions in progress (HM05), the button is disabled and says why
    services.claim_create(mission=first, tasker=alice)
    services.claim_create(mission=second, tasker=alice)
    page = html(client.get(reverse("missions:detail", args=[third.pk])))
    assert 'data-testid="claim-refusal"' in page and "déjà 2 missions en cours" in page
    assert f'action="{claim_url}"' not in page and "disabled" in page
    # an unverified phone (HM01): disabled, with the way to verify it
    page = html(as_user(client, charlie).get(reverse("missions:detail", args=[third.pk])))
    assert "Vérifiez votre numéro" in page and reverse("web:phone_verify") in page
    assert f'action="{claim_url}"' not in page


def test_mission_full_is_shown(client, acme, staff, alice, bob):
    mission = published(acme, staff)
    services.claim_create(mission=mission, tasker=bob)
    response = as_user(client, alice).post(reverse("missions:claim", args=[mission.pk]))
    assert response.status_code == 400
    assert "Toutes les places sont prises" in html(response) or "plus disponible" in html(response)
    assert not Claim.objects.filter(tasker=alice).exists()


def test_tasker_cannot_see_a_mission_before_it_is_published(client, acme, alice):
    mission = draft(acme)
    as_user(client, alice)
    assert client.get(reverse("missions:detail", args=[mission.pk])).status_code == 404
    assert client.post(reverse("missions:claim", args=[mission.pk])).status_code == 404


def test_hm04_release_gives_the_place_back(client, acme, staff, alice):
    mission = published(acme, staff)
    claim = services.claim_create(mission=mission, tasker=alice)
    response = as_user(client, alice).post(reverse("missions:release", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    mission.refresh_from_db()
    assert claim.state == ClaimState.RELEASED and mission.places_free == 1


def test_another_taskers_claim_is_not_found(client, acme, staff, alice, bob):
    claim = services.claim_create(mission=published(acme, staff), tasker=alice)
    as_user(client, bob)
    assert client.get(reverse("missions:report", args=[claim.pk])).status_code == 404
    assert client.post(reverse("missions:release", args=[claim.pk])).status_code == 404
    claim.refresh_from_db()
    assert claim.state == ClaimState.ACTIVE


# --- Tasker: the report (HM13, HM14) --------------------------------------


def test_hm13_report_form_has_one_field_per_question(client, acme, staff, alice):
    mission = published(acme, staff, questions=[*QUESTIONS, {"key": "link", "label": "Shop page", "kind": "url"}])
    claim = services.claim_create(mission=mission, tasker=alice)
    page = html(as_user(client, alice).get(reverse("missions:report", args=[claim.pk])))
    assert 'name="q_shelf"' in page and 'accept="image/*"' in page and 'capture="environment"' in page
    assert 'type="radio" name="q_full" value="Yes"' in page
    assert '<textarea name="q_note"' in page
    assert 'type="url" name="q_link"' in page
    assert 'enctype="multipart/form-data"' in page


def test_hm13_hm14_report_with_a_photo_reaches_the_company(client, acme, staff, alice):
    mission = published(acme, staff, questions=QUESTIONS)
    claim = services.claim_create(mission=mission, tasker=alice)
    response = as_user(client, alice).post(
        reverse("missions:report", args=[claim.pk]),
        {
            "q_shelf": photo_upload("JPEG", size=(40, 30)),
            "q_full": "No",
            "q_note": "Half empty",
            "text": "Done",
            "links": "https://example.fr/a",
        },
    )
    assert response.status_code == 302, html(response)
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    assert claim.answers == {"full": "No", "note": "Half empty"}
    assert claim.links == ["https://example.fr/a"]
    assert ReportFile.objects.get(claim=claim).content_type == "image/jpeg"
    assert Notice.objects.filter(user=acme, kind="report_submitted").exists()


def test_hm13_report_without_the_photo_is_refused_and_nothing_changes(client, acme, staff, alice):
    claim = services.claim_create(mission=published(acme, staff, questions=QUESTIONS), tasker=alice)
    response = as_user(client, alice).post(reverse("missions:report", args=[claim.pk]), {"q_full": "Yes"})
    assert response.status_code == 400
    assert "obligatoire" in html(response)
    claim.refresh_from_db()
    assert claim.state == ClaimState.ACTIVE


def test_hm13_a_file_that_is_not_a_photo_is_refused_with_the_service_message(client, acme, staff, alice):
    claim = services.claim_create(mission=published(acme, staff, questions=QUESTIONS), tasker=alice)
    fake = SimpleUploadedFile("shelf.jpg", b"not a picture at all", content_type="image/jpeg")
    response = as_user(client, alice).post(
        reverse("missions:report", args=[claim.pk]), {"q_shelf": fake, "q_full": "Yes"}
    )
    assert response.status_code == 400
    assert "JPEG, PNG ou WebP" in html(response)
    claim.refresh_from_db()
    assert claim.state == ClaimState.ACTIVE and not claim.files.exists()


def test_hm04_report_after_48_hours_shows_claim_lapsed(client, acme, staff, alice):
    mission = published(acme, staff)
    claim = services.claim_create(mission=mission, tasker=alice)
    Claim.objects.filter(pk=claim.pk).update(deadline_at=timezone.now() - timedelta(minutes=1))
    response = as_user(client, alice).post(reverse("missions:report", args=[claim.pk]), {"text": ACCOUNT})
    assert response.status_code == 400
    assert 'data-testid="lapsed"' in html(response)
    assert "48\u00a0heures" in html(response)
    claim.refresh_from_db()
    mission.refresh_from_db()
    assert claim.state == ClaimState.LAPSED and mission.places_free == 1


def test_report_files_are_shown_to_the_tasker_the_company_and_staff_only(client, acme, staff, alice, bob):
    claim = reported(acme, staff, alice)
    url = f"/missions/claims/{claim.pk}/files/{claim.files.get().pk}/"
    assert url == reverse("missions:report_file", args=[claim.pk, claim.files.get().pk])
    for user in (alice, acme, staff):
        response = as_user(client, user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/jpeg"
    assert as_user(client, bob).get(url).status_code == 404
    other = testing.make_company("other@example.fr")
    assert as_user(client, other).get(url).status_code == 404


# --- Company: create, price, edit, submit, withdraw (HM06-HM12, HM15b) ----


def mission_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Shelf photo",
        "category": "photo",
        "instructions": MISSION["instructions"],
        "duration": "10",
        "duration_unit": "minutes",
        "reward": "3,00",
        "places": "2",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "20",
        "questions-0-label": "Photo of the shelf",
        "questions-0-kind": "photo",
        "questions-0-required": "on",
        "questions-1-kind": "short_text",
        "questions-1-required": "on",
    }
    data.update(overrides)
    return data


def test_hm10_live_cost_comes_from_the_service(client, acme):
    response = as_user(client, acme).post(reverse("missions:price"), {"reward": "3,00", "places": "2"})
    page = html(response)
    assert response.status_code == 200
    assert "0,60" in page and "0,12" in page and "3,72" in page and "7,44" in page


def test_pl04_live_cost_shows_the_hourly_rate_from_the_shared_rule(client, acme):
    # given a reward of 3,50 € for 10 minutes, typed on the mission form
    response = as_user(client, acme).post(
        reverse("missions:price"), {"reward": "3,50", "places": "1", "duration": "10"}
    )
    # then the live cost gives the tasker's hourly rate, the one taskers see on the mission
    page = html(response)
    assert 'data-testid="cost-per-hour"' in page
    assert "21,00\u202f€/h" in page or "21,00 €/h" in page
    assert services.price_summary(350, 1, estimated_seconds=600)["per_hour"] == 2100


def test_pl04_live_cost_without_a_duration_shows_no_hourly_rate(client, acme):
    page = html(as_user(client, acme).post(reverse("missions:price"), {"reward": "3,50", "places": "1"}))
    assert 'data-testid="cost-per-hour"' not in page


def test_hm08_live_cost_warns_below_the_minimum_wage(client, acme):
    response = as_user(client, acme).post(
        reverse("missions:price"), {"reward": "2,00", "places": "1", "duration": "10"}
    )
    page = html(response)
    assert 'data-testid="cost-refusal"' in page
    assert "2,01 €" in page


def test_hm09_live_cost_warns_above_the_cap(client, acme):
    page = html(as_user(client, acme).post(reverse("missions:price"), {"reward": "100,01"}))
    assert 'data-testid="cost-refusal"' in page


def test_create_form_posts_a_draft_with_questions(client, acme):
    response = as_user(client, acme).post(reverse("missions:create"), mission_post())
    mission = Mission.objects.get()
    assert response.status_code == 302 and response.url == reverse("missions:company_mission", args=[mission.pk])
    assert mission.state == MissionState.DRAFT
    assert mission.reward_cents == 300 and mission.places == 2 and mission.cost_cents == 744
    assert [(q["key"], q["kind"]) for q in mission.questions] == [("q1", "photo")]
    page = html(client.get(response.url))
    assert "7,44" in page and "Envoyer pour vérification" in page


def test_hm08_create_refuses_a_reward_below_the_minimum_wage(client, acme):
    response = as_user(client, acme).post(reverse("missions:create"), mission_post(reward="2,00"))
    assert response.status_code == 400
    assert "au moins 2,01 €" in html(response)
    assert not Mission.objects.exists()


def test_hm09_create_refuses_a_reward_above_the_cap(client, acme):
    response = as_user(client, acme).post(reverse("missions:create"), mission_post(reward="100,01", duration="30"))
    assert response.status_code == 400
    assert not Mission.objects.exists()


def test_create_shows_a_question_error_on_its_row(client, acme):
    data = mission_post(
        **{"questions-1-label": "Which shelf?", "questions-1-kind": "choice", "questions-1-choices": "A"}
    )
    response = as_user(client, acme).post(reverse("missions:create"), data)
    assert response.status_code == 400
    formset = response.context["formset"]
    assert formset.forms[1].errors and not formset.forms[0].errors
    assert not Mission.objects.exists()


def test_hm12_create_with_a_place_needs_its_radius(client, acme):
    response = as_user(client, acme).post(reverse("missions:create"), mission_post(lat="48.85", lon="2.35"))
    assert response.status_code == 400
    assert not Mission.objects.exists()
    response = client.post(reverse("missions:create"), mission_post(lat="48.85", lon="2.35", radius_km="3"))
    assert response.status_code == 302
    assert Mission.objects.get().radius_km == 3


def test_edit_a_draft_and_refuse_editing_once_submitted(client, acme):
    mission = draft(acme, questions=QUESTIONS)
    as_user(client, acme)
    page = html(client.get(reverse("missions:edit", args=[mission.pk])))
    assert "Was the shelf full?" in page and "3,00" in page
    data = mission_post(
        title="New title",
        **{
            "questions-TOTAL_FORMS": "2",
            "questions-INITIAL_FORMS": "2",
            "questions-0-key": "shelf",
            "questions-1-label": "Brand seen",
            "questions-1-kind": "short_text",
        },
    )
    response = client.post(reverse("missions:edit", args=[mission.pk]), data)
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.title == "New title"
    assert [q["key"] for q in mission.questions] == ["shelf", "q1"]
    services.mission_submit(mission=mission, by=acme)
    response = client.post(reverse("missions:edit", args=[mission.pk]), mission_post(title="Too late"))
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.title == "New title"


def test_hm10_submit_reserves_the_cost_and_insufficient_funds_is_shown(client, acme):
    mission = draft(acme, places=2)
    as_user(client, acme)
    client.post(reverse("missions:submit", args=[mission.pk]))
    mission.refresh_from_db()
    assert mission.state == MissionState.PENDING_REVIEW
    assert available(acme) == 100_00 - 744
    expensive = draft(acme, reward_cents=100_00, estimated_minutes=60)
    response = client.post(reverse("missions:submit", args=[expensive.pk]), follow=True)
    expensive.refresh_from_db()
    assert expensive.state == MissionState.DRAFT
    assert response.context["messages"] and "message error" in html(response)
    assert available(acme) == 100_00 - 744


def test_hm15b_withdraw_refunds_free_places(client, acme, staff):
    mission = published(acme, staff, places=3)
    assert available(acme) == 100_00 - 3 * 372
    as_user(client, acme).post(reverse("missions:withdraw", args=[mission.pk]))
    mission.refresh_from_db()
    assert mission.state == MissionState.CLOSED
    assert available(acme) == 100_00
    assert ledger_audit() == []


def test_another_companys_mission_is_not_found(client, acme, staff):
    mission = published(acme, staff)
    other = testing.make_company("other@example.fr", balance_cents=10_00)
    as_user(client, other)
    assert client.get(reverse("missions:company_mission", args=[mission.pk])).status_code == 404
    assert client.post(reverse("missions:withdraw", args=[mission.pk])).status_code == 404
    mission.refresh_from_db()
    assert mission.state == MissionState.PUBLISHED


def test_company_list_shows_state_and_places(client, acme, staff, alice):
    mission = published(acme, staff, places=3)
    services.claim_create(mission=mission, tasker=alice)
    draft(acme, title="Still a draft")
    page = html(as_user(client, acme).get(reverse("missions:company_list")))
    assert "Publiée" in page and "Brouillon" in page
    assert "2 libres · 1 en cours · 0 faites" in page


# --- Company: reviewing reports (HM14) ------------------------------------


def test_hm14_company_sees_the_report_and_approves_with_a_rating(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    as_user(client, acme)
    page = html(client.get(reverse("missions:company_mission", args=[claim.mission_id])))
    assert "Was the shelf full?" in page and "Yes" in page
    assert reverse("missions:report_file", args=[claim.pk, claim.files.get().pk]) in page
    assert "<img" in page
    before = available(alice)
    response = client.post(reverse("missions:approve", args=[claim.pk]), {f"a{claim.pk}-rating": "4"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED and claim.rating == 4
    assert available(alice) == before + 300
    assert Notice.objects.filter(user=alice, kind="claim_approved").exists()


def test_hm14_approve_needs_a_rating_and_changes_nothing_without(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    response = as_user(client, acme).post(reverse("missions:approve", args=[claim.pk]), {})
    assert response.status_code == 400
    assert "obligatoire" in html(response)
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED and available(alice) == 0


def test_hm14_reject_needs_a_reason_then_returns_the_place(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    as_user(client, acme)
    response = client.post(
        reverse("missions:reject", args=[claim.pk]),
        {f"r{claim.pk}-reason_code": "poor_quality", f"r{claim.pk}-reason": "  "},
    )
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    client.post(
        reverse("missions:reject", args=[claim.pk]),
        {f"r{claim.pk}-reason_code": "poor_quality", f"r{claim.pk}-reason": "The photo is blurred"},
    )
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED and claim.rejection_reason == "The photo is blurred"
    assert Mission.objects.get(pk=claim.mission_id).places_free == 1


def test_hm14_approving_twice_shows_the_service_error(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    services.claim_approve(claim=claim, by=acme, rating=5)
    response = as_user(client, acme).post(reverse("missions:approve", args=[claim.pk]), {f"a{claim.pk}-rating": "3"})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.rating == 5 and available(alice) == 300


# --- Company: many missions at once (MW04) --------------------------------


def test_mw04_sample_csv_is_downloadable_and_valid(client, acme):
    response = as_user(client, acme).get(reverse("missions:batch_sample"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert len(parse_batch_csv(response.content)) == 2


def test_mw04_batch_upload_creates_every_row(client, acme):
    sample = as_user(client, acme).get(reverse("missions:batch_sample")).content
    upload = SimpleUploadedFile("missions.csv", sample, content_type="text/csv")
    response = client.post(reverse("missions:batch"), {"file": upload})
    assert response.status_code == 200
    assert Mission.objects.filter(company=acme, state=MissionState.DRAFT).count() == 2
    assert 'data-testid="created"' in html(response)


def test_mw04_batch_with_bad_rows_names_each_and_creates_nothing(client, acme):
    csv_text = (
        "title,category,instructions,estimated_minutes,reward_cents,places\n"
        "Good one,photo,Take one clear photo of the shelf at the entrance.,10,300,1\n"
        "Too cheap,photo,Take one clear photo of the shelf at the entrance.,10,100,1\n"
        "Bad number,photo,Take one clear photo of the shelf at the entrance.,ten,300,1\n"
    )
    upload = SimpleUploadedFile("missions.csv", csv_text.encode(), content_type="text/csv")
    response = as_user(client, acme).post(reverse("missions:batch"), {"file": upload})
    assert response.status_code == 400
    rows = response.context["row_errors"]
    assert [row["row"] for row in rows] == ["3"]
    assert not Mission.objects.exists()
    upload = SimpleUploadedFile("missions.csv", csv_text.replace(",ten,", ",10,").encode(), content_type="text/csv")
    response = client.post(reverse("missions:batch"), {"file": upload})
    assert response.status_code == 400
    assert [row["row"] for row in response.context["row_errors"]] == ["2"]
    assert "2,01 €" in html(response)
    assert not Mission.objects.exists()


# --- Staff: review and disputes (HM11, HM15) ------------------------------


def test_hm11_review_queue_is_oldest_first_and_publishes(client, acme, staff):
    older = draft(acme, title="Older mission")
    newer = draft(acme, title="Newer mission")
    services.mission_submit(mission=older, by=acme)
    services.mission_submit(mission=newer, by=acme)
    as_user(client, staff)
    page = html(client.get(reverse("missions:review_queue")))
    assert page.index("Older mission") < page.index("Newer mission")
    assert MISSION["instructions"] in page
    client.post(reverse("missions:publish", args=[older.pk]))
    older.refresh_from_db()
    assert older.state == MissionState.PUBLISHED
    assert f'data-testid="review-{older.pk}"' not in html(client.get(reverse("missions:review_queue")))
    assert Notice.objects.filter(user=acme, kind="mission_published").exists()


def test_hm11_request_changes_needs_a_reason_and_the_company_sees_it(client, acme, staff):
    mission = draft(acme)
    services.mission_submit(mission=mission, by=acme)
    as_user(client, staff)
    response = client.post(reverse("missions:request_changes", args=[mission.pk]), {f"m{mission.pk}-reason": ""})
    assert response.status_code == 400
    mission.refresh_from_db()
    assert mission.state == MissionState.PENDING_REVIEW
    client.post(reverse("missions:request_changes", args=[mission.pk]), {f"m{mission.pk}-reason": "Say which shop"})
    mission.refresh_from_db()
    assert mission.state == MissionState.CHANGES_REQUESTED
    page = html(as_user(client, acme).get(reverse("missions:company_mission", args=[mission.pk])))
    assert "Say which shop" in page and reverse("missions:edit", args=[mission.pk]) in page


def test_hm15_tasker_contests_a_rejection_and_staff_settle_it(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    services.claim_reject(claim=claim, by=acme, reason_code="poor_quality", reason="Blurred")
    as_user(client, alice)
    page = html(client.get(reverse("missions:my_claims")))
    assert "Blurred" in page and reverse("missions:dispute", args=[claim.pk]) in page
    assert client.post(reverse("missions:dispute", args=[claim.pk]), {"reason": ""}).status_code == 400
    client.post(reverse("missions:dispute", args=[claim.pk]), {"reason": "The photo is sharp"})
    claim.refresh_from_db()
    assert claim.state == ClaimState.DISPUTED

    as_user(client, staff)
    page = html(client.get(reverse("missions:disputes")))
    assert "The photo is sharp" in page and "Blurred" in page
    response = client.post(reverse("missions:settle", args=[claim.pk]), {f"s{claim.pk}-amount": "3,01"})
    assert response.status_code == 400
    assert "3,00 €" in html(response)
    claim.refresh_from_db()
    assert claim.state == ClaimState.DISPUTED
    company_before = available(acme)
    client.post(reverse("missions:settle", args=[claim.pk]), {f"s{claim.pk}-amount": "1,50"})
    claim.refresh_from_db()
    assert claim.state == ClaimState.SETTLED and claim.settled_cents == 150
    assert available(alice) == 150
    assert available(acme) == company_before - (150 + 30 + 6)
    assert ledger_audit() == []


def test_hm15_dispute_page_refuses_a_claim_that_is_not_rejected(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    response = as_user(client, alice).post(reverse("missions:dispute", args=[claim.pk]), {"reason": "Why?"})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED


# --- The bell -------------------------------------------------------------


def test_bell_shows_unread_notices_and_marks_them_read(client, acme, staff, alice):
    reported(acme, staff, alice)
    as_user(client, acme)
    page = html(client.get(reverse("web:dashboard")))
    assert 'data-testid="bell-count">2<' in page  # published, then the report
    assert "Nouveau rapport" in page or "New report" in page
    response = client.post(reverse("notifications:mark_read"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="bell"' in html(response)
    assert 'data-testid="bell-count"' not in html(response)
    assert not Notice.objects.filter(user=acme, read_at__isnull=True).exists()
    page = html(client.get(reverse("notifications:list")))
    assert "Nouveau rapport" in page


def test_bell_stays_closed_on_an_open_mission_page_until_tapped(client, acme, staff, alice):
    # given a mission open for claims (its page says so to its own template)
    mission = published(acme, staff)
    as_user(client, alice)
    page = html(client.get(reverse("missions:detail", args=[mission.pk])))
    # then the bell menu is folded; only its own refresh opens it
    assert '<details class="bell" id="bell">' in page
    response = client.post(reverse("notifications:mark_read"), HTTP_HX_REQUEST="true")
    assert '<details class="bell" id="bell" open>' in html(response)


def test_mark_read_redirects_only_to_this_site(client, alice):
    as_user(client, alice)
    response = client.post(reverse("notifications:mark_read"), {"next": "https://evil.example/"})
    assert response.url == reverse("notifications:list")
    response = client.post(reverse("notifications:mark_read"), {"next": reverse("missions:list")})
    assert response.url == reverse("missions:list")


# --- Languages ------------------------------------------------------------


def test_pages_are_french_first_and_english_on_request(client, acme, staff, alice):
    mission = published(acme, staff)
    as_user(client, alice)
    assert "Prendre cette mission" in html(client.get(reverse("missions:detail", args=[mission.pk])))
    english(client)
    page = html(client.get(reverse("missions:detail", args=[mission.pk])))
    assert "Take this mission" in page and "Instructions" in page


def test_hm13_mission_form_offers_ten_questions_two_open(client, acme):
    page = html(as_user(client, acme).get(reverse("missions:create")))
    assert all(f'data-testid="question-{n}"' in page for n in range(1, 11))
    assert 'data-testid="question-11"' not in page
    open_part, more = page.split('data-testid="more-questions"', 1)
    assert 'data-testid="question-2"' in open_part and 'data-testid="question-3"' not in open_part
    assert 'data-testid="question-3"' in more
    # ten questions typed: all ten kept
    data = mission_post(**{"questions-TOTAL_FORMS": "10"})
    for n in range(10):
        data.update({f"questions-{n}-label": f"Question number {n + 1}", f"questions-{n}-kind": "short_text"})
    response = as_user(client, acme).post(reverse("missions:create"), data)
    assert response.status_code == 302
    mission = Mission.objects.get(company=acme)
    assert [q["label"] for q in mission.questions] == [f"Question number {n + 1}" for n in range(10)]


def test_hm15_a_dispute_sent_too_late_says_why_on_the_page(client, acme, staff, alice, time_machine):
    # given a rejection contested after the 7 days, from a page opened in time, its reason left blank
    claim = reported(acme, staff, alice)
    services.claim_reject(claim=claim, by=acme, reason_code="poor_quality", reason="Blurred")
    as_user(client, alice)
    time_machine.move_to(timezone.now() + timedelta(days=7, minutes=1))
    response = client.post(reverse("missions:dispute", args=[claim.pk]), {"reason": "  "})
    # then the page answers 400 and says what was wrong, though it offers no form any more
    assert response.status_code == 400
    assert 'role="alert"' in html(response)
    assert 'name="reason"' not in html(response)


def test_hm15_the_dispute_page_offers_its_form_only_within_the_7_days(client, acme, staff, alice, time_machine):
    claim = reported(acme, staff, alice)
    services.claim_reject(claim=claim, by=acme, reason_code="poor_quality", reason="Blurred")
    as_user(client, alice)
    assert 'name="reason"' in html(client.get(reverse("missions:dispute", args=[claim.pk])))
    time_machine.move_to(timezone.now() + timedelta(days=7, minutes=1))
    page = html(client.get(reverse("missions:dispute", args=[claim.pk])))
    # the same answer as the service's: past the window, no form to send
    assert 'name="reason"' not in page
    assert reverse("missions:dispute", args=[claim.pk]) not in html(client.get(reverse("missions:my_claims")))


def test_hm14_the_company_page_offers_the_review_and_the_bonus_from_the_table(client, acme, staff, alice):
    claim = reported(acme, staff, alice)
    as_user(client, acme)
    page = html(client.get(reverse("missions:company_mission", args=[claim.mission_id])))
    assert reverse("missions:approve", args=[claim.pk]) in page
    assert reverse("missions:bonus", args=[claim.pk]) not in page
    services.claim_approve(claim=claim, by=acme, rating=5)
    page = html(client.get(reverse("missions:company_mission", args=[claim.mission_id])))
    assert reverse("missions:approve", args=[claim.pk]) not in page
    assert reverse("missions:bonus", args=[claim.pk]) in page
