"""The README tells the truth: its example runs and its test command is CI's."""

import re
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_test_command_is_the_one_ci_runs():
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    ci_command = next(line for line in ci_lines if "python -m pytest" in line)
    readme_commands = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    assert any(command.endswith(ci_command) for command in readme_commands), ci_command


def test_readme_example_runs():
    example = next(
        block for block in re.findall(r"```python\n(.*?)```", README, flags=re.S) if "SelectFromModel" in block
    )
    namespace = {"print": lambda *args: None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(example, "README.md", "exec"), namespace)
    selector = namespace["model"][0]
    assert selector.get_support().sum() == 8
    assert namespace["model"].score(namespace["X"], namespace["y"]) > 0.9
