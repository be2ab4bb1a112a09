"""Plain words for what reports explain: relations, confidence, catalogs, lists that may be long.

A reader of a report sees "ISO/IEC 27001 A.5.19 intersects with it (sound judgement)", never a camelCase
relation name, a record id or a bare 0.7.
"""

from __future__ import annotations

from normgraph.catalogs.registry import catalog_of
from normgraph.mappings.relations import relations

#: catalogs a reader knows by their standard's number
SHORT_NAMES = {"iso27001-2022": "ISO/IEC 27001", "iso42001-2023": "ISO/IEC 42001", "eu-ai-act": "AI Act",
               "eu-ai-act-obligation": "AI Act", "gdpr": "GDPR"}
#: the curators' confidence scale (DESIGN.md §10): 0.9 clear-cut, 0.7 sound judgement, 0.5 arguable
CONFIDENCE = ((0.85, "clear-cut"), (0.65, "sound judgement"), (0.0, "arguable"))


def relation_words(name: str) -> str:
    """'intersectsWith' -> 'intersects with' (the ontology's words for the relation)."""
    found = relations().by_name(name)
    return found.words if found is not None else name


def relation_phrase(name: str) -> str:
    """'subsetOf' -> 'is a subset of', 'intersectsWith' -> 'intersects with': the relation as a verb phrase."""
    words = relation_words(name)
    if words.endswith(" of"):
        return f"is a {words}"
    if words.endswith(" to"):
        return f"is {words}"
    return words


def confidence_words(value: str) -> str:
    """'0.7' -> 'sound judgement (0.7)'; '' when no confidence is stated."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    word = next(w for floor, w in CONFIDENCE if number >= floor)
    return f"{word} ({value})"


def item_name(iri: str, notation: str) -> str:
    """'ISO/IEC 27001 A.5.19': the catalog a reader knows it by, and its notation."""
    found = catalog_of(iri)
    if found is None:
        return notation
    return f"{SHORT_NAMES.get(found.key, found.title)} {notation}"


def some(names: list[str] | tuple[str, ...], at_most: int = 3) -> str:
    """'A, B, C and 12 more'."""
    shown = ", ".join(names[:at_most])
    return shown + (f" and {len(names) - at_most} more" if len(names) > at_most else "")


__all__ = ["CONFIDENCE", "confidence_words", "item_name", "relation_phrase", "relation_words", "some"]
