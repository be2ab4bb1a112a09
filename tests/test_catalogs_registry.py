"""The catalog registry: read from the schemes' own descriptions in data/*.ttl."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from normgraph import knowledge
from normgraph.catalogs import registry
from normgraph.catalogs.build import declared_catalogs
from normgraph.catalogs.registry import catalog, catalog_of, catalogs
from normgraph.iri import NGID, PREFIXES, curie

KEYS = ["iso27001-2022", "iso42001-2023", "eu-ai-act", "eu-ai-act-obligation", "gdpr", "nist-ai-rmf-1.0",
        "nist-sp800-171r2", "cmmc-2.0", "nist-csf-2.0", "nist-sp800-53r5"]


def test_the_ten_catalogs_in_their_order() -> None:
    assert [c.key for c in catalogs()] == KEYS
    assert [c.order for c in catalogs()] == list(range(1, 11))


def test_the_data_says_what_the_converters_declare() -> None:
    assert list(declared_catalogs()) == list(catalogs())


def test_a_catalog_and_its_facts() -> None:
    c = catalog("iso27001-2022")
    assert (c.prefix, c.title, c.short_title) == ("iso27001", "ISO/IEC 27001:2022", "ISO 27001")
    assert c.scheme == f"{NGID}iso27001-2022" and c.namespace == f"{NGID}iso27001-2022/"
    ob = catalog("eu-ai-act-obligation")
    assert (ob.prefix, ob.title, ob.short_title) == ("aiactob", "EU AI Act obligations", "AI Act obligations")


def test_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as e:
        catalog("iso27001-2013")
    assert "iso27001-2013" in str(e.value) and "nist-csf-2.0" in str(e.value)


@pytest.mark.parametrize(
    ("iri", "key"),
    [
        (f"{NGID}iso27001-2022/A-5-19", "iso27001-2022"),
        (f"{NGID}iso27001-2022", "iso27001-2022"),
        (f"{NGID}eu-ai-act/art-9", "eu-ai-act"),
        (f"{NGID}eu-ai-act-obligation/art-9-1-provider", "eu-ai-act-obligation"),
        (f"{NGID}eu-ai-act-obligation", "eu-ai-act-obligation"),
        (f"{NGID}iso27001-2022/", None),
        (f"{NGID}iso27001-2022x/A-5", None),
        (f"{NGID}vocab/role/provider", None),
        (f"{NGID}mapping/x/1", None),
        ("https://example.org/iso27001-2022/A-5-19", None),
    ],
)
def test_catalog_of(iri: str, key: str | None) -> None:
    found = catalog_of(iri)
    assert (found.key if found else None) == key


def test_every_catalog_prefix_is_offered() -> None:
    for c in catalogs():
        assert PREFIXES[c.prefix] == c.namespace
        assert curie(c.namespace + "X-1") == f"{c.prefix}:X-1"
    assert list(PREFIXES)[:6] == ["ng", "ngid", "ngg", "ngv", "ngmap", "ngorg"]


@pytest.mark.parametrize("path", sorted(knowledge.path("data").glob("*.ttl")), ids=lambda p: p.name)
def test_reading_the_scheme_block_equals_reading_the_whole_file(path) -> None:
    whole = registry._catalogs_in(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE), path)
    assert registry.read_file(path) == whole and len(whole) == 1


def test_a_file_without_a_block_is_read_whole(tmp_path) -> None:
    text = (knowledge.path("data") / "iso42001-2023.ttl").read_text(encoding="utf-8")
    one_line = tmp_path / "x.ttl"
    one_line.write_bytes(ox.serialize(ox.parse(text, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES))
    assert registry.read_file(one_line) == [catalog("iso42001-2023")]


def test_an_incomplete_scheme_is_an_error(tmp_path) -> None:
    (tmp_path / "x.ttl").write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix ng: <https://w3id.org/normgraph/ont#> .\n"
        f"<{NGID}x> a skos:ConceptScheme ; ng:catalogKey \"x\" .\n", encoding="utf-8")
    with pytest.raises(registry.RegistryError, match="not prefix"):
        registry._read(tmp_path)
