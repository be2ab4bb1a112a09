"""Split the one-line text of an EU regulation's article into numbered paragraphs and points.

Used by the AI Act and GDPR converters. The CSA extractions keep each article on one line: the
paragraph breaks of the Official Journal are gone, only the numbering is left in the text
(``1. … 2. …``, points ``(a) … (b) …``, definitions ``(1) ‘AI system’ means …``). Cross-references
use the same tokens (``Article 6(2).``, ``Regulation (EU) 2019/1020.``, ``points (a) and (b)``), so a
token only opens a new unit when

* it is the *next expected* one (paragraphs run 1, 2, 3 …; points a, b, c … or 1, 2, 3 …), and
* it stands at a boundary: a paragraph number opens the text or follows a sentence end (``.``,
  ``;`` or ``:`` and a space) and is followed by a space and a capital letter, an opening quote or a
  bracket; a point marker opens its parent's text or follows ``:``, ``;``, ``; or``, ``; and``,
  ``, or``, ``, and`` or ``.``, and is followed by a space.

Roman sub-points ``(i)``, ``(ii)`` … stay inside their point's text. The letters ``i``, ``v`` and
``x`` are Roman numerals too: an expected ``(i)`` is a sub-point when ``(ii)`` follows it at a point
boundary before any ``(j)``; an expected ``(v)`` or ``(x)`` is a sub-point when ``(iv)`` or ``(ix)``
came before it in the same point.

A point's text runs to the next point or the end of its parent. The source lost the breaks between
subparagraphs, so a subparagraph that follows the last point of a paragraph in the Official Journal
(e.g. AI Act Art. 5(1): "Point (h) of the first subparagraph is without prejudice …") stays at the
end of the last point's text; the paragraph's own text is always complete. Likewise a second
lettered list in a later subparagraph (a new ``(a)`` after a colon, AI Act Art. 43(1)) ends the
paragraph's list and stays in its last point: DESIGN.md §2 has no name for "second subparagraph,
point (a)".

Articles without numbered paragraphs have numbered points (the definitions of AI Act Art. 3 and
GDPR Art. 4, cited officially as "Article 3, point (1)"), lettered points directly in the article
text (AI Act Art. 16, "Providers … shall: (a) …") or no structure at all. ``split_at`` numbers
unnumbered paragraphs by their opening words where the Regulation itself cites them by number
(AI Act Art. 113).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from normgraph.iri import NG, item_iri, scheme_iri

__all__ = [
    "Split",
    "Unit",
    "add_concept",
    "add_units",
    "normalise",
    "split_article",
    "split_at",
    "split_numbered",
    "split_numbered_points",
    "split_points",
]


@dataclass(frozen=True)
class Unit:
    """A paragraph or a point.

    ``label`` is "2", "a" or "45"; ``text`` is the unit's text without its marker. Offsets index the
    parent's text: ``parent[marker_start:start]`` is the marker ("2." or "(a)" and spaces) and
    ``parent[start:end] == text``. ``points`` are the unit's own points (offsets into ``text``).
    """

    label: str
    text: str
    marker_start: int
    start: int
    end: int
    points: tuple[Unit, ...] = ()


@dataclass(frozen=True)
class Split:
    """The structure of a text: what comes before the first unit, then the units.

    ``kind`` names the top-level units: "paragraph" (``1.``), "numbered-point" (``(1)``),
    "point" (``(a)``) or "none".
    """

    kind: str
    intro: str
    units: tuple[Unit, ...]


_WS = re.compile(r"\s+")


def normalise(value: str) -> str:
    """Collapse whitespace runs to one space and strip the ends."""
    return _WS.sub(" ", value).strip()


# --- finding markers ---------------------------------------------------------------------------

Marker = tuple[str, int, int]  # label, marker start, text start

_PARA = re.compile(r"(?<![\w(./,-])(\d{1,3})\.(?=\s+[A-Z‘“'\"(])")
_SENTENCE_END = re.compile(r"[.;:]\s+$")
_POINT_BOUNDARY = re.compile(r"(?:^|[:;.]|[;,]\s+(?:or|and))\s*$")
_LIST_OPENS = re.compile(r":\s*$")
_LETTER = re.compile(r"\(([a-z])\)(?=\s)")
_NUMBER = re.compile(r"\((\d{1,3})\)(?=\s)")
_ROMAN_BEFORE = {"v": "(iv)", "x": "(ix)"}
_SUBPOINT_II = re.compile(r"(?:[:;.]|[;,]\s+(?:or|and))\s*\(ii\)\s")


def _numbered_markers(content: str, allow_intro: bool) -> list[Marker]:
    found: list[Marker] = []
    expected = 1
    for m in _PARA.finditer(content):
        if int(m.group(1)) != expected:
            continue
        before = content[: m.start()]
        at_start = not before.strip()
        if not at_start and not _SENTENCE_END.search(before):
            continue
        if expected == 1 and not at_start and not allow_intro:
            return []  # an article's paragraph 1 opens its text; "1." later is something else
        found.append((m.group(1), m.start(), m.end()))
        expected += 1
    return found


def _is_roman(content: str, found: list[Marker], m: re.Match[str]) -> bool:
    """Is the expected letter (i), (v) or (x) at ``m`` a Roman-numbered sub-point instead?"""
    letter = m.group(1)
    if letter == "i":
        rest = content[m.end() :]
        nxt = re.search(r"\(j\)", rest)
        return _SUBPOINT_II.search(rest[: nxt.start()] if nxt else rest) is not None
    if letter in _ROMAN_BEFORE:
        current = found[-1][2] if found else 0
        return _ROMAN_BEFORE[letter] in content[current : m.start()]
    return False


def _point_markers(content: str, pattern: re.Pattern[str], first: str, step: Callable[[str], str]) -> list[Marker]:
    found: list[Marker] = []
    expected = first
    for m in pattern.finditer(content):
        if found and m.group(1) == first and _LIST_OPENS.search(content[: m.start()]):
            break  # a second list in a later subparagraph: its points stay in the last point's text
        if m.group(1) != expected or not _POINT_BOUNDARY.search(content[: m.start()]):
            continue
        if pattern is _LETTER and _is_roman(content, found, m):
            continue
        found.append((m.group(1), m.start(), m.end()))
        expected = step(expected)
    return found


def _cut(content: str, markers: list[Marker], nested: Callable[[str], Split] | None) -> tuple[str, tuple[Unit, ...]]:
    if not markers:
        return content.strip(), ()
    units = []
    for i, (label, marker_start, after_marker) in enumerate(markers):
        end = markers[i + 1][1] if i + 1 < len(markers) else len(content)
        body = content[after_marker:end]
        start = after_marker + (len(body) - len(body.lstrip()))
        stop = after_marker + len(body.rstrip())
        text = content[start:stop]
        points = nested(text).units if nested else ()
        units.append(Unit(label, text, marker_start, start, stop, points))
    return content[: markers[0][1]].strip(), tuple(units)


# --- public splitters --------------------------------------------------------------------------


def split_points(content: str) -> Split:
    """Lettered points (a), (b) … of a paragraph (or of an article without paragraphs)."""
    intro, units = _cut(content, _point_markers(content, _LETTER, "a", lambda c: chr(ord(c) + 1)), None)
    return Split("point" if units else "none", intro, units)


def split_numbered_points(content: str) -> Split:
    """Numbered points (1), (2) … (definitions), each with its lettered points."""
    markers = _point_markers(content, _NUMBER, "1", lambda n: str(int(n) + 1))
    intro, units = _cut(content, markers, split_points)
    return Split("numbered-point" if units else "none", intro, units)


def split_numbered(content: str, *, allow_intro: bool = False) -> Split:
    """Numbered paragraphs 1., 2. … with their lettered points.

    With ``allow_intro`` the first number may follow an introductory sentence (annexes: "… in any
    of the following areas: 1. Biometrics …"); for articles paragraph 1 must open the text.
    """
    intro, units = _cut(content, _numbered_markers(content, allow_intro), split_points)
    return Split("paragraph" if units else "none", intro, units)


def split_at(content: str, openings: list[str]) -> Split:
    """Split unnumbered paragraphs that open with the given words, numbering them 1, 2, 3 ….

    For the few articles whose paragraphs the Regulation cites by number although the Official
    Journal prints no numbers (AI Act Art. 113, cited as "Article 113(3), point (a)" in Art. 111).
    Raises ValueError when an opening is not found at a sentence boundary, in order.
    """
    markers: list[Marker] = []
    pos = 0
    for n, opening in enumerate(openings, start=1):
        found = -1
        for m in re.finditer(re.escape(opening), content[pos:]):
            at = pos + m.start()
            if not content[:at].strip() or _SENTENCE_END.search(content[:at]):
                found = at
                break
        if found < 0:
            raise ValueError(f"paragraph {n} opening {opening!r} not found at a sentence boundary")
        markers.append((str(n), found, found))
        pos = found + len(opening)
    intro, units = _cut(content, markers, split_points)
    return Split("paragraph", intro, units)


def split_article(content: str) -> Split:
    """Split an article's text: paragraphs with points, else numbered points, else points."""
    for splitter in (split_numbered, split_numbered_points, split_points):
        result = splitter(content)
        if result.units:
            return result
    return Split("none", content.strip(), ())


# --- RDF ---------------------------------------------------------------------------------------


def add_concept(
    g: Graph,
    catalog: str,
    local: str,
    kind: URIRef,
    *,
    notation: str,
    label: str,
    broader: URIRef | None,
    order: int,
    text: str | None = None,
) -> URIRef:
    """Add one skos:Concept of a regulation (typed ``kind``) and return its IRI.

    With ``broader=None`` the concept is a top concept of the scheme (chapters, annexes, recitals).
    """
    iri = item_iri(catalog, local)
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, RDF.type, kind))
    scheme = scheme_iri(catalog)
    g.add((iri, SKOS.inScheme, scheme))
    g.add((iri, SKOS.notation, Literal(notation)))
    g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    if broader is None:
        g.add((iri, SKOS.topConceptOf, scheme))
        g.add((scheme, SKOS.hasTopConcept, iri))
    else:
        g.add((iri, SKOS.broader, broader))
    g.add((iri, NG.order, Literal(order, datatype=XSD.integer)))
    if text is not None:
        g.add((iri, NG.text, Literal(text, lang="en")))
    return iri


def _order(label: str) -> int:
    return int(label) if label.isdigit() else ord(label) - ord("a") + 1


def add_units(
    g: Graph,
    catalog: str,
    parent: URIRef,
    parent_local: str,
    parent_notation: str,
    split: Split,
    heading: Callable[[Unit], str] | None = None,
    kind: URIRef | None = None,
) -> int:
    """Add the paragraphs and points of ``split`` under ``parent``; returns how many were added.

    Local names and notations follow DESIGN.md §2: ``art-9-2`` "Art. 9(2)", ``art-9-2-a``
    "Art. 9(2)(a)"; numbered and lettered points directly in an article become ``art-3-1``
    "Art. 3(1)" and ``art-113-a`` "Art. 113(a)" (ng:Point); annex items ``annex-III-5-b``.
    A unit's skos:prefLabel is its notation unless ``heading`` gives one (Annex III's areas), and its
    class ng:Paragraph or ng:Point by ``split.kind`` unless ``kind`` says (Annex III's numbered areas
    are officially "points": "point 2 of Annex III").
    """
    if kind is None:
        kind = NG.Paragraph if split.kind == "paragraph" else NG.Point
    added = 0
    for unit in split.units:
        local = f"{parent_local}-{unit.label}"
        notation = f"{parent_notation}({unit.label})"
        label = heading(unit) if heading else notation
        iri = add_concept(
            g,
            catalog,
            local,
            kind,
            notation=notation,
            label=label,
            broader=parent,
            order=_order(unit.label),
            text=unit.text,
        )
        added += 1
        for point in unit.points:
            point_notation = f"{notation}({point.label})"
            add_concept(
                g,
                catalog,
                f"{local}-{point.label}",
                NG.Point,
                notation=point_notation,
                label=point_notation,
                broader=iri,
                order=_order(point.label),
                text=point.text,
            )
            added += 1
    return added
