from normgraph.cli import main

main()
