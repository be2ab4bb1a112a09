"""`normgraph access …`: principals, grants, tokens and sign-in links in the principal database, which
`normgraph serve` then uses (docs/security.md)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from normgraph.access import Registry
from normgraph.cli import main


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["access", "--access", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_manage_principals_grants_and_tokens(tmp_path: Path) -> None:
    db = tmp_path / "access.sqlite"
    assert run(db, "add", "ann")[0] == 0
    assert run(db, "add", "ci-bot", "--tool")[0] == 0
    assert run(db, "grant", "ann", "fintech", "editor")[0] == 0
    code, token = run(db, "token", "add", "ci-bot", "--label", "ci")
    assert code == 0 and token.strip().startswith("ngt_")
    code, link = run(db, "link", "ann", "--url", "https://ng.example.org/")
    assert code == 0 and link.startswith("https://ng.example.org/access/signin?token=ngs_")
    code, listing = run(db, "list")
    assert "fintech: editor" in listing and "ci-bot" in listing and token.strip() not in listing
    registry = Registry(db)
    assert registry.by_token(token.strip()).name == "ci-bot"  # type: ignore[union-attr]
    assert registry.principal("ann").roles == {"fintech": "editor"}  # type: ignore[union-attr]
    assert run(db, "grant", "nobody", "fintech", "viewer")[0] == 2  # unknown principal: a clear error
    assert run(db, "revoke", "ann", "fintech")[0] == 0
    assert run(db, "token", "revoke", "1")[0] == 0
    assert Registry(db).by_token(token.strip()) is None
    assert db.stat().st_mode & 0o777 == 0o600
