"""The hand-written stubs describe the compiled module, and every public name is documented."""

import inspect
import subprocess
import sys
from pathlib import Path

import amazcope
from amazcope import _amazcope, errors

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_stubtest_finds_no_mismatch() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "amazcope", "--mypy-config-file", str(PYPROJECT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_py_typed_ships() -> None:
    import importlib.resources

    assert importlib.resources.files("amazcope").joinpath("py.typed").is_file()
    assert importlib.resources.files("amazcope").joinpath("_amazcope.pyi").is_file()


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for mod in (amazcope, errors):
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if name.startswith("__"):
                continue
            if not inspect.getdoc(obj):
                missing.append(f"{mod.__name__}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and not inspect.getdoc(member):
                        missing.append(f"{mod.__name__}.{name}.{attr}")
    assert not missing, missing


def test_versions_agree_with_the_crate() -> None:
    """The native module, the installed distribution's metadata and the workspace's
    Cargo.toml (the one source of the version) all say the same version: a stale wheel or a
    module built from other sources fails here."""
    import importlib.metadata
    import re

    cargo = (PYPROJECT.parents[1] / "Cargo.toml").read_text(encoding="utf-8")
    package = cargo[cargo.index("[workspace.package]") :]
    match = re.search(r'^version\s*=\s*"([^"]+)"', package, re.MULTILINE)
    assert match, "no version in [workspace.package] of Cargo.toml"
    assert _amazcope.__version__ == match.group(1)
    assert importlib.metadata.version("amazcope") == match.group(1)
    assert amazcope.__version__ is _amazcope.__version__
