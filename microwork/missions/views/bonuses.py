"""The company's bonus on an approved report: the form on the mission's page
posts here; a refused bonus is shown again on its own page with the reason."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from microwork.core.money import format_eur

from .. import bonus_selectors, forms, selectors
from ..services.bonuses import claim_bonus_add
from .common import company_user, form_then_redirect


@login_required
def claim_bonus(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = company_user(request)
    claim = selectors.claim_for(user, claim_id)
    form = forms.BonusForm(request.POST or None)
    if request.method == "POST":
        done = form_then_redirect(
            request,
            form,
            lambda data: claim_bonus_add(claim=claim, by=user, amount_cents=data["amount"], message=data["message"]),
            done=lambda bonus: (
                _("Bonus of %(amount)s paid to the tasker.") % {"amount": format_eur(bonus.amount_cents)}
            ),
            to=reverse("missions:company_mission", args=[claim.mission_id]) + f"#claim-{claim.pk}",
            aliases={"amount_cents": "amount"},
        )
        if done:
            return done
    context = {
        "claim": claim,
        "form": form,
        "bonuses": bonus_selectors.bonuses_of(claim),
        "takes_bonus": selectors.claim_takes_bonus(claim),
    }
    return render(request, "missions/bonus.html", context, status=400 if form.is_bound else 200)
