"""normgraph: a knowledge graph of ISO/IEC 27001:2022, ISO/IEC 42001:2023 and the rules around them."""

__version__ = "0.2.0"
