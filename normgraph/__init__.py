"""normgraph: a knowledge graph of ISO/IEC 27001:2022, ISO/IEC 42001:2023 and the rules around them."""

from pathlib import Path

__version__ = "0.1.0"

#: The repository (or installed source tree) root: ontology/, data/, queries/, shapes/ live here.
ROOT = Path(__file__).resolve().parent.parent
