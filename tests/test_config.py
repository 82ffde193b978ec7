"""Configuration: the example runs as is; unknown keys and bad values stop the start naming the key."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config
from conftest import ROOT


def test_the_example_config_loads():
    c = load_config(ROOT / "config.example.toml")
    assert c.storage.url == "sqlite:///gridbot.db"
    assert {s.name for s in c.org.streets} >= {"大桥街道", "崔寨街道", "太平街道"}
    assert {x.name for x in c.org.communities} >= {"鹊华理想社区", "凤凰理想社区"}


@pytest.mark.parametrize(
    "text, named",
    [
        ("[server]\nprot = 80\n", "server.prot: unknown key"),
        ("[server]\nport = 'eighty'\n", "server.port"),
        ("[server]\nport = 70000\n", "server.port"),
        ("[wecom]\nencoding_aes_key = 'short'\n", "wecom.encoding_aes_key"),
        ("[wecom]\nencoding_aes_key = '" + "!" * 43 + "'\n", "wecom.encoding_aes_key"),
        ("[wecom.aibot]\nencoding_aes_key = 'short'\n", "wecom.aibot.encoding_aes_key"),
        ("[tickets.deadline_hours]\ncharge = 4\n", "tickets.deadline_hours"),
        ("[tickets.deadline_hours]\nwaste = -1\n", "tickets.deadline_hours.waste"),
        ("[nlp]\nconfidence_threshold = 2\n", "nlp.confidence_threshold"),
        ("[[org.members]]\nuserid='a'\nname='b'\nrole='king'\n", "org.members[0].role"),
        ("[[org.grids]]\nid='g'\nname='n'\ncommunity='nowhere'\n", "unknown community 'nowhere'"),
        ("surprise = 1\n", "surprise: unknown key"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, named):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert named in str(e.value)
    assert str(path) in str(e.value)


def test_broken_toml_and_missing_file_are_clear(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[server\nport = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


def test_cli_refuses_to_start_on_a_bad_config(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[storage]\nurll = 'x'\n", encoding="utf-8")
    assert main(["--config", str(path), "db", "upgrade"]) == 2
    assert "storage.urll: unknown key" in capsys.readouterr().err
