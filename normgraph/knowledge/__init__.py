"""The knowledge normgraph ships: `ontology/`, `data/`, `shapes/` and `queries/`, as package data.

In a source checkout these four names are links to the repository's top-level folders (where people
edit them); in a built wheel they are copies. Either way they are read from here, with
`importlib.resources`, so an installed normgraph works from any folder. A missing file is an error
that says which file and where it was looked for — never an empty graph.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The folder that holds ontology/, data/, shapes/ and queries/.
ROOT = Path(str(resources.files(__name__)))

#: The knowledge folders, as they are named under ROOT and in a checkout.
FOLDERS = ("ontology", "data", "shapes", "queries")


class KnowledgeMissing(FileNotFoundError):
    """A file or folder of normgraph's own knowledge is not where the package says it is."""


def _missing(what: str, where: Path) -> KnowledgeMissing:
    return KnowledgeMissing(
        f"normgraph's knowledge {what} (looked in {where}); reinstall normgraph or restore it in the checkout"
    )


def path(*parts: str | Path, root: Path = ROOT) -> Path:
    """A knowledge file or folder (`path("queries", "report-soa.rq")`), which must exist."""
    p = root.joinpath(*parts)
    if not p.exists():
        raise _missing(f"file {'/'.join(map(str, parts))} is missing", root)
    return p


def files(folder: str | Path, pattern: str = "*.ttl", *, root: Path = ROOT) -> list[Path]:
    """The files of a knowledge folder (`files("data/mappings")`, relative to `root`, or an absolute
    path), sorted; the folder must hold at least one."""
    where = path(folder, root=root)
    found = sorted(where.glob(pattern))
    if not found:
        raise _missing(f"folder {folder} holds no {pattern} file", where)
    return found


def checkout_root() -> Path | None:
    """The source checkout these files are linked from, or None in an installed wheel.

    Only `normgraph build` needs it: it writes converted catalogs back into the checkout.
    """
    link = ROOT / "ontology"
    if link.is_symlink():
        return link.resolve().parent
    return None
