"""The plugin as Cergas loads it on a server: through its `cergas` entry point, once
`pip install -e examples/cergas-nomor-surat` has run."""

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not any(ep.name == "nomor-surat" for ep in entry_points(group="cergas")),
    reason="cergas-nomor-surat is not installed: pip install -e examples/cergas-nomor-surat",
)


@pytest.fixture
def cergas_config():
    # Load the installed entry point instead of handing the module to the test kit.
    return {"CERGAS_PLUGINS": "nomor-surat"}


def test_installed_plugin_refuses_unnumbered_letter(cergas_make, cergas_api):
    unit = cergas_make.unit("SETDA")
    clerk = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Diproses", "Selesai"])
    card = cergas_make.card(board, "Undangan", "Diproses", type="surat-keluar")

    response = cergas_api(clerk).post(
        f"/api/v1/cards/{card.id}/move", json={"column_id": board.column("Selesai")}
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["vetoes"][0]["plugin"] == "nomor-surat"


def test_cergas_plugins_json_lists_it(tmp_path):
    cergas = Path(sys.executable).with_name("cergas")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cergas.db'}",
        "SECRET_KEY": "test",
        "CERGAS_PLUGINS": "nomor-surat",
    }
    env.pop("CERGAS_DISABLED_PLUGINS", None)

    result = subprocess.run(
        [str(cergas), "plugins", "--json"], capture_output=True, text=True, env=env, check=False
    )

    assert result.returncode == 0, result.stderr
    plugins = {plugin["name"]: plugin for plugin in json.loads(result.stdout)}
    entry = plugins["nomor-surat"]
    assert set(entry) >= {"name", "version", "hooks", "status", "errors"}
    assert entry["version"] == "0.1.0"
    assert entry["status"] == "loaded"
    assert entry["errors"] == 0
    assert entry["hooks"] == [
        "cergas_card_badges",
        "cergas_card_before_move",
        "cergas_move_scope",
        "cergas_settings",
    ]
