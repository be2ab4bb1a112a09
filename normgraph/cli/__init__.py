"""The `normgraph` command line. Subcommands live in sibling modules and register on `main`.

Exit codes: 0 success, 1 the check failed (e.g. validation violations, build --check drift),
2 bad input (usage, syntax error in a query or file, unknown identifier) or a file of normgraph's own
knowledge missing, with a message naming it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from normgraph import __version__
from normgraph.knowledge import KnowledgeMissing
from normgraph.store import Store, StoreError, open_store

# Piped output is not wrapped at 80 columns: tables stay one row per line for grep and diff.
console = Console(width=None if sys.stdout.isatty() else 240)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 240)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error (what and where) to stderr and exit with `code` (2 = bad input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


@dataclass
class Context:
    """Options shared by every command: which store to use and whether to load example orgs."""

    store_path: Path | None = None
    endpoint: str | None = None
    update_endpoint: str | None = None
    graph_store: str | None = None
    store_profile: str | None = None  # how the remote store differs (normgraph/store/profiles.py)
    _store: Store | None = field(default=None, repr=False)

    def store(self, *, examples: bool = True, show_progress: bool = False) -> Store:
        """The store, with the knowledge loaded when it is a fresh embedded one."""
        if self._store is None:
            try:
                store = open_store(
                    self.store_path,
                    endpoint=self.endpoint,
                    update_endpoint=self.update_endpoint,
                    graph_store=self.graph_store,
                    profile=self.store_profile,
                )
                if self.endpoint is None and not store.graphs():
                    from normgraph.loading import load_knowledge

                    load_knowledge(store, examples=examples, show_progress=show_progress)
            except (StoreError, ValueError) as e:  # ValueError: a bad remote option (e.g. an unknown profile)
                fail(str(e))
            self._store = store
        return self._store


pass_context = click.make_pass_decorator(Context, ensure=True)

F = TypeVar("F", bound=Callable[..., Any])
_REMOTE_OPTIONS = (
    ("--endpoint", "Use a remote SPARQL 1.1 query endpoint instead of the embedded store."),
    ("--update-endpoint", "Remote SPARQL Update endpoint (default: --endpoint)."),
    ("--graph-store", "Remote Graph Store Protocol endpoint."),
    ("--store-profile", "How the remote store differs: standard (default) or virtuoso."),
)


def _set_on_context(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and param.name:
        setattr(ctx.ensure_object(Context), param.name, value)


def remote_store_options(func: F) -> F:
    """`--endpoint/--update-endpoint/--graph-store` on a subcommand too (`normgraph serve --endpoint URL`).

    They set the same Context fields as the group options of `main` (a value given after the
    subcommand wins); the environment variables are read by the group options only.
    """
    for name, help_text in reversed(_REMOTE_OPTIONS):
        func = click.option(name, name.lstrip("-").replace("-", "_"), default=None, expose_value=False,
                            callback=_set_on_context, help=help_text)(func)
    return func


#: Knowledge files found missing while the command modules were imported (some modules read the
#: knowledge when imported): every command then stops with the first of them.
_MISSING_AT_IMPORT: list[KnowledgeMissing] = []


class _Group(click.Group):
    """A missing knowledge file ends any command with exit code 2 and the message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            if _MISSING_AT_IMPORT:
                raise _MISSING_AT_IMPORT[0]
            return super().invoke(ctx)
        except KnowledgeMissing as e:
            fail(str(e))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", "store_path", type=click.Path(path_type=Path), envvar="NORMGRAPH_STORE",
              help="On-disk embedded store (default: in memory, loaded from ontology/ and data/).")
@click.option("--endpoint", envvar="NORMGRAPH_ENDPOINT", help="Use a remote SPARQL 1.1 query endpoint instead.")
@click.option("--update-endpoint", envvar="NORMGRAPH_UPDATE_ENDPOINT", help="Remote SPARQL Update endpoint.")
@click.option("--graph-store", envvar="NORMGRAPH_GRAPH_STORE", help="Remote Graph Store Protocol endpoint.")
@click.option("--store-profile", envvar="NORMGRAPH_STORE_PROFILE",
              help="How the remote store differs: standard (default) or virtuoso.")
@click.version_option(__version__, prog_name="normgraph")
@click.pass_context
def main(ctx: click.Context, store_path: Path | None, endpoint: str | None, update_endpoint: str | None,
         graph_store: str | None, store_profile: str | None) -> None:
    """normgraph: ISO/IEC 27001 + 42001, the EU AI Act, NIST AI RMF, SP 800-171/CMMC and GDPR as one graph."""
    ctx.obj = Context(store_path, endpoint, update_endpoint, graph_store, store_profile)


def _register_commands() -> None:
    for module in pkgutil.iter_modules(__path__):
        try:
            importlib.import_module(f"{__name__}.{module.name}")
        except KnowledgeMissing as e:
            _MISSING_AT_IMPORT.append(e)


_register_commands()
