"""`seed_bench` and the benchmark's bare twin views (bench/README.md)."""

import json

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.test import RequestFactory

from microwork.core.errors import InvalidInput
from microwork.ledger.models import Account, AccountKind
from microwork.ledger.payments import topup_create
from microwork.ledger.selectors import ledger_audit
from microwork.missions.models import Mission, MissionState
from microwork.ops import bench
from microwork.ops.models import BenchCounter, BenchHit
from microwork.testing import ApiClient, make_published

pytestmark = pytest.mark.django_db


def test_hm10_seed_bench_publishes_funded_missions_with_balanced_books(tmp_path, client):
    out = tmp_path / "seed.json"
    call_command("seed_bench", missions=40, taskers=3, companies=2, bursts=2, out=str(out), batch=16)
    data = json.loads(out.read_text())
    # every mission published with all its places free, of varied kinds and rewards
    missions = Mission.objects.all()
    assert missions.count() == 42 and data["missions"]["count"] == 40
    assert set(missions.values_list("state", flat=True)) == {MissionState.PUBLISHED}
    assert all(m.places_free == m.places for m in missions)
    assert missions.values("category").distinct().count() > 3
    assert missions.values("reward_cents").distinct().count() > 3
    assert missions.filter(latitude__isnull=False).exists() and missions.filter(latitude__isnull=True).exists()
    assert [m.places for m in Mission.objects.filter(pk__in=data["burst_mission_ids"])] == [50, 50]
    # each mission's whole cost is in its own escrow, taken from its company's funds
    escrow = dict(Account.objects.filter(kind=AccountKind.ESCROW).values_list("ref", "balance_cents"))
    assert all(escrow[m.escrow_ref] == m.cost_cents for m in missions)
    assert ledger_audit() == []
    funded = Account.objects.filter(kind=AccountKind.FUNDS, owner__role="company")
    assert funded.aggregate(n=Count("pk"), low=Sum("balance_cents"))["n"] == 2
    assert all(a.balance_cents > 0 for a in funded)
    # the taskers' tokens work on the API, and they see the missions
    tasker = ApiClient(client=client, token=data["taskers"][0]["token"])
    listed = tasker.get("/missions", limit=50)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 42
    assert tasker.post(f"/missions/{data['burst_mission_ids'][0]}/claims").status_code == 201


def test_seed_bench_refuses_nonsense_sizes(tmp_path):
    with pytest.raises(InvalidInput):
        call_command("seed_bench", missions=1, taskers=0, companies=1, out=str(tmp_path / "x.json"))


def test_bench_views_are_not_mounted_without_the_bench_setting(client):
    assert client.get("/bench/page/").status_code == 404
    assert client.post("/bench/write/").status_code == 404


def test_bench_twins_read_one_row_a_page_and_write_one_locked_row(acme, staff):
    # the counter's row comes from a migration; a transactional test before this one empties the tables
    BenchCounter.objects.get_or_create(pk=1)
    topup_create(user=acme, amount_cents=100_00)
    made = [make_published(acme, staff, title=f"Twin {n}") for n in range(3)]
    factory = RequestFactory()
    row = json.loads(bench.row(factory.get("/"), made[0].pk).content)
    assert row["title"] == "Twin 0"
    page = json.loads(bench.page(factory.get("/")).content)["items"]
    assert [item["pk"] for item in page] == [m.pk for m in reversed(made)]
    before = BenchCounter.objects.get(pk=1).value
    for _ in range(2):
        assert bench.write(factory.post("/")).status_code == 201
    assert BenchCounter.objects.get(pk=1).value == before + 2
    assert BenchHit.objects.count() == 2


def test_bench_query_count_answers_only_when_asked():
    def view(request):
        Mission.objects.count()
        Mission.objects.exists()
        return HttpResponse("ok")

    middleware = bench.QueryCountMiddleware(view)
    factory = RequestFactory()
    assert middleware(factory.get("/", HTTP_X_BENCH_COUNT="1"))["X-Bench-Queries"] == "2"
    assert "X-Bench-Queries" not in middleware(factory.get("/"))
