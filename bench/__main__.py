"""Run every benchmark module in turn: `python -m bench`."""

import importlib
import pkgutil
import sys

import bench

for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")):
    print(f"== {module}", flush=True)
    mod = importlib.import_module(f"bench.{module}")
    main = getattr(mod, "main", None)
    if main is None:
        print(f"   (no main() in bench.{module})", file=sys.stderr)
        continue
    main()
