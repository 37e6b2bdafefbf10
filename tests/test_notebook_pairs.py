"""The notebooks are jupytext pairs, in sync, committed clean, with stable cell ids (no kernels).

Each ``notebooks/NN_name.ipynb`` (run by JupyterLab, Voila and papermill) has a twin
``notebooks/NN_name.py`` in jupytext's percent format (read by people and ruff), paired by
``jupytext.toml``. Edit either file, in JupyterLab or an editor, then ``make notebooks`` syncs
the other. These tests fail when a pair is out of sync, when an ``.ipynb`` carries what running
it leaves behind (outputs, execution counts, widget state, papermill metadata), or when cell ids
change, which would make every later diff of the notebook noise.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jupytext
import pytest
from jupytext.cli import jupytext as jupytext_cli

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
CONFIG = ROOT / "jupytext.toml"
STEMS = sorted(
    {p.stem for p in NOTEBOOKS.glob("*.ipynb")} | {p.stem for p in NOTEBOOKS.glob("*.py")}
)

# The cell ids committed when the notebooks became jupytext pairs. A sync keeps the id of every
# cell it can match (edited cells included) and gives new cells new ids, so these ids must stay.
# A whole set of new ids means the .ipynb was regenerated (e.g. `jupytext --to ipynb` instead of
# `--sync`): restore the committed .ipynb, then `make notebooks`. Deleted a cell on purpose?
# Remove its id here.
COMMITTED_IDS = {
    "00_start_here": (
        "3405b0db", "3abd1c77", "7f18a2ad", "68882ef1", "899b0715", "067d71f4", "c5bf8de0",
        "b6a172e3", "2477c761", "9275053b", "72d449b2", "95711ce0", "78f5c266", "2d54eec9",
        "56f5919d",
    ),
    "01_account_sid": (
        "8d710650", "c3a80676", "398c7eae", "4e33697d", "2df8e9aa", "31a29cf8", "94131412",
    ),
    "02_api_key": (
        "f2f65170", "ebd3a53f", "3d4a1ad8", "9c3a5058", "d2ef6075", "ceb161fb", "4dd8b74e",
    ),
    "03_secret_key": (
        "cd1f4444", "265d4dfd", "85b1ee6c", "8e699fc5", "66bf5de3", "9724749e", "d65e43e1",
        "b59686a2", "572833fd", "3d40eaaf", "0d55d788",
    ),
    "04_messaging_service": (
        "b4617798", "9a240660", "e77b07a0", "63ee1d3c", "947085fe", "59d25b8e", "0e7ed428",
        "7f22c9fd",
    ),
    "04a_buy_phone_number": (
        "97c526a2", "d49da832", "4eeaa295", "92d2c656", "52f61d85", "574c5ef0", "8827e6ae",
    ),
    "05_send_test_message": (
        "787d1850", "d7193273", "042ad4a0", "a80c401b", "cb64601e", "a56f5cd0", "5e6d8605",
    ),
    "06_postman_handoff": (
        "77c9053f", "743fab9d", "576358dc", "459834d2", "a294de39", "df5a747e", "928fa746",
    ),
    "07_rotate_key": (
        "6234aa30", "c253dfe1", "14f9aede", "cc87c22e", "1940baf6", "32d46b6e", "6b4d74e5",
    ),
}  # fmt: skip


def cells(nb) -> list[tuple[str, str, list[str]]]:
    """What must agree between the two files of a pair: each cell's type, source and tags."""
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def test_runbook_has_notebooks() -> None:
    assert STEMS, f"no notebooks in {NOTEBOOKS}"
    assert CONFIG.is_file(), "jupytext.toml (which pairs the notebooks) is missing"


@pytest.mark.parametrize("stem", STEMS)
def test_every_notebook_has_its_twin(stem: str) -> None:
    ipynb, py = NOTEBOOKS / f"{stem}.ipynb", NOTEBOOKS / f"{stem}.py"
    assert ipynb.is_file(), f"{py.name} has no {ipynb.name}: run `make notebooks`"
    assert py.is_file(), f"{ipynb.name} has no {py.name}: run `make notebooks`"


@pytest.mark.parametrize("stem", STEMS)
def test_pair_has_the_same_cells(stem: str) -> None:
    ipynb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
    py = jupytext.read(NOTEBOOKS / f"{stem}.py")
    left, right = cells(ipynb), cells(py)
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        assert a == b, (
            f"{stem}: cell {index} differs between the .ipynb and the .py "
            f"(edited one without syncing? run `make notebooks`):\n ipynb: {a}\n py:    {b}"
        )
    assert len(left) == len(right), (
        f"{stem}: {len(left)} cells in the .ipynb, {len(right)} in the .py"
    )
    tagged = [c for c in left if "parameters" in c[2]]
    assert len(tagged) == 1 and tagged[0][0] == "code", f"{stem}: needs one `parameters` code cell"


@pytest.mark.parametrize("stem", STEMS)
def test_ipynb_is_committed_clean(stem: str) -> None:
    raw = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    for key in ("widgets", "papermill"):
        assert key not in raw["metadata"], f"{stem}.ipynb carries metadata.{key}: run-time state"
    assert raw["metadata"]["kernelspec"]["name"] == "python3"
    for index, cell in enumerate(raw["cells"]):
        where = f"{stem}.ipynb cell {index}"
        assert not {"papermill", "execution"} & set(cell["metadata"]), f"{where}: run metadata"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{where} has outputs: clear them, save, commit"
            assert cell["execution_count"] is None, f"{where} has an execution count"


@pytest.mark.parametrize("stem", STEMS)
def test_cell_ids_are_unique_and_stay(stem: str) -> None:
    raw = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    ids = [cell.get("id") for cell in raw["cells"]]
    assert all(ids), f"{stem}.ipynb: a cell has no id"
    assert len(set(ids)) == len(ids), f"{stem}.ipynb: duplicate cell ids"
    lost = [i for i in COMMITTED_IDS.get(stem, ()) if i not in ids]
    assert not lost, f"{stem}.ipynb lost committed cell ids {lost} (see COMMITTED_IDS)"


def _copy_pairs(folder: Path) -> list[str]:
    """The pairs and jupytext.toml under ``folder`` as in the project; the names copied."""
    shutil.copy2(CONFIG, folder / CONFIG.name)
    (folder / "notebooks").mkdir()
    names = [
        f"{s}.{x}" for s in STEMS for x in ("ipynb", "py") if (NOTEBOOKS / f"{s}.{x}").exists()
    ]
    for name in names:
        shutil.copy2(NOTEBOOKS / name, folder / "notebooks" / name)
    return names


@pytest.mark.parametrize("newer", ["py", "ipynb"])
def test_a_sync_changes_nothing(tmp_path: Path, newer: str) -> None:
    """`make notebooks` on the committed pairs is a no-op whichever file of a pair is newer.

    With the .py newer, the .ipynb is rebuilt from it (keeping outputs and ids it can match):
    this is where ids would be lost. With the .ipynb newer, the .py is written from it.
    """
    names = _copy_pairs(tmp_path)
    copies = tmp_path / "notebooks"
    for name in names:
        stamp = 1_700_000_000 + (10 if name.endswith(f".{newer}") else 0)
        os.utime(copies / name, (stamp, stamp))
    assert jupytext_cli(["--sync", "--quiet", *map(str, sorted(copies.glob("*.ipynb")))]) == 0
    for name in names:
        synced = (copies / name).read_text(encoding="utf-8")
        assert synced == (NOTEBOOKS / name).read_text(encoding="utf-8"), (
            f"a sync from the .{newer} rewrites {name}: run `make notebooks` and commit both"
        )
