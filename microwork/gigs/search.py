"""Words as search reads them, and how alike two offers are (AM03, AM04).

Both databases see the same words: lower-cased, without accents, and
without a French plural ending, so that "Logos" finds "logo" and
"comptabilite" finds "comptabilité". PostgreSQL then stems them with its
`french` text-search configuration (a weighted `tsvector`, GIN-indexed);
SQLite's FTS5 gets them stemmed here by the same Snowball French stemmer.
The selector `offers_matching` in selectors.py hides the difference.
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")
# PostgreSQL's `french` stop words (tsearch_data/french.stop) that survive
# `words`: PostgreSQL leaves them out of a query, so SQLite's query does too,
# and "logo pour une entreprise" finds the same offers on both databases.
_STOP_LINES = (
    "au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me mes moi mon ne nos",
    "notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre",
    "vous c d j l m n s t y suis es est sommes sont serai seras sera serons serez seront serais serait",
    "serions seriez seraient fus fut furent sois soit soyons soyez soient fusse fusses fussions fussiez",
    "fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons",
    "aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eurent aie",
    "aies ait ayons ayez aient eusse eusses eussions eussiez eussent",
)
STOP_WORDS = frozenset(word for line in _STOP_LINES for word in line.split())
# A near-duplicate shares at least this share of its words (see `similarity`).
DUPLICATE_THRESHOLD = 0.8


def fold(text: str) -> str:
    """Lower case, accents and ligatures taken apart: "Créée" → "creee"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def _singular(word: str) -> str:
    """A French plural "-s" or "-x" dropped from words of more than three letters."""
    if len(word) > 3 and word[-1] in "sx" and word[-2] not in "sx":
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The words of `text` as the full-text engines receive them."""
    return [_singular(word) for word in _WORD.findall(fold(text))]


def plain(text: str) -> str:
    """`words` joined: what PostgreSQL's `french` configuration stems further."""
    return " ".join(words(text))


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("french")


def stems(text: str) -> list[str]:
    """The Snowball French stems of `words(text)` (what SQLite's index holds)."""
    return list(_stemmer().stemWords(words(text)))


def query_stems(text: str) -> list[str]:
    """The stems a search for `text` looks for: `stems` without the stop
    words PostgreSQL's `french` configuration drops from a query."""
    return list(_stemmer().stemWords([word for word in words(text) if word not in STOP_WORDS]))


def stemmed(text: str) -> str:
    return " ".join(stems(text))


def similarity(a: str, b: str) -> float:
    """How near two offers' texts are: the Jaccard index of their sets of
    stems of three letters or more (shared stems over all stems, from 0 to 1). Offers
    whose title and description reach `DUPLICATE_THRESHOLD` are the same
    offer written twice (AM03)."""
    left = {stem for stem in stems(a) if len(stem) >= 3}
    right = {stem for stem in stems(b) if len(stem) >= 3}
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
