"""`mypy --strict` on a typed example that uses the stubs, and the example itself run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "typed_example.py"


def test_mypy_strict_on_typed_example() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_on_the_package(tmp_path: Path) -> None:
    # The installed package, checked as a package (run outside the source tree so the installed copy is the one).
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "ftpkit"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_catches_a_type_error(tmp_path: Path) -> None:
    # The stubs are really used: a wrong type is reported.
    bad = tmp_path / "bad.py"
    bad.write_text("import ftpkit\nport: str = ftpkit.parse_epsv('229 (|||1|)')\n")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode != 0 and "Incompatible types" in r.stdout


def test_typed_example_runs() -> None:
    r = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "220" in r.stdout and "hello.txt" in r.stdout


def test_package_is_typed() -> None:
    import ftpkit

    pkg = Path(ftpkit.__file__).parent
    assert (pkg / "py.typed").exists() and (pkg / "_native.pyi").exists()
