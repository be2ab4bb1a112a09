"""NIST AI RMF 1.0, SP 800-171 r2, CMMC 2.0, CSF 2.0 and SP 800-53 r5 catalogs.

Counts are computed by SPARQL over the committed data/*.ttl loaded in Oxigraph (which also proves
the files parse there) and compared with the counts of the reference sources (their own totals, restated below).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from repo import ROOT

from normgraph.catalogs import cmmc, csf, nist_ai_rmf, sp800_53, sp800_171
from normgraph.catalogs.common import LICENSES, SourceError, write_turtle
from normgraph.iri import LOCAL_NAME, NGG, NGID, local_id

MODULES = {
    "nist-ai-rmf-1.0": nist_ai_rmf,
    "nist-sp800-171r2": sp800_171,
    "cmmc-2.0": cmmc,
    "nist-csf-2.0": csf,
    "nist-sp800-53r5": sp800_53,
}
FILES = {key: ROOT / "data" / f"{key}.ttl" for key in MODULES}
PREFIXES = """
PREFIX ng: <https://w3id.org/normgraph/ont#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
#: Structural kind prefixes of DESIGN.md §2 (notation -> local name is prefix + local_id).
PREFIXED = {
    ("nist-sp800-171r2", "RequirementFamily"): "family-",
    ("nist-sp800-53r5", "RequirementFamily"): "family-",
    ("cmmc-2.0", "CMMCDomain"): "domain-",
}


@pytest.fixture(scope="module")
def store(oxigraph_loader) -> ox.Store:
    return oxigraph_loader(FILES.values())


def rows(store: ox.Store, select: str, where: str, key: str | None = None,
         group: str = "") -> list[tuple[str, ...]]:
    """SELECT over one catalog's graph (or the union of all when key is None); strings."""
    body = f"GRAPH <{NGG}{key}> {{ {where} }}" if key else where
    q = PREFIXES + f"SELECT {select} WHERE {{ {body} }} " + (f"GROUP BY {group}" if group else "")
    return [tuple(str(t.value) for t in r) for r in
            store.query(q, use_default_graph_as_union=key is None)]


def count(store: ox.Store, key: str, where: str) -> int:
    return int(rows(store, "(COUNT(*) AS ?n)", where, key)[0][0])


def per_parent(store: ox.Store, key: str, cls: str, parent_cls: str, extra: str = "") -> dict:
    got = rows(store, "?n (COUNT(?c) AS ?k)", f"""
        ?c a {cls} ; skos:broader ?p . ?p a {parent_cls} ; skos:notation ?n . {extra}
    """, key, group="?n")
    return {n: int(k) for n, k in got}


def scheme(key: str) -> str:
    return f"{NGID}{key}"


# --- AI RMF ----------------------------------------------------------------------------------

def test_ai_rmf_counts(store):
    k = "nist-ai-rmf-1.0"
    assert count(store, k, "?s a ng:AIRMFFunction ; a skos:Concept ; skos:topConceptOf ?x") == 4
    assert count(store, k, "?s a ng:AIRMFCategory ; a skos:Concept") == 19
    assert count(store, k, "?s a ng:AIRMFSubcategory ; a skos:Concept") == 72
    assert per_parent(store, k, "ng:AIRMFCategory", "ng:AIRMFFunction") == {
        "GOVERN": 6, "MAP": 5, "MEASURE": 4, "MANAGE": 4}
    subs = rows(store, "?f (COUNT(?s) AS ?k)", """
        ?s a ng:AIRMFSubcategory ; skos:broader/skos:broader ?fn . ?fn skos:notation ?f .
    """, k, group="?f")
    assert {f: int(n) for f, n in subs} == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}


def test_ai_rmf_every_item_has_text_and_its_source_file(store):
    k = "nist-ai-rmf-1.0"
    assert count(store, k, "?s skos:inScheme ?x FILTER NOT EXISTS { ?s ng:text ?t }") == 0
    assert count(store, k, "?s skos:inScheme ?x FILTER NOT EXISTS { ?s dct:source ?u }") == 0
    # The 5 subcategories CSA left empty were read from CISO Assistant's file.
    from_ca = {n for (n,) in rows(store, "?n", """
        ?s a ng:AIRMFSubcategory ; skos:notation ?n ; dct:source ?u
        FILTER(CONTAINS(STR(?u), "ciso-assistant"))""", k)}
    assert from_ca == {"GOVERN 6.2", "MAP 4.2", "MAP 5.1", "MEASURE 3.2", "MANAGE 1.1"}


def test_ai_rmf_csa_typography_defects_are_undone(store):
    k = "nist-ai-rmf-1.0"
    assert count(store, k, '?s ng:text ?t FILTER(CONTAINS(?t, " - "))') == 0
    assert count(store, k, '?s a ng:AIRMFCategory ; ng:text ?t FILTER(!STRENDS(?t, "."))') == 0
    (text,) = rows(store, "?t", '?s skos:notation "MAP 1.4" ; ng:text ?t', k)[0]
    assert "defined or – in the case of assessing existing AI systems – re-evaluated." in text
    (gov4,) = rows(store, "?t", '?s skos:notation "GOVERN 4" ; ng:text ?t', k)[0]
    assert gov4.endswith("considers and communicates AI risk.")


# --- SP 800-171 ------------------------------------------------------------------------------

def test_sp800_171_counts(store):
    k = "nist-sp800-171r2"
    assert count(store, k, "?s a ng:RequirementFamily ; a skos:Concept ; skos:topConceptOf ?x") == 14
    assert count(store, k, "?s a ng:SecurityRequirement ; a skos:Concept") == 110
    sizes = per_parent(store, k, "ng:SecurityRequirement", "ng:RequirementFamily")
    # The reference sources' totals: AC 22, AT 3, AU 9, CM 9, IA 11, IR 3, MA 6, MP 9, PS 2, PE 6, RA 3, CA 4, SC 16, SI 7
    assert sizes == {"3.1": 22, "3.2": 3, "3.3": 9, "3.4": 9, "3.5": 11, "3.6": 3, "3.7": 6,
                     "3.8": 9, "3.9": 2, "3.10": 6, "3.11": 3, "3.12": 4, "3.13": 16, "3.14": 7}
    assert count(store, k, "?s a ng:SecurityRequirement ; ng:text ?t ; ng:discussion ?d") == 110
    assert count(store, k, "?s ng:footnote ?f") == 7
    (fn,) = rows(store, "?f", '?s skos:notation "3.12.4" ; ng:footnote ?f', k)[0]
    assert fn.startswith("[28] There is no prescribed format")


# --- CMMC ------------------------------------------------------------------------------------

def test_cmmc_counts_and_levels(store):
    k = "cmmc-2.0"
    assert count(store, k, "?s a ng:CMMCPractice ; a skos:Concept") == 110
    assert count(store, k, "?s a ng:CMMCDomain ; skos:topConceptOf ?x") == 14
    assert count(store, k, "?s a ng:CMMCLevel ; skos:topConceptOf ?x") == 2
    levels = rows(store, "?n (COUNT(?p) AS ?k)", """
        ?p a ng:CMMCPractice ; ng:cmmcLevel ?l . ?l a ng:CMMCLevel ; skos:notation ?n .
    """, k, group="?n")
    assert {n: int(c) for n, c in levels} == {"Level 1": 17, "Level 2": 93}
    # FAR 52.204-21 paragraphs for exactly the Level 1 practices.
    assert count(store, k, f"?p ng:farReference ?r ; ng:cmmcLevel <{scheme(k)}/level-1>") == 17
    assert count(store, k, "?p ng:farReference ?r") == 17
    assert count(store, k, "?p a ng:CMMCPractice FILTER NOT EXISTS { ?p skos:broader ?d . "
                           "?d a ng:CMMCDomain }") == 0


def test_cmmc_every_practice_derives_from_an_existing_sp800_171_requirement(store):
    got = rows(store, "?p ?n ?r", """
        GRAPH ?g1 { ?p a ng:CMMCPractice ; skos:notation ?n ; ng:derivesFrom ?r }
        GRAPH ?g2 { ?r a ng:SecurityRequirement ; skos:notation ?rn }
        FILTER(STRENDS(?n, CONCAT("-", ?rn)))""")
    assert len(got) == 110
    assert len({r for _p, _n, r in got}) == 110


def test_cmmc_rights_carry_the_required_attribution(store):
    k = "cmmc-2.0"
    (rights, lic) = rows(store, "?r ?l", f"<{NGG}{k}> dct:rights ?r ; dct:license ?l", k)[0]
    assert lic == str(LICENSES["cc-by-4.0"])
    assert rights.startswith("Copyright 2020, 2021 Carnegie Mellon University")
    assert rights.endswith("Creative Commons Attribution 4.0 International License.")


# --- CSF 2.0 ---------------------------------------------------------------------------------

ACTIVE = "FILTER NOT EXISTS { ?s ng:withdrawn true }"


def test_csf_counts(store):
    k = "nist-csf-2.0"
    assert count(store, k, f"?s a ng:CSFFunction ; a skos:Concept . {ACTIVE}") == 6
    assert count(store, k, f"?s a ng:CSFCategory ; a skos:Concept . {ACTIVE}") == 22
    assert count(store, k, f"?s a ng:CSFSubcategory ; a skos:Concept . {ACTIVE}") == 106
    # the 79 withdrawn CSF 1.1 rows (12 of their categories withdrawn as a whole)
    assert count(store, k, "?s a ng:CSFSubcategory ; ng:withdrawn true") == 79
    assert count(store, k, "?s a ng:CSFCategory ; ng:withdrawn true") == 12
    # an active subcategory never sits under a withdrawn category
    assert count(store, k, "?s skos:broader ?c . ?c ng:withdrawn true . "
                           "FILTER NOT EXISTS { ?s ng:withdrawn true }") == 0


def test_csf_withdrawn_entries_point_at_their_replacements(store):
    k = "nist-csf-2.0"
    got = {r for (r,) in rows(store, "?r", '?s skos:notation "ID.AM-06" ; dct:isReplacedBy ?x . '
                                           "?x skos:notation ?r", k)}
    assert got == {"GV.RR-02", "GV.SC-02"}


def test_csf_dashes_and_examples(store):
    k = "nist-csf-2.0"
    assert count(store, k, '?s ng:text ?t FILTER(CONTAINS(?t, " - "))') == 0
    (gvoc,) = rows(store, "?t", '?s skos:notation "GV.OC" ; ng:text ?t', k)[0]
    assert gvoc.startswith("The circumstances — mission, stakeholder expectations")
    ex = {e for (e,) in rows(store, "?e", '?s skos:notation "GV.OC-02" ; ng:implementationExample ?e', k)}
    assert len(ex) == 2 and all(e.startswith(("Ex1: ", "Ex2: ")) for e in ex)


# --- SP 800-53 -------------------------------------------------------------------------------

def test_sp800_53_counts(store):
    k = "nist-sp800-53r5"
    assert count(store, k, "?s a ng:RequirementFamily ; skos:topConceptOf ?x") == 20
    assert count(store, k, "?s a ng:Control ; a skos:Concept") == 322
    assert count(store, k, "?s a ng:ControlEnhancement ; a skos:Concept") == 867
    assert count(store, k, "{ ?s a ng:Control } UNION { ?s a ng:ControlEnhancement }") == 1189
    assert count(store, k, "?s ng:withdrawn true") == 179
    assert count(store, k, "?s ng:withdrawn true ; ng:text ?t") == 0
    assert count(store, k, f"{{ ?s a ng:Control }} UNION {{ ?s a ng:ControlEnhancement }} "
                           f"{ACTIVE} FILTER NOT EXISTS {{ ?s ng:text ?t }}") == 0


def test_sp800_53_enhancements_and_related_controls(store):
    k = "nist-sp800-53r5"
    base = scheme(k)
    assert rows(store, "?p", f"<{base}/AC-2-1> skos:broader ?p ; skos:notation 'AC-2(1)'", k) == [
        (f"{base}/AC-2",)]
    assert count(store, k, "?e a ng:ControlEnhancement ; skos:broader ?c . ?c a ng:Control") == 867
    assert count(store, k, "?c a ng:Control ; skos:broader ?f . ?f a ng:RequirementFamily") == 322
    related = {r for (r,) in rows(store, "?r", f"<{base}/AC-1> skos:related ?r", k)}
    assert related == {f"{base}/{c}" for c in ("IA-1", "PM-9", "PM-24", "PS-8", "SI-12")}
    # every related target is a control of the catalog
    assert count(store, k, "?s skos:related ?r FILTER NOT EXISTS { ?r skos:inScheme ?x }") == 0


# --- all five: IRIs, labels, graph descriptions ----------------------------------------------

@pytest.mark.parametrize("key", list(MODULES))
def test_local_names_follow_the_iri_rule(store, key):
    items = rows(store, "?s ?n ?c", f"""
        ?s skos:inScheme <{scheme(key)}> ; skos:notation ?n ; a ?c FILTER(?c != skos:Concept)""", key)
    assert items
    for iri, notation, cls in items:
        local = iri.removeprefix(scheme(key) + "/")
        assert LOCAL_NAME.match(local), iri
        if cls.endswith("#CMMCLevel"):
            expected = "level-" + notation.removeprefix("Level ")
        else:
            expected = PREFIXED.get((key, cls.rsplit("#", 1)[1]), "") + local_id(notation)
        assert local == expected, (iri, notation)


@pytest.mark.parametrize("key", list(MODULES))
def test_items_are_complete(store, key):
    s = scheme(key)
    assert count(store, key, f"?i skos:inScheme <{s}> FILTER NOT EXISTS {{ ?i skos:prefLabel ?l "
                             'FILTER(lang(?l) = "en") }') == 0
    assert count(store, key, f"?i skos:inScheme <{s}> FILTER NOT EXISTS {{ ?i skos:broader ?p }} "
                             f"FILTER NOT EXISTS {{ ?i skos:topConceptOf <{s}> }}") == 0
    orders = sorted(int(o) for (o,) in rows(store, "?o", f"?i skos:inScheme <{s}> ; ng:order ?o", key))
    assert orders == list(range(1, len(orders) + 1))
    assert count(store, key, "?i ng:text ?t FILTER(lang(?t) != 'en')") == 0


@pytest.mark.parametrize("key", list(MODULES))
def test_graph_and_scheme_describe_themselves(store, key):
    g = f"{NGG}{key}"
    (lic, src, version) = rows(store, "?l ?s ?v", f"""
        <{g}> a <http://www.w3.org/ns/dcat#Dataset> ; dct:license ?l ; dct:source ?s ;
              <http://www.w3.org/2002/07/owl#versionInfo> ?v ; dct:title ?t""", key)[0]
    expected = LICENSES["cc-by-4.0"] if key == "cmmc-2.0" else LICENSES["public-domain-us"]
    assert lic == str(expected)
    assert src == MODULES[key].OFFICIAL
    assert version
    derived = [d for (d,) in rows(store, "?d", f"<{g}> prov:wasDerivedFrom ?d", key)]
    assert any(d.startswith("https://w3id.org/normgraph/source/") or "/blob/" in d for d in derived)
    assert count(store, key, f"<{g}> dct:modified ?d FILTER(datatype(?d) = xsd:date)") == 1
    assert count(store, key, f"<{scheme(key)}> a skos:ConceptScheme ; dct:title ?t ; "
                             "dct:publisher ?p ; dct:issued ?d ; dct:source ?s "
                             "FILTER(datatype(?d) = xsd:date)") == 1


# --- builds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(MODULES))
def test_build_is_deterministic_and_committed_file_is_fresh(sources, tmp_path, key):
    first = MODULES[key].build(sources)
    second = MODULES[key].build(sources)
    assert list(first) == [f"data/{key}.ttl"]
    rel = f"data/{key}.ttl"
    write_turtle(first[rel], tmp_path / "a.ttl")
    write_turtle(second[rel], tmp_path / "b.ttl")
    assert (tmp_path / "a.ttl").read_bytes() == (tmp_path / "b.ttl").read_bytes()
    assert (tmp_path / "a.ttl").read_bytes() == (ROOT / rel).read_bytes(), f"{rel} is stale"


# --- broken sources --------------------------------------------------------------------------

def _copy(sources: Path, tmp_path: Path, *rels: str) -> Path:
    copy = tmp_path / "reference"
    for rel in rels:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sources / rel, copy / rel)
    return copy


def _edit_json(path: Path, mutate) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_ai_rmf_empty_subcategory_is_a_source_error(sources, tmp_path):
    copy = _copy(sources, tmp_path, nist_ai_rmf.CORE)

    def empty(data):
        data["functions"][1]["categories"][3]["subcategories"][1]["description"] = ""

    _edit_json(copy / nist_ai_rmf.CORE, empty)
    with pytest.raises(SourceError, match=r"ai-rmf-1\.0-core\.json: category MAP 4 subcategories\[1\]"):
        nist_ai_rmf.build(copy)


def test_sp800_171_wrong_family_is_a_source_error(sources, tmp_path):
    copy = _copy(sources, tmp_path, sp800_171.FILE)

    def misfile(data):
        data["requirements"][5]["family"] = "3.2"

    _edit_json(copy / sp800_171.FILE, misfile)
    with pytest.raises(SourceError) as err:
        sp800_171.build(copy)
    assert err.value.path == str(copy / sp800_171.FILE)
    assert "3.1.6" in str(err.value)


def test_cmmc_unknown_requirement_is_a_source_error(sources, tmp_path):
    copy = _copy(sources, tmp_path, cmmc.FILE, sp800_171.FILE)
    path = copy / cmmc.FILE
    with path.open(encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    table[3] = [c.replace("3.1.3", "3.1.99") for c in table[3]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(table)
    with pytest.raises(SourceError, match=r"practices\.csv: line 4 \(AC\.L2-3\.1\.99\).*3\.1\.99"):
        cmmc.build(copy)


def test_csf_bad_withdrawn_target_is_a_source_error(sources, tmp_path):
    copy = _copy(sources, tmp_path, csf.FILE)

    def bad(data):
        row = next(r for r in data if r["Subcategory ID"] == "ID.AM-06")
        row["Subcategory"] = "[Withdrawn: Incorporated into GV.ZZ-99]"

    _edit_json(copy / csf.FILE, bad)
    with pytest.raises(SourceError, match=r"csf-2\.0\.json: row \d+ \(ID\.AM-06\).*GV\.ZZ-99"):
        csf.build(copy)


def test_sp800_53_lost_text_is_a_source_error(sources, tmp_path):
    copy = _copy(sources, tmp_path, sp800_53.FILE)

    def lose(data):
        data[0]["control_text"] = ""

    _edit_json(copy / sp800_53.FILE, lose)
    with pytest.raises(SourceError, match=r"800-53-r5-controls\.json: entry 0 \(AC-1\)"):
        sp800_53.build(copy)


@pytest.mark.parametrize("key", list(MODULES))
def test_missing_source_file_is_a_source_error(tmp_path, key):
    with pytest.raises(SourceError, match=re.escape(str(tmp_path))):
        MODULES[key].build(tmp_path)
