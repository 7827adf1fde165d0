"""Posting, pricing, moderating and finding missions, through the API (HM06-HM12, HM17, MW04)."""

from datetime import UTC, datetime

import pytest

from microwork.ledger.models import Entry
from microwork.ledger.services import escrow_of
from microwork.missions.models import Category, Mission, MissionState
from microwork.testing import MISSION, api_as, make_company, make_mission, make_published

from .conftest import assert_books_right, balance

pytestmark = pytest.mark.django_db

PARIS = (48.8566, 2.3522)
LYON = (45.764, 4.8357)


def _ids(response):
    return [item["id"] for item in response.json()["items"]]


# --- HM08: the minimum wage ---------------------------------------------------


def test_hm08_ten_minutes_at_201_cents_is_accepted_in_2026(acme):
    # given the 2026 minimum wage, 12.02 EUR per hour
    # when acme posts a 10-minute mission paying 201 cents
    response = api_as(acme).post("/missions", {**MISSION, "reward_cents": 201})
    # then it is created as a draft
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "draft"


def test_hm08_ten_minutes_at_200_cents_is_below_minimum_wage(acme):
    # when acme offers 200 cents for 10 minutes (the minimum is 201, rounded up)
    response = api_as(acme).post("/missions", {**MISSION, "reward_cents": 200})
    # then it is refused as below the minimum wage, and nothing is created
    assert response.status_code == 422
    assert response.json()["code"] == "reward_below_minimum_wage"
    assert not Mission.objects.exists()


def test_hm08_the_2025_rate_applies_in_2025(acme, time_machine):
    # given a day in 2025, when the rate was 11.88 EUR per hour
    time_machine.move_to(datetime(2025, 6, 2, 10, 0, tzinfo=UTC))
    client = api_as(acme)
    # when acme offers 198 then 197 cents for 10 minutes
    accepted = client.post("/missions", {**MISSION, "reward_cents": 198})
    refused = client.post("/missions", {**MISSION, "reward_cents": 197})
    # then 198 is enough (11.88 / 6 = 1.98) and 197 is not
    assert accepted.status_code == 201, accepted.json()
    assert refused.status_code == 422
    assert refused.json()["code"] == "reward_below_minimum_wage"


def test_hm08_submit_checks_the_rate_in_force_that_day(acme, time_machine):
    # given a draft written in December 2025 at 198 cents for 10 minutes
    time_machine.move_to(datetime(2025, 12, 30, 10, 0, tzinfo=UTC))
    client = api_as(acme)
    mission_id = client.post("/missions", {**MISSION, "reward_cents": 198}).json()["id"]
    before = balance(acme)
    # when acme submits it in January 2026, after the rate rose to 12.02 EUR
    time_machine.move_to(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    response = client.post(f"/missions/{mission_id}/submit")
    # then it is refused, stays a draft and nothing is reserved
    assert response.status_code == 422
    assert response.json()["code"] == "reward_below_minimum_wage"
    assert Mission.objects.get(pk=mission_id).state == MissionState.DRAFT
    assert balance(acme) == before


# --- HM09: the cap ------------------------------------------------------------


def test_hm09_a_place_pays_at_most_100_euros(acme):
    client = api_as(acme)
    # when acme offers 10001 cents, then exactly 10000
    above = client.post("/missions", {**MISSION, "reward_cents": 100_01})
    at_cap = client.post("/missions", {**MISSION, "reward_cents": 100_00})
    # then the first is refused above the cap, the second is created
    assert above.status_code == 422
    assert above.json()["code"] == "reward_above_cap"
    assert at_cap.status_code == 201


# --- HM10: price and reservation ----------------------------------------------


def test_hm10_one_place_at_300_costs_372(acme):
    response = api_as(acme).post("/missions", MISSION)
    body = response.json()
    assert (body["fee_cents"], body["vat_cents"], body["place_cost_cents"]) == (60, 12, 372)
    assert body["cost_cents"] == 372


def test_hm10_cost_is_places_times_reward_fee_and_vat(acme):
    body = api_as(acme).post("/missions", {**MISSION, "reward_cents": 333, "places": 7}).json()
    # fee 20% of 333 = 66.6 -> 67, VAT 20% of 67 = 13.4 -> 13
    assert (body["fee_cents"], body["vat_cents"]) == (67, 13)
    assert body["cost_cents"] == 7 * (333 + 67 + 13)


def test_hm10_submit_reserves_exactly_the_cost_in_escrow(acme):
    # given a draft of 3 places at 300 cents
    client = api_as(acme)
    mission_id = client.post("/missions", {**MISSION, "places": 3}).json()["id"]
    # when acme submits it
    response = client.post(f"/missions/{mission_id}/submit")
    # then it waits for review and 3 x 372 moved from the wallet to the mission's escrow
    assert response.status_code == 200
    assert response.json()["state"] == "pending_review"
    assert balance(acme) == 100_00 - 3 * 372
    assert escrow_of(f"mission:{mission_id}").balance_cents == 3 * 372
    assert_books_right()


def test_hm10_insufficient_funds_changes_nothing(acme):
    # given a draft costing 30 x 372 = 11160 cents, more than acme's 10000
    client = api_as(acme)
    mission_id = client.post("/missions", {**MISSION, "places": 30}).json()["id"]
    entries = Entry.objects.count()
    # when acme submits it
    response = client.post(f"/missions/{mission_id}/submit")
    # then it is refused with 409 and nothing moved
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    mission = Mission.objects.get(pk=mission_id)
    assert mission.state == MissionState.DRAFT
    assert mission.submissions == 0
    assert balance(acme) == 100_00
    assert Entry.objects.count() == entries
    assert_books_right()


# --- HM11: review by staff ----------------------------------------------------


def test_hm11_taskers_cannot_see_a_mission_before_it_is_published(acme, alice):
    # given a draft and a mission pending review
    draft = make_mission(acme)
    pending = make_mission(acme, title="Another shelf")
    api_as(acme).post(f"/missions/{pending.pk}/submit")
    client = api_as(alice)
    # then alice gets 404 on both and neither is listed
    assert client.get(f"/missions/{draft.pk}").status_code == 404
    assert client.get(f"/missions/{pending.pk}").status_code == 404
    assert client.get("/missions").json()["items"] == []
    # and she cannot claim either
    assert client.post(f"/missions/{pending.pk}/claims").status_code == 404


def test_hm11_staff_publish_and_then_taskers_see_it(acme, staff, alice):
    mission_id = api_as(acme).post("/missions", MISSION).json()["id"]
    api_as(acme).post(f"/missions/{mission_id}/submit")
    # when staff publish it
    response = api_as(staff).post(f"/missions/{mission_id}/publish")
    # then it is published and alice finds it
    assert response.status_code == 200
    assert response.json()["state"] == "published"
    assert _ids(api_as(alice).get("/missions")) == [mission_id]


def test_hm11_only_staff_may_publish(acme, alice):
    mission_id = api_as(acme).post("/missions", MISSION).json()["id"]
    api_as(acme).post(f"/missions/{mission_id}/submit")
    # when the company itself tries to publish
    by_company = api_as(acme).post(f"/missions/{mission_id}/publish")
    # then it is forbidden, and the mission still waits for review
    assert by_company.status_code == 403
    assert by_company.json()["code"] == "forbidden"
    assert api_as(alice).post(f"/missions/{mission_id}/publish").status_code == 403
    assert Mission.objects.get(pk=mission_id).state == MissionState.PENDING_REVIEW


def test_hm11_publishing_a_draft_is_a_wrong_state(acme, staff):
    mission = make_mission(acme)
    response = api_as(staff).post(f"/missions/{mission.pk}/publish")
    assert response.status_code == 409
    assert Mission.objects.get(pk=mission.pk).state == MissionState.DRAFT


def test_hm11_review_queue_is_oldest_first(acme, staff):
    # given three missions submitted one after the other
    client = api_as(acme)
    ids = []
    for title in ("First", "Second", "Third"):
        mission_id = client.post("/missions", {**MISSION, "title": title}).json()["id"]
        client.post(f"/missions/{mission_id}/submit")
        ids.append(mission_id)
    make_mission(acme, title="Still a draft")
    # when staff read the queue, one per page
    first = api_as(staff).get("/staff/review-queue", limit=2)
    rest = api_as(staff).get("/staff/review-queue", limit=2, cursor=first.json()["next_cursor"])
    # then the oldest comes first, drafts are not in it
    assert _ids(first) + _ids(rest) == ids
    assert rest.json()["next_cursor"] is None


def test_hm11_review_queue_is_for_staff_only(acme):
    assert api_as(acme).get("/staff/review-queue").status_code == 403


def test_hm11_request_changes_refunds_and_resubmission_reserves_again(acme, staff):
    # given a submitted mission (372 reserved)
    client = api_as(acme)
    mission_id = client.post("/missions", MISSION).json()["id"]
    client.post(f"/missions/{mission_id}/submit")
    assert balance(acme) == 100_00 - 372
    # when staff send it back with a reason
    sent_back = api_as(staff).post(f"/missions/{mission_id}/request-changes", {"reason": "Say which shop."})
    # then the reservation is refunded and the reason shown
    assert sent_back.status_code == 200
    assert sent_back.json()["state"] == "changes_requested"
    assert sent_back.json()["change_reason"] == "Say which shop."
    assert balance(acme) == 100_00
    assert escrow_of(f"mission:{mission_id}").balance_cents == 0
    # when acme resubmits
    again = client.post(f"/missions/{mission_id}/submit")
    # then it is pending review again and reserved again
    assert again.json()["state"] == "pending_review"
    assert balance(acme) == 100_00 - 372
    assert escrow_of(f"mission:{mission_id}").balance_cents == 372
    assert_books_right()


def test_hm11_request_changes_needs_a_reason(acme, staff):
    mission = make_mission(acme)
    api_as(acme).post(f"/missions/{mission.pk}/submit")
    response = api_as(staff).post(f"/missions/{mission.pk}/request-changes", {"reason": ""})
    assert response.status_code == 422
    assert Mission.objects.get(pk=mission.pk).state == MissionState.PENDING_REVIEW


# --- HM06: instructions before claiming -----------------------------------------


def test_hm06_instructions_and_questions_are_shown_before_claiming(acme, staff, alice):
    questions = [{"key": "shelf", "label": "Photo of the shelf", "kind": "photo"}]
    mission = make_published(acme, staff, questions=questions)
    # when alice opens the mission without having claimed it
    response = api_as(alice).get(f"/missions/{mission.pk}")
    # then she reads the precise instructions and what the report asks
    assert response.status_code == 200
    body = response.json()
    assert body["instructions"] == MISSION["instructions"]
    assert body["estimated_minutes"] == 10
    assert body["reward_cents"] == 300
    assert [q["key"] for q in body["questions"]] == ["shelf"]
    assert body["places_left"] == 1


def test_hm06_vague_instructions_are_refused(acme):
    response = api_as(acme).post("/missions", {**MISSION, "instructions": "Do it."})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "instructions"


# --- HM12: places and location --------------------------------------------------


def test_hm12_taskers_filter_near_a_point(acme, staff, alice):
    # given a Paris mission with a 5 km radius and a remote one
    paris = make_published(acme, staff, title="Paris shelf", location=_loc(*PARIS, 5))
    remote = make_published(acme, staff, title="Web research", category="web_research")
    client = api_as(alice)
    # when alice looks near Paris, then near Lyon
    near_paris = client.get("/missions", near=f"{PARIS[0]},{PARIS[1]}")
    near_lyon = client.get("/missions", near=f"{LYON[0]},{LYON[1]}")
    # then the Paris mission is only found near Paris; the remote one everywhere
    assert set(_ids(near_paris)) == {str(paris.pk), str(remote.pk)}
    assert _ids(near_lyon) == [str(remote.pk)]
    assert near_paris.json()["items"][-1]["location"] == {"lat": PARIS[0], "lon": PARIS[1], "radius_km": 5.0}


def test_hm12_near_must_be_lat_comma_lon(alice):
    response = api_as(alice).get("/missions", near="paris")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_hm12_filters_by_category_reward_and_words(acme, staff, alice):
    photo = make_published(acme, staff)
    survey = make_published(
        acme,
        staff,
        title="Coffee survey",
        category="survey",
        reward_cents=500,
        instructions="Answer ten questions about the coffee you drink at work.",
    )
    client = api_as(alice)
    assert _ids(client.get("/missions", category="survey")) == [str(survey.pk)]
    assert _ids(client.get("/missions", min_reward_cents=400)) == [str(survey.pk)]
    assert _ids(client.get("/missions", q="biscuit")) == [str(photo.pk)]


def test_hm12_full_missions_are_not_listed(acme, staff, alice, bob):
    mission = make_published(acme, staff)
    api_as(bob).post(f"/missions/{mission.pk}/claims")
    assert api_as(alice).get("/missions").json()["items"] == []
    assert api_as(alice).get(f"/missions/{mission.pk}").json()["places_left"] == 0


def test_mission_list_is_paged_by_cursor(acme, staff, alice):
    missions = [make_published(acme, staff, title=f"Shelf {n}") for n in range(5)]
    client = api_as(alice)
    first = client.get("/missions", limit=3)
    second = client.get("/missions", limit=3, cursor=first.json()["next_cursor"])
    assert _ids(first) + _ids(second) == [str(m.pk) for m in reversed(missions)]
    assert second.json()["next_cursor"] is None


def _loc(lat, lon, radius_km):
    from microwork.missions.services import Location

    return Location(lat=lat, lon=lon, radius_km=radius_km)


# --- Access ---------------------------------------------------------------------


def test_another_companys_mission_is_not_found(acme, staff):
    other = make_company("other@example.fr", balance_cents=50_00)
    mission = make_published(acme, staff)
    client = api_as(other)
    assert client.get(f"/missions/{mission.pk}").status_code == 404
    assert client.post(f"/missions/{mission.pk}/withdraw").status_code == 404
    assert client.get("/missions").json()["items"] == []


def test_malformed_and_unknown_mission_ids_are_not_found(alice, acme):
    for mission_id in ("abc", "999999", "-1", "1e3"):
        response = api_as(alice).get(f"/missions/{mission_id}")
        assert response.status_code == 404, mission_id
        assert response.json()["code"] == "not_found"
    assert api_as(acme).post("/missions/abc/submit").status_code == 404


def test_taskers_cannot_post_missions(alice):
    response = api_as(alice).post("/missions", MISSION)
    assert response.status_code == 403
    assert not Mission.objects.exists()


def test_anonymous_gets_401(anon):
    assert anon.get("/missions").status_code == 401
    assert anon.post("/missions", MISSION).status_code == 401


def test_mission_history_records_every_transition(acme, staff):
    mission = make_published(acme, staff)
    moves = list(mission.transitions.order_by("pk").values_list("from_state", "to_state", "by"))
    assert moves == [
        ("", "draft", acme.pk),
        ("draft", "pending_review", acme.pk),
        ("pending_review", "published", staff.pk),
    ]


# --- HM17: categories -------------------------------------------------------------


@pytest.mark.parametrize("slug", Category.values)
def test_hm17_every_category_can_be_posted(acme, slug):
    response = api_as(acme).post("/missions", {**MISSION, "category": slug})
    assert response.status_code == 201
    assert response.json()["category"] == slug


def test_hm17_unknown_category_is_refused(acme):
    response = api_as(acme).post("/missions", {**MISSION, "category": "gardening"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "category"


# --- MW04: many missions at once ----------------------------------------------------

CSV_HEADER = "title,category,instructions,estimated_minutes,reward_cents,places,lat,lon,radius_km,ends_at\n"
GOOD_ROW = "Shelf {n},photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,2,,,,\n"


def _csv(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("missions.csv", text.encode(), content_type="text/csv")


def test_mw04_batch_creates_every_row(acme):
    rows = GOOD_ROW.format(n=1) + (
        "Paris shelf,photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,"
        "48.8566,2.3522,5,2030-01-01T12:00:00+01:00\n"
    )
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + rows)})
    assert response.status_code == 201, response.json()
    ids = response.json()["ids"]
    assert len(ids) == 2
    paris = Mission.objects.get(pk=ids[1])
    assert (paris.latitude, paris.longitude, paris.radius_km) == (48.8566, 2.3522, 5.0)
    assert paris.ends_at == datetime(2030, 1, 1, 11, 0, tzinfo=UTC)
    assert set(Mission.objects.values_list("state", flat=True)) == {"draft"}


def test_mw04_batch_is_all_or_nothing_and_names_each_bad_row(acme):
    rows = (
        GOOD_ROW.format(n=1)
        + "Cheap,photo,Take one clear photo of the biscuit shelf at the entrance.,10,100,1,,,,\n"
        + GOOD_ROW.format(n=3)
        + "Bad number,photo,Take one clear photo of the biscuit shelf at the entrance.,ten,300,1,,,,\n"
        + "Bad category,gardening,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,,,,\n"
    )
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + rows)})
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert "row 4: estimated_minutes" in fields
    assert not Mission.objects.exists()
    # once the parse succeeds, the rules are checked per row, all or nothing as well
    rows = GOOD_ROW.format(n=1)
    rows += "Cheap,photo,Take one clear photo of the biscuit shelf at the entrance.,10,100,1,,,,\n"
    rows += "Bad category,gardening,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,,,,\n"
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + rows)})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["row 2: reward_cents", "row 3: category"]
    assert not Mission.objects.exists()


def test_mw04_batch_without_required_columns_is_refused(acme):
    response = api_as(acme).upload("/missions/batch", {"file": _csv("title,category\nA,photo\n")})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert not Mission.objects.exists()


def test_mw04_batch_is_for_companies(alice):
    response = api_as(alice).upload("/missions/batch", {"file": _csv(CSV_HEADER + GOOD_ROW.format(n=1))})
    assert response.status_code == 403
    assert not Mission.objects.exists()


def test_mw04_batch_accepts_semicolons_and_a_byte_order_mark(acme):
    text = (
        "\ufefftitle;category;instructions;estimated_minutes;reward_cents;places\n"
        "Rayon;photo;Prenez une photo nette du rayon biscuits, à l'entrée.;10;300;2\n"
    )
    response = api_as(acme).upload("/missions/batch", {"file": _csv(text)})
    assert response.status_code == 201, response.json()
    assert Mission.objects.get().instructions == "Prenez une photo nette du rayon biscuits, à l'entrée."


def test_mw04_batch_rows_are_checked_by_the_single_missions_schema(acme):
    # given a title one character past what the single-mission endpoint takes,
    # and a reward written with a decimal point
    long_title = "T" * 201
    alone = api_as(acme).post("/missions", {**MISSION, "title": long_title})
    rows = GOOD_ROW.format(n=1).replace("Shelf 1", long_title) + GOOD_ROW.format(n=2).replace(",300,", ",3.5,")
    # when the same rows come in a CSV batch
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + rows)})
    # then each is refused on the same field, named by its row, and nothing is created
    assert alone.status_code == 422 and alone.json()["errors"][0]["field"] == "title"
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["row 1: title", "row 2: reward_cents"]
    assert "200" in errors[0]["message"]  # the limit, said in the answer's language
    assert not Mission.objects.exists()


@pytest.mark.parametrize("reward", ["300.00", "3.0", "1_000", "3e2"])
def test_mw04_batch_whole_numbers_are_digits_only(acme, reward):
    # a cell that is not written as digits is refused, as the JSON body refuses 300.0
    row = GOOD_ROW.format(n=1).replace(",300,", f",{reward},")
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + row)})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["row 1: reward_cents"]
    assert not Mission.objects.exists()


def test_mw04_batch_decimal_commas_only_in_a_semicolon_file(acme):
    # in a comma-separated file, "1,000" is not read as 1 km
    row = 'Paris shelf,photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,48.85,2.35,"1,000",\n'
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + row)})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["row 1: location.radius_km"]
    assert not Mission.objects.exists()


def test_mw04_batch_an_address_needs_its_position(acme):
    header = CSV_HEADER.replace(",ends_at", ",ends_at,address")
    row = GOOD_ROW.format(n=1).rstrip("\n") + ",12 rue de la Paix 75002 Paris\n"
    response = api_as(acme).upload("/missions/batch", {"file": _csv(header + row)})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "row 1: location.lat",
        "row 1: location.lon",
        "row 1: location.radius_km",
    }


def test_mw04_batch_reads_a_french_spreadsheets_decimal_commas(acme):
    # given a file a spreadsheet set in French writes: semicolons, decimal commas
    text = (
        "title;category;instructions;estimated_minutes;reward_cents;places;lat;lon;radius_km;min_approval_rate\n"
        "Rayon;photo;Prenez une photo nette du rayon biscuits, à l'entrée.;10;300;2;48,8566;2,3522;1,5;0,9\n"
    )
    response = api_as(acme).upload("/missions/batch", {"file": _csv(text)})
    assert response.status_code == 201, response.json()
    mission = Mission.objects.get()
    assert (mission.latitude, mission.longitude, mission.radius_km) == (48.8566, 2.3522, 1.5)
    assert mission.min_approval_percent == 90


def test_mw04_batch_place_needs_all_three_numbers(acme):
    row = "Paris shelf,photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,48.85,,5,\n"
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + row)})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["row 1: location.lon"]
    assert not Mission.objects.exists()


def test_mw04_batch_impossible_end_date_is_a_bad_row_not_a_server_error(acme):
    rows = GOOD_ROW.format(n=1) + (
        "Shelf 2,photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,"
        ",,,2031-02-30T10:00:00+01:00\n"
    )
    response = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + rows)})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["row 2: ends_at"]
    assert not Mission.objects.exists()


def test_end_date_without_offset_is_refused(acme):
    response = api_as(acme).post("/missions", {**MISSION, "ends_at": "2030-01-01T12:00:00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ends_at"
    assert not Mission.objects.exists()


def test_nul_characters_are_refused_not_a_server_error(acme):
    response = api_as(acme).post("/missions", {**MISSION, "title": "Shelf\x00"})
    assert response.status_code == 422
    batch = api_as(acme).upload("/missions/batch", {"file": _csv(CSV_HEADER + GOOD_ROW.format(n="\x00"))})
    assert batch.status_code == 422
    assert not Mission.objects.exists()


def test_nul_characters_in_mission_filters_are_refused_not_a_server_error(acme, alice, staff):
    # given a published mission
    make_published(acme, staff)
    # when a tasker searches, or a company filters on a state, with a NUL character
    searched = api_as(alice).get("/missions", q="Shelf\x00")
    filtered = api_as(acme).get("/missions", state="draft\x00")
    # then each is refused as input naming its field, never a server error
    assert searched.status_code == 422
    assert searched.json()["errors"][0]["field"] == "q"
    assert filtered.status_code == 422
    assert filtered.json()["errors"][0]["field"] == "state"


def test_an_unknown_mission_state_filter_is_refused(acme):
    response = api_as(acme).get("/missions", state="lost")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "state"


@pytest.mark.parametrize("ends_at", ["9999-12-31T23:59:59-12:00", "9999-06-01T00:00:00+00:00"])
def test_an_end_date_past_the_year_9999_is_refused_not_a_server_error(acme, ends_at):
    # given an end date that lands past 9999 in UTC (or too close to it), which no database round-trips
    api = api_as(acme)
    # when a mission is created with it, alone or in a CSV batch
    created = api.post("/missions", {**MISSION, "ends_at": ends_at})
    row = f"Shelf 2,photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,1,,,,{ends_at}\n"
    batch = api.upload("/missions/batch", {"file": _csv(CSV_HEADER + GOOD_ROW.format(n=1) + row)})
    # then both are refused as input on ends_at, and the missions list still reads
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "ends_at"
    assert batch.status_code == 422
    assert [e["field"] for e in batch.json()["errors"]] == ["row 2: ends_at"]
    assert not Mission.objects.exists()
    assert api.get("/missions").status_code == 200
