"""The package's layers import one way: import-linter's contracts (pyproject.toml) hold, and catch a break."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter (test extra) is not installed")

ROOT = Path(__file__).parents[1]
LINT_IMPORTS = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
]


def _lint_imports(project, package_parent):
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_the_layer_contracts_are_kept():
    completed = _lint_imports(ROOT, ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


@pytest.mark.parametrize(
    "module, upward_import",
    [
        ("method/scores.py", "from ..estimators import base"),  # the method importing an estimator
        ("training/net.py", "from ..cli import main"),  # training importing the CLI
        ("estimators/base.py", "from . import streaming"),  # a cycle inside a layer (streaming imports base)
        ("method/tracker.py", "import sklearn"),  # the method importing a framework
    ],
)
def test_an_import_against_the_layers_breaks_a_contract(tmp_path, module, upward_import):
    copy = tmp_path / "viann_sklearn"
    shutil.copytree(ROOT / "viann_sklearn", copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (copy / module).open("a") as source:
        source.write(f"\n{upward_import}  # noqa\n")
    completed = _lint_imports(tmp_path, tmp_path)
    assert completed.returncode != 0, completed.stdout
    assert "BROKEN" in completed.stdout
