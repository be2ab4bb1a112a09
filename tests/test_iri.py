"""The one IRI escaping rule (DESIGN.md §2) and the graph-naming rule (§3)."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.iri import (
    KEY,
    LOCAL_NAME,
    NGG,
    PREFIXES,
    curie,
    expand,
    graph_for_path,
    item_iri,
    local_id,
    notation_iri,
)


@pytest.mark.parametrize(
    ("notation", "local"),
    [
        ("A.5.19", "A-5-19"),
        ("6.1.2", "6-1-2"),
        ("GOVERN 1.1", "GOVERN-1-1"),
        ("AC.L2-3.1.3", "AC-L2-3-1-3"),
        ("AC-2(1)", "AC-2-1"),
        ("GV.OC-01", "GV-OC-01"),
        ("3.1.1", "3-1-1"),
        (" A.10.3 ", "A-10-3"),
    ],
)
def test_local_id_turns_official_identifiers_into_dotless_local_names(notation: str, local: str) -> None:
    assert local_id(notation) == local
    assert LOCAL_NAME.match(local)


def test_local_id_refuses_an_identifier_without_letters_or_digits() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        local_id("..")


def test_item_iri_refuses_a_local_name_that_breaks_the_rule() -> None:
    with pytest.raises(ValueError, match="not a valid normgraph local name"):
        item_iri("iso27001-2022", "A.5.19")


def test_prefixed_names_built_by_the_rule_parse_in_oxigraph() -> None:
    """Why the rule exists: Oxigraph rejects `iso:A.5.19` but must accept what we mint."""
    iri = notation_iri("iso27001-2022", "A.5.19")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(str(iri)), ox.NamedNode("http://example.org/p"), ox.Literal("x")))
    query = f"PREFIX iso27001: <{PREFIXES['iso27001']}> SELECT ?o WHERE {{ iso27001:{iri.rsplit('/', 1)[1]} ?p ?o }}"
    assert [s["o"].value for s in store.query(query)] == ["x"]


def test_curie_and_expand_are_inverse_for_instances() -> None:
    iri = notation_iri("iso42001-2023", "A.10.3")
    assert curie(str(iri)) == "iso42001:A-10-3"
    assert expand("iso42001:A-10-3") == iri
    assert expand(f"<{iri}>") == iri
    with pytest.raises(ValueError):
        expand("nosuchprefix:x")


def test_graph_names_follow_the_file_layout() -> None:
    assert graph_for_path(ROOT / "data/iso27001-2022.ttl", ROOT) == NGG["iso27001-2022"]
    assert graph_for_path(ROOT / "data/mappings/x_to_y.ttl", ROOT) == NGG["mappings/x_to_y"]
    assert graph_for_path(ROOT / "data/examples/hospital.ttl", ROOT) == NGG["org/hospital"]
    assert graph_for_path(ROOT / "ontology/core.ttl", ROOT) == NGG["ontology/core"]
    with pytest.raises(ValueError):
        graph_for_path(ROOT / "tests/fixture.ttl", ROOT)


def test_every_instance_in_the_committed_data_follows_the_rule() -> None:
    """All ngid: IRIs used anywhere in data/ have local names of the documented shape."""
    files = sorted((ROOT / "data").rglob("*.ttl"))
    assert files
    prefix = PREFIXES["ngid"]
    bad: list[str] = []
    for f in files:
        for quad in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE):
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(prefix):
                    segments = term.value[len(prefix):].split("/")
                    # The first segment is a key (catalog `nist-ai-rmf-1.0`, `mapping`, `vocab` …);
                    # a mapping set's slug is a key too (`cmmc-2.0_to_nist-sp800-171r2`).
                    keys = 2 if segments[0] in ("mapping", "mapping-set", "mapping-reading") else 1
                    if not all(KEY.match(k) for k in segments[:keys]):
                        bad.append(f"{Path(f).name}: {term.value}")
                    for seg in segments[keys:]:
                        if not LOCAL_NAME.match(seg):
                            bad.append(f"{Path(f).name}: {term.value}")
    assert not bad, "\n".join(sorted(set(bad))[:20])


def test_is_iri_refuses_what_no_store_would_take() -> None:
    """The one input check agrees with Oxigraph: no spaces, no C0, DEL or C1 control characters."""
    import pyoxigraph as ox

    from normgraph.iri import is_iri

    for text in ("http://a/b", "urn:x:1", "https://a/é"):
        assert is_iri(text)
        ox.NamedNode(text)
    for text in ("http://a/\x80", "http://a/\x9f", "http://a/ b", "http://a/\x7f", "no-scheme"):
        assert not is_iri(text), repr(text)
