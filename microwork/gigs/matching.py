"""Which experts staff should invite to a custom request (AM11).

`experts_suggested` ranks the verified experts (other than the buyer) by a
score that staff see explained, reason by reason:

* **category**: `CATEGORY_POINTS` when the expert has a live offer in the
  request's category, plus `CATEGORY_EXTRA_POINTS` for each further one;
* **words**: the request's title and description, taken to their French
  stems as search reads them (`search.stems`), less common words
  (`STOP_WORDS`) and stems shorter than three letters; each stem found in the
  title or keywords of one of the expert's live offers scores
  `TITLE_WORD_POINTS`, each found only in an offer's description
  `DESCRIPTION_WORD_POINTS`;
* **rating**: the tie-breaker: among equal scores, the better average
  rating first, then the more completed orders, then the earlier account.

Experts who score nothing still follow, best rated first, so that staff
always have someone to invite. Four queries whatever the number of
experts: the experts, their live offers, and their records (two).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from microwork.accounts.models import User
from microwork.accounts.selectors import verified_experts

from .models import CustomRequest, CustomRequestState, Offer, OfferState
from .search import fold, stems, words
from .selectors import ExpertRecord, expert_records

CATEGORY_POINTS = 10
CATEGORY_EXTRA_POINTS = 2
TITLE_WORD_POINTS = 3
DESCRIPTION_WORD_POINTS = 1

_WORD = re.compile(r"[a-z0-9]+")  # as search.words cuts them

#: Common French words that say nothing of the need (folded, as `words` gives them).
_STOP_TEXT = """
les des une pour avec dans sur par qui que quoi est sont son ses aux mon mes ton tes
nous vous votre vos notre nos leur leurs cette ces cet tout tous toute toutes tres
plus moins bien faire fait besoin avoir etre comme mais ou donc car pas sans sous
entre chez elle elles ils lui ainsi aussi afin etc cherche souhaite voudrais veux
un deux trois quatre cinq six sept huit neuf dix cent mille
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def _stop_stems() -> frozenset[str]:
    return frozenset(stems(" ".join(STOP_WORDS)))


@dataclass
class Suggestion:
    """One expert, the score and the reasons behind it."""

    expert: User
    score: int
    category_offers: int = 0
    title_words: list[str] = field(default_factory=list)
    description_words: list[str] = field(default_factory=list)
    record: ExpertRecord | None = None

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.category_offers:
            reasons.append(
                ngettext(
                    "%(count)s offer in the request's category",
                    "%(count)s offers in the request's category",
                    self.category_offers,
                )
                % {"count": self.category_offers}
            )
        if self.title_words:
            reasons.append(_("Words in offer titles or keywords: %(words)s") % {"words": ", ".join(self.title_words)})
        if self.description_words:
            reasons.append(_("Words in offer descriptions: %(words)s") % {"words": ", ".join(self.description_words)})
        if self.record and self.record.rating is not None:
            reasons.append(
                ngettext(
                    "Rated %(rating)s / 5 (%(count)s review)",
                    "Rated %(rating)s / 5 (%(count)s reviews)",
                    self.record.reviews,
                )
                % {"rating": f"{self.record.rating:.1f}".replace(".", ","), "count": self.record.reviews}
            )
        if not reasons:
            reasons.append(_("No offer matches this request yet."))
        return reasons


def request_terms(custom_request: CustomRequest) -> dict[str, str]:
    """The request's meaningful stems, each with the first word that gave it (to show staff)."""
    text = f"{custom_request.title} {custom_request.description}"
    stop = _stop_stems()
    terms: dict[str, str] = {}
    shown = _WORD.findall(fold(text))  # the words as written, accents aside, one for one
    for written, word, stem in zip(shown, words(text), stems(text), strict=True):
        if len(stem) >= 3 and word not in STOP_WORDS and stem not in stop:
            terms.setdefault(stem, written)
    return terms


def experts_suggested(custom_request: CustomRequest, limit: int = 10) -> list[Suggestion]:
    """Up to `limit` verified experts other than the buyer, best suited first (see the module's doc)."""
    terms = request_terms(custom_request)
    candidates = verified_experts().exclude(pk=custom_request.buyer_id)
    experts = {expert.pk: expert for expert in candidates.order_by("pk")}
    if not experts:
        return []
    offers = Offer.objects.filter(state=OfferState.LIVE, expert__in=candidates).values_list(
        "expert_id", "category", "title", "keywords", "description"
    )
    in_category: dict[int, int] = defaultdict(int)
    title_stems: dict[int, set[str]] = defaultdict(set)
    description_stems: dict[int, set[str]] = defaultdict(set)
    for expert_id, category, title, keywords, description in offers:
        if custom_request.category and category == custom_request.category:
            in_category[expert_id] += 1
        keyword_text = " ".join(str(k) for k in keywords) if isinstance(keywords, list) else ""
        title_stems[expert_id].update(stems(f"{title} {keyword_text}"))
        description_stems[expert_id].update(stems(description))

    suggestions = []
    for pk, expert in experts.items():
        in_titles = [stem for stem in terms if stem in title_stems[pk]]
        in_descriptions = [stem for stem in terms if stem in description_stems[pk] and stem not in in_titles]
        count = in_category[pk]
        score = (
            (CATEGORY_POINTS + CATEGORY_EXTRA_POINTS * (count - 1) if count else 0)
            + TITLE_WORD_POINTS * len(in_titles)
            + DESCRIPTION_WORD_POINTS * len(in_descriptions)
        )
        suggestions.append(
            Suggestion(
                expert=expert,
                score=score,
                category_offers=count,
                title_words=[terms[stem] for stem in in_titles],
                description_words=[terms[stem] for stem in in_descriptions],
            )
        )
    # Records only for the experts that can still make the list: the best
    # `limit` scores and every expert tied with the last of them.
    suggestions.sort(key=lambda s: -s.score)
    if len(suggestions) > limit:
        floor = suggestions[limit - 1].score
        suggestions = [s for s in suggestions if s.score >= floor]
    records = expert_records(s.expert.pk for s in suggestions)
    for suggestion in suggestions:
        suggestion.record = records.get(suggestion.expert.pk)

    def rank(s: Suggestion) -> tuple[int, float, int, int]:
        record = s.record
        rating = record.rating if record and record.rating is not None else 0.0
        return (-s.score, -rating, -(record.completed if record else 0), s.expert.pk)

    suggestions.sort(key=rank)
    return suggestions[:limit]


def custom_requests_to_match() -> QuerySet[CustomRequest]:
    """Staff's queue: the open custom requests, oldest first."""
    return CustomRequest.objects.filter(state=CustomRequestState.OPEN).order_by("pk")
