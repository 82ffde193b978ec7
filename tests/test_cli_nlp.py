"""``gridbot nlp evaluate`` and the corrections ``gridbot nlp train --corrections`` learns from."""

from __future__ import annotations

import json

from bot.cli import main
from conftest import ROOT
from tests.test_cli import cfg_file  # noqa: F401 - fixture


def test_nlp_evaluate_prints_per_label_confusion_false_tickets_urgent_and_worst(tmp_path, capsys):
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "充电桩坏了", "label": "charging", "urgent": False},
        {"text": "楼道里一股煤气味 快来人", "label": "safety", "urgent": True},
        {"text": "谢谢", "label": "none", "urgent": False},
        {"text": "今晚吃火锅", "label": "none", "urgent": False},
        {"text": "请问居住证怎么办理", "label": "request", "urgent": False},
    ]), encoding="utf-8")
    assert main(["--config", str(ROOT / "config.example.toml"), "nlp", "evaluate", str(data)]) == 0
    out = capsys.readouterr().out
    for part in ("charging", "confusion", "false tickets on none", "urgent recall", "urgent precision",
                 "requests recognised", "worst"):
        assert part in out, part
    assert main(["--config", str(ROOT / "config.example.toml"), "nlp", "evaluate", str(data), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["confusion"]["request"] and "worst" in doc


def test_nlp_evaluate_refuses_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "nonsense"}\n', encoding="utf-8")
    assert main(["--config", str(ROOT / "config.example.toml"), "nlp", "evaluate", str(bad)]) == 2
    assert "nonsense" in capsys.readouterr().err
    assert main(["--config", str(ROOT / "config.example.toml"), "nlp", "evaluate", str(tmp_path / "no")]) == 2


def test_corrections_come_from_workers_and_residents(cfg_file, db_url):  # noqa: F811
    from bot.cli_nlp import _corrections
    from bot.config import load_config
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from storage.models import Correction

    engine = make_engine(db_url)
    upgrade(engine)
    with session_factory(engine)() as s:
        s.add(Correction(ticket_id=None, text="楼下那个东西又不行了", old_category="property", new_category="none",
                         actor="r1"))
        s.commit()
    assert _corrections(load_config(cfg_file)) == [("楼下那个东西又不行了", "none")]
    engine.dispose()


def test_the_cli_starts_without_importing_the_database_models():
    """`gridbot classify` must start fast (issue 9: ≤ 1.5 s): building the parser imports no models, no ORM
    and no web framework (each costs tenths of a second); commands import what they use."""
    import subprocess
    import sys

    code = ("import sys; from bot.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('storage.models', 'sqlmodel', 'aiohttp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    """`gridbot nlp evaluate FILE | head`: no BrokenPipeError traceback when the reader stops early."""
    import subprocess
    import sys

    cmd = (f"{sys.executable} -m bot.cli --config config.example.toml nlp evaluate tests/data/heldout3.jsonl"
           " | head -1")
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.startswith("messages:")
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr, out.stderr
