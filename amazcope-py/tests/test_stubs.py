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


def test_native_module_is_the_one_installed() -> None:
    assert _amazcope.__version__ == amazcope.__version__
