"""`cergas plugin new NAME`: the package it writes, what it refuses, and that the package's own
tests pass as written."""

import configparser
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.scaffold import ScaffoldError, api_range, write_plugin
from cergas.plugin import API_VERSION

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cergas-nomor-surat"


def load_module(folder: Path, module: str):
    spec = importlib.util.spec_from_file_location(module, folder / f"{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def read_cfg(path: Path) -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(path, encoding="utf-8")
    return config


def test_new_writes_a_package_with_entry_point_api_range_module_test_and_readme(tmp_path):
    folder = write_plugin("surat-masuk", tmp_path)

    assert folder == tmp_path / "cergas-surat-masuk"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "README.md",
        "cergas_surat_masuk.py",
        "pyproject.toml",
        "setup.cfg",
        "tests/test_surat_masuk.py",
    ]
    config = read_cfg(folder / "setup.cfg")
    assert config["metadata"]["name"] == "cergas-surat-masuk"
    assert config["options"]["py_modules"] == "cergas_surat_masuk"
    assert config["options.entry_points"]["cergas"].split() == [
        "surat-masuk",
        "=",
        "cergas_surat_masuk",
    ]
    major = int(API_VERSION.split(".")[0])
    assert api_range() == f">={major}.0,<{major + 1}"
    assert config["options"]["install_requires"].split() == [f"cergas>={major}.0,<{major + 1}"]
    module = (folder / "cergas_surat_masuk.py").read_text(encoding="utf-8")
    assert "from cergas.plugin import Badge, PluginInfo, hookimpl" in module
    assert f'api_range=">={major}.0,<{major + 1}"' in module
    assert 'NAME = "surat-masuk"' in module
    test = (folder / "tests" / "test_surat_masuk.py").read_text(encoding="utf-8")
    assert "import cergas_surat_masuk" in test and "cergas_make" in test
    assert "pip install -e cergas-surat-masuk" in (folder / "README.md").read_text("utf-8")


def test_the_generated_packaging_has_the_shape_of_the_example(tmp_path):
    """The tutorial grows the scaffold into examples/cergas-nomor-surat: same files, same keys."""
    folder = write_plugin("nomor-surat", tmp_path)
    generated, example = read_cfg(folder / "setup.cfg"), read_cfg(EXAMPLE / "setup.cfg")

    assert {s: set(generated[s]) for s in generated.sections()} == {
        s: set(example[s]) for s in example.sections()
    }
    assert generated["options.entry_points"]["cergas"] == example["options.entry_points"]["cergas"]
    assert generated["options"]["py_modules"] == example["options"]["py_modules"]
    assert (folder / "pyproject.toml").read_text() == (EXAMPLE / "pyproject.toml").read_text()
    assert (folder / "tests" / "test_nomor_surat.py").exists()
    assert (EXAMPLE / "tests" / "test_nomor_surat.py").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "lower-case letters"),
        ("Surat", "lower-case letters"),
        ("surat_masuk", "lower-case letters"),
        ("surat--masuk", "lower-case letters"),
        ("-surat", "lower-case letters"),
        ("2surat", "lower-case letters"),
        ("surat-", "lower-case letters"),
        ("surat masuk", "lower-case letters"),
        ("../surat", "lower-case letters"),
        ("s" * 41, "at most 40"),
        ("cergas-surat", "cergas- prefix"),
        ("sla", "built-in plugin"),
    ],
)
def test_a_bad_name_is_refused_with_the_reason(tmp_path, name, reason):
    with pytest.raises(ScaffoldError, match=reason):
        write_plugin(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path):
    folder = tmp_path / "cergas-surat-masuk"
    folder.mkdir()
    (folder / "catatan.txt").write_text("punya saya")

    with pytest.raises(ScaffoldError, match="exists already"):
        write_plugin("surat-masuk", tmp_path)
    assert [p.name for p in folder.iterdir()] == ["catatan.txt"]


def test_cli_writes_the_package_and_refuses_clearly(cergas_app, tmp_path):
    runner = cergas_app.test_cli_runner()
    args = ["plugin", "new", "surat-masuk", "--directory", str(tmp_path)]

    written = runner.invoke(args=[*args, "--description", "Cergas plugin: surat masuk"])
    again = runner.invoke(args=args)
    bad = runner.invoke(args=["plugin", "new", "Surat Masuk", "--directory", str(tmp_path)])

    assert written.exit_code == 0, written.output
    assert "cergas-surat-masuk" in written.output
    config = read_cfg(tmp_path / "cergas-surat-masuk" / "setup.cfg")
    assert config["metadata"]["description"] == "Cergas plugin: surat masuk"
    assert again.exit_code == 1 and "cergas-surat-masuk" in again.output
    assert bad.exit_code == 1 and "nomor-surat" in bad.output  # the message gives an example


class TestGeneratedPluginInTheKit:
    """The generated module, loaded by the test kit in this process (fast)."""

    @pytest.fixture
    def generated(self, tmp_path):
        folder = write_plugin("tanpa-pemilik", tmp_path)
        return load_module(folder, "cergas_tanpa_pemilik")

    @pytest.fixture
    def cergas_plugins(self, generated):
        return {generated.NAME: generated}

    def test_its_hook_loads_and_marks_unassigned_cards(
        self, cergas_app, cergas_make, cergas_client, cergas_login
    ):
        assert cergas_app.extensions["cergas_plugins"].records["tanpa-pemilik"].status == "loaded"
        unit = cergas_make.unit("SETDA")
        clerk = cergas_make.user("Agus Pratama", unit=unit)
        board = cergas_make.board(unit, ["Draf", "Diproses", "Selesai"])
        cergas_make.card(board, "Surat undangan")
        cergas_make.card(board, "Laporan", assignee=clerk)
        cergas_login(cergas_client, clerk)

        page = cergas_client.get(f"/boards/{board.id}").get_data(as_text=True)

        assert page.count("Belum ada penanggung jawab") == 1


@pytest.mark.slow
def test_the_generated_tests_pass_as_written(tmp_path):
    """What a plugin author gets: run the package's own tests with pytest, in a new process,
    the test kit coming from Cergas' pytest11 entry point (or named when not installed)."""
    folder = write_plugin("surat-masuk", tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
    options = ["-q", "-p", "no:cacheprovider"]
    from importlib.metadata import entry_points

    if not any(ep.value == "cergas.testing" for ep in entry_points(group="pytest11")):
        options += ["-p", "cergas.testing"]

    result = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "tests"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
