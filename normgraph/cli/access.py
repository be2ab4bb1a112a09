"""`normgraph access …`: principals (people and tools), their roles per organisation, tokens and
sign-in links, kept in the principal database beside the store (normgraph/access/registry.py).

    normgraph access add ann                       # a person (or --tool for a tool)
    normgraph access grant ann fintech editor      # viewer | editor | admin of one organisation
    normgraph access token add ci-bot --days 90    # a bearer token, shown once
    normgraph access link ann                      # a one-time sign-in link for the web pages
    normgraph access disable ann                   # no sign-in, session or token of ann accepted (enable: again)
    normgraph access list

The same can be done on the web pages /access/ and /org/<slug>/people (normgraph/server/access_admin.py). Every
change made here is written to the audit trail beside the database (normgraph/access/audit.py), as
"cli:<user>".

`--access PATH` (or NORMGRAPH_ACCESS) names the database; by default it is `<store>.access.sqlite`
beside `--store PATH`, or `$XDG_DATA_HOME/normgraph/access.sqlite` for the in-memory store — the same
file `normgraph serve` uses.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from normgraph.access import audit
from normgraph.access.registry import AccessError, Registry, default_path
from normgraph.cli import Context, console, fail, main, pass_context

T = TypeVar("T")


def access_path(ctx: Context, given: str | None) -> Path:
    return Path(given) if given else default_path(ctx.store_path)


def _registry(ctx: Context, given: str | None) -> Registry:
    path = access_path(ctx, given)
    audit.log_to(audit.trail_path(path))
    return Registry(path)


@main.group()
@click.option("--access", "access_db", envvar="NORMGRAPH_ACCESS", default=None,
              help="The principal database (default: beside --store, or in the user's data folder).")
@click.pass_context
def access(click_ctx: click.Context, access_db: str | None) -> None:
    """Manage who may see and change organisation data (docs/security.md)."""
    click_ctx.obj_access = access_db  # type: ignore[attr-defined]


def _db(click_ctx: click.Context | None) -> str | None:
    return getattr(click_ctx.parent, "obj_access", None) if click_ctx is not None else None


def _run(action: Callable[[], T], change: str = "", subject: str = "", org: str | None = None,
         **details: object) -> T:
    """action(), or the command fails with the registry's reason; a `change` goes to the audit trail either way."""
    actor = f"cli:{_user()}"
    try:
        result = action()
    except AccessError as e:
        if change:
            audit.change(actor, change, subject, organisation=org, outcome="refused", where="cli", via="cli",
                         details={**details, "reason": str(e)})
        fail(str(e))
    if change:
        audit.change(actor, change, subject, organisation=org, where="cli", via="cli", details=details)
    return result


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


@access.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="The global admin: every organisation, public graphs, SPARQL Update.")
@click.option("--tool", is_flag=True, help="A tool (signs in with tokens only), not a person.")
@click.pass_context
@pass_context
def add(ctx: Context, click_ctx: click.Context, name: str, admin: bool, tool: bool) -> None:
    """Add a principal."""
    reg = _registry(ctx, _db(click_ctx))
    _run(lambda: reg.add(name, admin=admin, kind="tool" if tool else "person"), "add", name,
         kind="tool" if tool else "person", admin=admin)
    console.print(f"added {name}{' (global admin)' if admin else ''}", highlight=False)


@access.command("remove")
@click.argument("name")
@click.pass_context
@pass_context
def remove(ctx: Context, click_ctx: click.Context, name: str) -> None:
    """Remove a principal with its grants and tokens."""
    reg = _registry(ctx, _db(click_ctx))
    _run(lambda: reg.remove(name), "remove", name)
    console.print(f"removed {name}", highlight=False)


@access.command("grant")
@click.argument("name")
@click.argument("org")
@click.argument("role", type=click.Choice(["viewer", "editor", "admin"]))
@click.pass_context
@pass_context
def grant(ctx: Context, click_ctx: click.Context, name: str, org: str, role: str) -> None:
    """Give NAME a ROLE on organisation ORG (its slug)."""
    reg = _registry(ctx, _db(click_ctx))
    revoked: list[dict[str, object]] = []
    _run(lambda: revoked.extend(reg.grant(name, org, role)), "grant", name, org, role=role, revoked=revoked)
    console.print(f"{name} is {role} of {org}", highlight=False)
    if revoked:  # an organisation's admin may hold them: they must not open the rest
        made = ", ".join(f"{r['kind']} made by {r['made_by'] or 'unknown'}" for r in revoked)
        console.print(f"revoked {len(revoked)} secret(s) an organisation's admin made ({made}); "
                      f"sessions of {name} ended: give {name} a new one (normgraph access link / token add)",
                      highlight=False)


@access.command("revoke")
@click.argument("name")
@click.argument("org")
@click.pass_context
@pass_context
def revoke(ctx: Context, click_ctx: click.Context, name: str, org: str) -> None:
    """Take NAME's role on ORG away."""
    reg = _registry(ctx, _db(click_ctx))
    _run(lambda: reg.revoke(name, org), "revoke", name, org)
    console.print(f"{name} has no role on {org} any more", highlight=False)


@access.command("list")
@click.pass_context
@pass_context
def list_(ctx: Context, click_ctx: click.Context) -> None:
    """Principals, their roles and their tokens (never the secrets)."""
    reg = _registry(ctx, _db(click_ctx))
    for p in reg.principals():
        roles = ", ".join(f"{o}: {r}" for o, r in sorted(p["roles"].items())) or "-"  # type: ignore[attr-defined]
        state = "disabled" if p["disabled"] else ""
        console.print(f"{p['name']}\t{p['kind']}\t{'admin' if p['admin'] else ''}\t{roles}\t{state}".rstrip(),
                      highlight=False)
    for t in reg.tokens():
        console.print(f"token {t['id']}\t{t['name']}\t{t['label']}\tcreated {t['created']}\texpires {t['expires'] or 'never'}",
                      highlight=False)


@access.group("token")
def token() -> None:
    """Bearer tokens for tools (shown once, stored hashed)."""


@token.command("add")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@click.option("--days", type=float, default=None, help="Valid for this many days (default: until revoked).")
@click.pass_context
@pass_context
def token_add(ctx: Context, click_ctx: click.Context, name: str, label: str, days: float | None) -> None:
    """Make a bearer token for NAME and print it (the only time it is shown)."""
    reg = _registry(ctx, _db(click_ctx.parent))
    click.echo(_run(lambda: reg.new_token(name, label, days), "token", name, label=label, days=days))


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
@pass_context
def token_revoke(ctx: Context, click_ctx: click.Context, token_id: int) -> None:
    """Revoke a token by its number (from `normgraph access list`)."""
    reg = _registry(ctx, _db(click_ctx.parent))
    owner = next((str(t["name"]) for t in reg.tokens() if t["id"] == token_id), "")
    _run(lambda: reg.revoke_token(token_id), "revoke-token", owner, token=token_id)
    console.print(f"token {token_id} revoked", highlight=False)


@access.command("password")
@click.argument("name")
@click.password_option()
@click.pass_context
@pass_context
def password(ctx: Context, click_ctx: click.Context, name: str, password: str) -> None:
    """Set NAME's password for the sign-in page (stored as a scrypt hash)."""
    reg = _registry(ctx, _db(click_ctx))
    _run(lambda: reg.set_password(name, password), "password", name)
    console.print(f"password of {name} set", highlight=False)


@access.command("link")
@click.argument("name")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Where the server answers.")
@click.pass_context
@pass_context
def link(ctx: Context, click_ctx: click.Context, name: str, url: str) -> None:
    """Print a one-time sign-in link for NAME (valid 24 hours)."""
    reg = _registry(ctx, _db(click_ctx))
    secret = _run(lambda: reg.signin_link(name), "link", name)
    click.echo(f"{url.rstrip('/')}/access/signin?token={secret}")


@access.command("disable")
@click.argument("name")
@click.pass_context
@pass_context
def disable(ctx: Context, click_ctx: click.Context, name: str) -> None:
    """Disable NAME: its sessions end, and no password, link, token or sign-on header of it is accepted until it
    is enabled again (its grants and tokens are kept)."""
    reg = _registry(ctx, _db(click_ctx))
    _run(lambda: reg.set_disabled(name, True), "disable", name)
    console.print(f"{name} is disabled", highlight=False)


@access.command("enable")
@click.argument("name")
@click.pass_context
@pass_context
def enable(ctx: Context, click_ctx: click.Context, name: str) -> None:
    """Enable NAME again after `normgraph access disable`."""
    reg = _registry(ctx, _db(click_ctx))
    _run(lambda: reg.set_disabled(name, False), "enable", name)
    console.print(f"{name} is enabled", highlight=False)


__all__ = ["access", "access_path"]
