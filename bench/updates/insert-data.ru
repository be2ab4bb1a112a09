# An INSERT DATA into one organisation graph; bench/bench_update.py puts the generated triples in place of
# the line TRIPLES.
INSERT DATA {
  GRAPH <https://w3id.org/normgraph/graph/org/bench> {
TRIPLES
  }
}
