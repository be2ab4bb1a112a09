"""The lexical SPARQL guard every store and the server apply before anything runs.

`check_sparql()` finds the query form, SERVICE / LOAD keywords and FROM clauses, skipping strings,
IRIs, comments, variables and prefixed names. A word or a prefix label (`SERVICE:x` is read by
Oxigraph as SERVICE followed by `:x`) that merely *contains* SERVICE or LOAD counts as
one (also written with codepoint escapes): Oxigraph reads `trueSERVICE` or `1e0SERVICE` as a literal
followed by the keyword, and no SPARQL keyword or function name contains either word. (Oxigraph
expands codepoint escapes inside strings and IRIs only, as this lexer does; tests/test_access_outbound.py
checks the two readings against each other.) SERVICE and LOAD are refused everywhere
(`refuse_outbound`), with a clear message, before anything runs: normgraph never fetches anything because
of a query. This is the fast first refusal, not the only barrier: the engine only ever evaluates a
client's text where it cannot open a socket (sandbox.py). Results are memoised by the text's sha256 (never by the text itself).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar


class OutboundRefused(ValueError):
    """The query or update would make the server fetch something (SERVICE, LOAD)."""


class ResultTooLarge(ValueError):
    """The serialised result is bigger than the configured cap (never truncated)."""


# --------------------------------------------------------------------------------------------------
# Lexical analysis of SPARQL text (enough to find keywords; the parser proper is Oxigraph's)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<lstring>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)|\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|$))
  | (?P<string>'(?:[^'\\\n\r]|\\.)*'?|"(?:[^"\\\n\r]|\\.)*"?)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7-\U0010ffff]*)
  | (?P<word>(?:[A-Za-z_\u00c0-\U0010ffff]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})
              (?:[\w\-.\u00b7-\U0010ffff]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)
  | (?P<pname>:(?:[\w\-.:%\u00b7-\U0010ffff]|\\.)*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_LOCAL = re.compile(r"(?:[\w\-.:%\u00b7-\U0010ffff]|\\.)*")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(word: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), word)


def keywords(sparql: str) -> list[str]:
    """The bare keywords of a query/update, upper-cased, in order (prefixed names, IRIs, literals,
    variables and comments are skipped). Unterminated strings swallow the rest of the text, as the
    parser would reject it anyway."""
    out: list[str] = []
    pos = 0
    n = len(sparql)
    while pos < n:
        m = _TOKEN.match(sparql, pos)
        if m is None:  # pragma: no cover - the 'other' branch matches any character
            break
        pos = m.end()
        if m.lastgroup == "word":
            word = m.group("word")
            if pos < n and sparql[pos] == ":":  # prefix of a prefixed name: skip its local part
                pos = _LOCAL.match(sparql, pos + 1).end()  # type: ignore[union-attr]
                continue
            out.append(_unescape(word).rstrip(".").upper())
    return out


#: functions whose value differs between two runs over the same data (the clock, chance): an answer using one is
#: never kept in the result cache. SAMPLE is not among them: it picks one of the values the data holds, and the
#: same engine over the same data picks the same one (explorer-records, report-soa and eight other named
#: queries use it, and are cached).
_NONDETERMINISTIC = frozenset({"NOW", "RAND", "UUID", "STRUUID"})


@dataclass(frozen=True)
class SparqlInfo:
    form: str | None  # "select" | "ask" | "graph" (CONSTRUCT/DESCRIBE) | None (update or unknown)
    outbound: str | None  # the first SERVICE / LOAD keyword found
    has_from: bool  # FROM or FROM NAMED present
    volatile: bool = False  # NOW, RAND, UUID or STRUUID: two runs over the same data may differ


#: texts longer than this (characters) are analysed every time, never memoised
MEMO_MAX_CHARS = 64 * 1024
_CHECK_ENTRIES = 2048

T = TypeVar("T")


def text_digest(sparql: str) -> bytes:
    """The key caches use for a query text (32 bytes, whatever the text's size)."""
    return hashlib.sha256(sparql.encode("utf-8", "surrogatepass")).digest()


class TextMemo(Generic[T]):
    """What `analyse` finds in a query text, memoised by the text's sha256 (least recently used first out,
    at most `entries`; texts over MEMO_MAX_CHARS are analysed every time). Never holds a text."""

    def __init__(self, analyse: Callable[[str], T], entries: int) -> None:
        self._analyse = analyse
        self._entries = entries
        self._memo: OrderedDict[bytes, T] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, sparql: str) -> T:
        if len(sparql) > MEMO_MAX_CHARS:
            return self._analyse(sparql)
        key = text_digest(sparql)
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        found = self._analyse(sparql)
        with self._lock:
            self._memo[key] = found
            while len(self._memo) > self._entries:
                self._memo.popitem(last=False)
        return found


def check_sparql(sparql: str) -> SparqlInfo:
    """Form, outbound keyword and FROM of a query/update text (memoised by the text's sha256 for texts up
    to MEMO_MAX_CHARS: the server checks every request, and the named queries are sent again and again;
    the lexer costs ~1.5 ms for 2 KB). The memo never holds a text, so its size is bounded."""
    return _check_memo(sparql)


def _analyse(sparql: str) -> SparqlInfo:
    words = keywords(sparql)
    form = None
    for w in words:
        if w in ("SELECT", "ASK"):
            form = w.lower()
            break
        if w in ("CONSTRUCT", "DESCRIBE"):
            form = "graph"
            break
    # a prefix label counts too: Oxigraph's parser has no word boundaries and reads `SERVICE:x` as the
    # keyword SERVICE followed by the prefixed name `:x` (so a prefix called service: or load: is refused)
    labels = [_unescape(text.split(":", 1)[0]).upper() for kind, text in tokens(sparql) if kind == "pname"]
    outbound = next((kw for w in words + labels for kw in ("SERVICE", "LOAD") if kw in w), None)
    return SparqlInfo(form, outbound, "FROM" in words, not _NONDETERMINISTIC.isdisjoint(words))


_check_memo: TextMemo[SparqlInfo] = TextMemo(_analyse, _CHECK_ENTRIES)


def from_clauses(sparql: str) -> tuple[list[str], list[str]] | None:
    """The IRIs of a query's FROM and FROM NAMED clauses (default graphs, named graphs), resolving
    prefixed names by the query's PREFIX declarations; None when one cannot be resolved here (a
    relative IRI, an unknown prefix). A store that must send the dataset explicitly uses them."""
    prefixes: dict[str, str] = {}
    defaults: list[str] = []
    named: list[str] = []
    tokens = _significant_tokens(sparql)
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        word = text.upper() if kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1][0] == "pname" and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].rstrip(":")] = tokens[i + 2][1][1:-1]
            i += 3
            continue
        if word == "FROM":
            into = defaults
            i += 1
            if i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() == "NAMED":
                into = named
                i += 1
            if i >= len(tokens):
                return None
            kind, text = tokens[i]
            if kind == "iri" and ":" in text:
                into.append(text[1:-1])
            elif kind == "pname" and text.split(":", 1)[0] in prefixes:
                pfx, local = text.split(":", 1)
                into.append(prefixes[pfx] + local)
            else:
                return None
        i += 1
    return defaults, named


def tokens(sparql: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but white space and comments; kind is the lexer's group name ("word",
    "var", "iri", "string", "lstring", "other", …), and a prefixed name (`ex:thing`, `:thing`, `ex:`) is
    one "pname" token."""
    out: list[tuple[str, str]] = []
    pos, n = 0, len(sparql)
    while pos < n:
        m = _TOKEN.match(sparql, pos)
        if m is None:  # pragma: no cover - the 'other' branch matches any character
            break
        pos = m.end()
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        text = m.group(kind)
        if kind == "word" and pos < n and sparql[pos] == ":":
            end = _LOCAL.match(sparql, pos + 1).end()  # type: ignore[union-attr]
            out.append(("pname", text + sparql[pos:end]))
            pos = end
            continue
        out.append((kind, text))
    return out


def _significant_tokens(sparql: str) -> list[tuple[str, str]]:
    """`tokens` without literals and variables: "word", "pname", "iri" or "other"."""
    return [(kind, text) for kind, text in tokens(sparql) if kind not in ("string", "lstring", "var")]


def refuse_outbound(sparql: str) -> SparqlInfo:
    info = check_sparql(sparql)
    if info.outbound:
        raise OutboundRefused(f"{info.outbound} is not allowed here: this server never fetches remote data")
    return info
