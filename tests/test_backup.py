"""dump / restore: canonical, exact, all or nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset as RdflibDataset
from rdflib.compare import isomorphic
from repo import ROOT

from normgraph.backup import dump, dump_bytes, restore
from normgraph.loading import knowledge_files, load_files
from normgraph.store import EmbeddedStore, RdfSyntaxError

TRICKY = """@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:label "Informationssicherheit"@de , "security"@en-gb , "plain" , "typed"^^xsd:string ;
    ex:date "2026-11-28"^^xsd:date ; ex:int 42 ; ex:dec 0.5 ; ex:bool true ;
    ex:custom "x y"^^ex:myType ; ex:text "line1\\nline2 \\"quoted\\" \\\\ tab\\t ünï €" ;
    ex:node [ ex:p "inner" ; ex:q [ ex:r "deep" ] ] , [ ex:p "inner" ] .
_:shared ex:p "s" .
ex:b ex:link _:shared .
"""
TRICKY2 = """@prefix ex: <https://example.org/> .
ex:c ex:p [ ex:p "in another graph" ] .
"""
G1, G2 = "https://w3id.org/normgraph/graph/b1", "https://w3id.org/normgraph/graph/b2"


def filled(path: Path | None = None) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.load(TRICKY, "turtle", G1)
    store.load(TRICKY2, "turtle", G2)
    store.update('INSERT DATA { <https://example.org/default> <https://example.org/p> "in the default graph" }')
    return store


def as_rdflib(data: bytes, fmt: str) -> RdflibDataset:
    ds = RdflibDataset()
    ds.parse(data=data, format=fmt)
    return ds


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_dump_restore_dump_is_byte_identical_and_isomorphic(tmp_path: Path, fmt: str) -> None:
    source = filled()
    first = tmp_path / f"first.{'trig' if fmt == 'trig' else 'nq'}"
    report = dump(source, first, fmt)
    assert report.quads == 21 and report.graphs == 2

    target = EmbeddedStore(tmp_path / "restored")
    target.load("<urn:old> <urn:old> <urn:old> .", "ntriples", "urn:graph:old")  # restore replaces everything
    assert restore(target, first, fmt) == (21, 2)
    assert target.graphs() == [G1, G2]
    second = tmp_path / f"second.{first.suffix}"
    dump(target, second, fmt)
    assert first.read_bytes() == second.read_bytes()

    rdf_fmt = "nquads" if fmt == "nquads" else "trig"
    original = as_rdflib(source.export("nquads"), "nquads")
    restored = as_rdflib(second.read_bytes(), rdf_fmt)
    for g in (G1, G2):
        assert isomorphic(original.graph(g), restored.graph(g)), g
    assert isomorphic(original.default_graph, restored.default_graph)


def test_dump_is_canonical_regardless_of_blank_node_labels() -> None:
    a, b = filled(), filled()  # the same content, loaded twice: different internal blank node ids
    assert a.export("nquads") != b.export("nquads")
    assert dump_bytes(a)[0] == dump_bytes(b)[0]
    lines = dump_bytes(a)[0].decode().splitlines()
    assert lines == sorted(lines)
    assert any("_:c14n" in line for line in lines)


def test_literals_keep_language_and_datatype(tmp_path: Path) -> None:
    store = filled()
    text = dump_bytes(store)[0].decode()
    for needle in ['"Informationssicherheit"@de', '"2026-11-28"^^<http://www.w3.org/2001/XMLSchema#date>',
                   '"x y"^^<https://example.org/myType>', '"42"^^<http://www.w3.org/2001/XMLSchema#integer>',
                   '"line1\\nline2 \\"quoted\\" \\\\ tab\\t ünï €"', '"security"@en-gb']:
        assert needle in text, needle


def test_restore_is_all_or_nothing(tmp_path: Path) -> None:
    store = filled(tmp_path / "store")
    before = dump_bytes(store)[0]
    broken = tmp_path / "broken.nq"
    good = dump_bytes(filled())[0]
    broken.write_bytes(good + b'<https://example.org/x> <https://example.org/p> "unterminated .\n')
    with pytest.raises(RdfSyntaxError, match=r"broken\.nq"):
        restore(store, broken)
    assert dump_bytes(store)[0] == before


def test_dump_file_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "backup.nq"
    target.write_bytes(b"previous dump\n")

    def explode(*args: object, **kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", explode)
    with pytest.raises(OSError, match="disk full"):
        dump(filled(), target)
    assert target.read_bytes() == b"previous dump\n"
    assert [p.name for p in tmp_path.iterdir()] == ["backup.nq"]  # no temp file left behind


_iri = st.sampled_from([f"https://example.org/{c}" for c in "abcde"])
_lit = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).map(lambda s: ("lit", s, None)),
    st.tuples(st.just("lang"), st.text(alphabet="abc xyz", max_size=5), st.sampled_from(["en", "de", "fr-ca"])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(_iri, st.sampled_from(["_:x", "_:y"])), _iri,
                          st.one_of(_iri, st.sampled_from(["_:x", "_:y", "_:z"]), _lit),
                          st.sampled_from([G1, G2])), max_size=25))
def test_round_trip_property(tmp_path_factory: pytest.TempPathFactory, quads: list[tuple]) -> None:
    import json

    def term(t: object) -> str:
        if isinstance(t, tuple):
            kind, value, lang = t
            return json.dumps(value, ensure_ascii=False) + (f"@{lang}" if kind == "lang" else "")
        return t if str(t).startswith("_:") else f"<{t}>"  # type: ignore[return-value]

    text = "".join(f"{term(s)} <{p}> {term(o)} <{g}> .\n" for s, p, o, g in quads)
    store = EmbeddedStore()
    store.update(f"INSERT DATA {{ {' '.join(f'GRAPH <{g}> {{ {term(s)} <{p}> {term(o)} }}' for s, p, o, g in quads)} }}"
                 if quads else "CLEAR ALL")
    path = tmp_path_factory.mktemp("prop") / "d.nq"
    dump(store, path)
    again = EmbeddedStore()
    restore(again, path)
    assert dump_bytes(again)[0] == path.read_bytes()
    assert len(again) == len(store)
    if text:
        before, after = as_rdflib(store.export("nquads"), "nquads"), as_rdflib(path.read_bytes(), "nquads")
        for g in (G1, G2):
            assert isomorphic(before.graph(g), after.graph(g))


@pytest.mark.slow
def test_cli_dump_restore_dump_on_the_real_knowledge(tmp_path: Path) -> None:
    files = knowledge_files(ROOT, examples=True)
    store_path = tmp_path / "store"
    src = EmbeddedStore(store_path)
    load_files(src, files, ROOT)
    src.close()
    del src
    first, second = tmp_path / "a.nq", tmp_path / "b.nq"
    run = [sys.executable, "-m", "normgraph"]
    out = subprocess.run([*run, "--store", str(store_path), "dump", str(first)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    restored = tmp_path / "restored"
    out = subprocess.run([*run, "--store", str(restored), "restore", str(first)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "restored" in out.stdout
    out = subprocess.run([*run, "--store", str(restored), "dump", str(second)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert first.read_bytes() == second.read_bytes()
    # restore without --store is refused, and a broken file changes nothing
    out = subprocess.run([*run, "restore", str(first)], capture_output=True, text=True)
    assert out.returncode == 2 and "--store" in out.stderr
    broken = tmp_path / "broken.nq"
    broken.write_bytes(first.read_bytes()[:-40])
    out = subprocess.run([*run, "--store", str(restored), "restore", str(broken)], capture_output=True, text=True)
    assert out.returncode == 2 and "not changed" in out.stderr
    out = subprocess.run([*run, "--store", str(restored), "dump", str(second)], capture_output=True, text=True)
    assert first.read_bytes() == second.read_bytes()


# -- earlier states of an organisation graph (the spreadsheet round trip's "restore previous") ----------

def _org_store() -> EmbeddedStore:
    store = EmbeddedStore()
    store.load(b"<https://w3id.org/normgraph/id/org/acme/a> <https://example.org/p> \"v1\" .\n", "ntriples",
               "https://w3id.org/normgraph/graph/org/acme")
    return store


def _value(store: EmbeddedStore) -> bytes:
    return store.export("ntriples", "https://w3id.org/normgraph/graph/org/acme")


@pytest.mark.parametrize("on_disk", [True, False])
def test_org_history_restores_the_state_before_and_restoring_twice_undoes_it(tmp_path: Path, on_disk: bool) -> None:
    from normgraph.backup import OrgHistory, history_folder, replace_org_graph, restore_previous

    store = _org_store()
    history = OrgHistory(history_folder(tmp_path / "store") if on_disk else None)
    assert history.latest("acme") is None
    with pytest.raises(LookupError, match="no earlier state"):
        restore_previous(store, history, "acme")
    v2 = b"<https://w3id.org/normgraph/id/org/acme/a> <https://example.org/p> \"v2\" .\n"
    replace_org_graph(store, history, "acme", v2, "before the upload of soa.xlsx")
    assert b'"v2"' in _value(store)
    latest = history.latest("acme")
    assert latest is not None and latest.note == "before the upload of soa.xlsx" and latest.triples == 1
    if on_disk:
        assert (tmp_path / "store.history" / "acme").is_dir()
        assert OrgHistory(tmp_path / "store.history").latest("acme") == latest  # another process sees it
    restore_previous(store, history, "acme")
    assert b'"v1"' in _value(store) and b'"v2"' not in _value(store)
    restore_previous(store, history, "acme")
    assert b'"v2"' in _value(store)
    assert len(history.versions("acme")) == 1


def test_org_history_is_bounded(tmp_path: Path) -> None:
    from normgraph.backup import OrgHistory, replace_org_graph

    store = _org_store()
    history = OrgHistory(tmp_path / "h", keep=3)
    for i in range(6):
        replace_org_graph(store, history, "acme",
                          f"<https://w3id.org/normgraph/id/org/acme/a> <https://example.org/p> \"{i}\" .\n".encode(), f"#{i}")
    assert [v.note for v in history.versions("acme")] == ["#3", "#4", "#5"]
    assert len(list((tmp_path / "h" / "acme").glob("*.nt"))) == 3
