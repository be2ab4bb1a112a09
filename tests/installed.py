"""normgraph built as a wheel and installed into a fresh venv, outside the checkout.

The venv sees the already-installed dependencies (`--system-site-packages`) and gets only the wheel
(`pip install --no-deps --no-index`), so nothing is fetched. The editable install of the checkout
is visible to that venv too (its finder is listed in the system site-packages), which is why
`Installed.origin()` reports where `normgraph` and its knowledge are really imported from.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from repo import ROOT

#: What the wheel is built from: the project metadata, the code and the four knowledge folders.
SOURCE_PARTS = ("pyproject.toml", "README.md", "LICENSE", "normgraph", "ontology", "data", "shapes", "queries")
_JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def build_wheel(work: Path) -> Path:
    """Build the wheel from a clean copy of the checkout (no stale build/ folder, no network)."""
    src = work / "src"
    for part in SOURCE_PARTS:
        origin = ROOT / part
        if origin.is_dir():
            shutil.copytree(origin, src / part, symlinks=True, ignore=_JUNK)
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, src / part)
    out = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"),
                          str(src)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (wheel,) = (work / "dist").glob("normgraph-*.whl")
    return wheel


def clean_env() -> dict[str, str]:
    """The environment without anything that would point normgraph or Python at the checkout."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("NORMGRAPH_", "PYTHON"))}


@dataclass(frozen=True)
class Installed:
    """A venv holding the wheel, and a folder outside the checkout to run it from."""

    venv: Path
    cwd: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def site_packages(self) -> Path:
        (sp,) = self.venv.glob("lib/python*/site-packages")
        return sp

    @property
    def knowledge(self) -> Path:
        return self.site_packages / "normgraph" / "knowledge"

    def normgraph(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / "normgraph"), *args], capture_output=True, text=True, cwd=self.cwd,
                              env=clean_env(), timeout=timeout)

    def origin(self) -> dict[str, str]:
        """Where the venv's Python imports normgraph and its knowledge from."""
        code = ("import normgraph, normgraph.knowledge as k; "
                "print(normgraph.__file__); print(k.ROOT); print(k.checkout_root()); print(normgraph.__version__)")
        out = subprocess.run([str(self.bin / "python"), "-c", code], capture_output=True, text=True, cwd=self.cwd,
                             env=clean_env(), timeout=60, check=True)
        module, knowledge, checkout, version = out.stdout.split("\n")[:4]
        return {"module": module, "knowledge": knowledge, "checkout": checkout, "version": version}

    @contextmanager
    def serving(self, *args: str) -> Iterator[str]:
        """`normgraph serve --port 0 ARGS` from the venv; yields the base URL once it listens."""
        with serving([str(self.bin / "normgraph"), "serve", "--port", "0", *args], self.cwd) as url:
            yield url


@contextmanager
def serving(argv: list[str], cwd: Path) -> Iterator[str]:
    """Run a `normgraph serve --port 0` command line; yields the base URL once it listens."""
    proc = subprocess.Popen(argv, cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            seen.append(line)
            if match := re.search(r"serving on (http://\S+?)/sparql", line):
                yield match.group(1)
                return
            if not line and proc.poll() is not None:
                break
        raise AssertionError(f"normgraph serve did not come up: {''.join(seen)}")
    finally:
        proc.terminate()
        proc.wait(20)


def install(wheel: Path, where: Path) -> Installed:
    """A fresh venv in `where`/venv with only the wheel installed, and `where`/elsewhere to run from."""
    env_dir = where / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(env_dir)
    out = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                          "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, env=clean_env(),
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    cwd = where / "elsewhere"
    cwd.mkdir()
    return Installed(env_dir, cwd)
