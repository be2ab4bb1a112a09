"""python -m normgraph.mappings [SOURCES]: build and write the mapping graphs."""

from normgraph.mappings import main

main()
