# A DELETE/INSERT WHERE over every organisation graph: each risk's residual score goes up by one
# (bench/bench_update.py).
PREFIX ng: <https://w3id.org/normgraph/ont#>

DELETE { GRAPH ?g { ?risk ng:residualScore ?score } }
INSERT { GRAPH ?g { ?risk ng:residualScore ?higher } }
WHERE {
  GRAPH ?g { ?risk a ng:Risk ; ng:residualScore ?score . }
  BIND (?score + 1 AS ?higher)
}
