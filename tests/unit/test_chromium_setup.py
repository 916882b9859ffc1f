"""`make test` installs Debian's Chromium for the browser tests when it can, and says how when it cannot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")


def fake_tools(folder: Path, uid: int, apt: bool = True) -> Path:
    """A folder of stand-ins for `id` and `apt-get` that log their calls; apt-get does not install."""
    folder.mkdir()
    (folder / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    if apt:
        (folder / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $*" >> {folder / "calls"}\n')
    for tool in folder.iterdir():
        tool.chmod(0o755)
    return folder


def run(tmp_path, tools: Path, chromium: str) -> subprocess.CompletedProcess:
    # Only the stand-ins on PATH: the script needs nothing else but bash's builtins.
    env = {"PATH": str(tools), "CHROMIUM": chromium}
    return subprocess.run(
        [BASH, str(ROOT / ".ci" / "chromium")], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )


def test_as_root_with_apt_it_updates_then_installs_chromium(tmp_path):
    """Chromium missing, root, apt-get there: apt-get update, then install -y chromium."""
    tools = fake_tools(tmp_path / "bin", uid=0)
    done = run(tmp_path, tools, str(tmp_path / "no-chromium"))
    assert done.returncode == 0
    calls = (tools / "calls").read_text().splitlines()
    assert calls == ["apt-get update -qq", "apt-get install -y -qq chromium"]


def test_without_root_it_says_what_to_install_and_lets_the_tests_run(tmp_path):
    """Not root: no apt-get call, a message naming the package and the command; status 0 so pytest runs."""
    tools = fake_tools(tmp_path / "bin", uid=1000)
    done = run(tmp_path, tools, str(tmp_path / "no-chromium"))
    assert done.returncode == 0 and not (tools / "calls").exists()
    assert "sudo apt-get install chromium" in done.stderr and "browser tests will fail" in done.stderr


def test_without_apt_it_says_to_use_the_package_manager(tmp_path):
    """No apt-get on the machine: the message says to install Chromium at the path the tests use."""
    tools = fake_tools(tmp_path / "bin", uid=0, apt=False)
    done = run(tmp_path, tools, str(tmp_path / "no-chromium"))
    assert done.returncode == 0 and "no apt-get" in done.stderr and "no-chromium" in done.stderr


def test_an_installed_chromium_is_left_alone(tmp_path):
    """With Chromium at the path, nothing is called and nothing is printed."""
    tools = fake_tools(tmp_path / "bin", uid=0)
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    done = run(tmp_path, tools, str(browser))
    assert done.returncode == 0 and done.stdout == done.stderr == "" and not (tools / "calls").exists()


def test_make_test_runs_the_chromium_step_before_pytest():
    """The Makefile's test target calls .ci/chromium with its CHROMIUM path, then pytest."""
    recipe = subprocess.run(
        ["make", "-n", "test", "CHROMIUM=/nowhere/chromium"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    steps = [line for line in recipe if "chromium" in line or "pytest" in line]
    assert steps[0] == 'CHROMIUM="/nowhere/chromium" .ci/chromium' and steps[-1].endswith("-m pytest")
