"""What a SPARQL update costs the served store now that it runs in a sandboxed child and sends back its
change (normgraph/store/sandbox.py), against running the same update in the server process (how updates
ran before), in the same run, on the knowledge and both example organisations (in memory):

* an INSERT DATA of 5,000 new triples into an organisation graph;
* a DELETE/INSERT WHERE that re-scores every risk of both example organisations.

The updates are in bench/updates/*.ru.

    python -m bench.bench_update [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from normgraph.loading import load_knowledge
from normgraph.store.embedded import EmbeddedStore
from normgraph.store.guarded import GuardedStore

UPDATES = Path(__file__).parent / "updates"


def insert_data(first: int, count: int = 5000) -> str:
    """The INSERT DATA of bench/updates/insert-data.ru with `count` new triples, numbered from `first`."""
    triples = "\n".join(f"<https://w3id.org/normgraph/bench/item/{n}> <https://w3id.org/normgraph/bench/number> {n} ."
                        for n in range(first, first + count))
    return (UPDATES / "insert-data.ru").read_text().replace("\nTRIPLES\n", f"\n{triples}\n")


def _median(run: Callable[[int], None], repeat: int) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    inner = EmbeddedStore()
    load_knowledge(inner, examples=True)
    store = GuardedStore(inner, workers=1)
    print(f"store: {len(inner)} quads (knowledge and both example organisations, in memory)")
    try:
        cases = {
            "insert data, 5,000 triples": lambda i: insert_data(i * 5000),
            "re-score every risk (delete + insert)": lambda i: (UPDATES / "rescore-risks.ru").read_text(),
        }
        for name, text in cases.items():
            # in the server process, as updates ran before (same store, same generation bump and view copy)
            old = _median(lambda i: store._write(lambda st: st.update(text(i))), args.repeat)  # noqa: B023
            new = _median(lambda i: store.update(text(args.repeat + i)), args.repeat)  # noqa: B023
            print(f"{name:45} in process {old * 1000:8.1f} ms   sandboxed {new * 1000:8.1f} ms   ratio {new / old:5.2f}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
