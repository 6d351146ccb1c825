import re
from pathlib import Path

import pytest

from healthqa import config

DOCS = Path(__file__).parents[1] / "docs" / "configuration.md"


def test_environment_beats_file_beats_default(tmp_path: Path) -> None:
    settings_file = tmp_path / "healthqa.toml"
    settings_file.write_text('batch_size = 50\ndatabase_url = "from-file.db"\n')
    values = config.load({"HEALTHQA_DATABASE_URL": "from-env.db"}, settings_file)
    assert values["database_url"] == "from-env.db"
    assert values["batch_size"] == 50
    assert values["duplicate_threshold"] == 0.8


def test_bad_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="HEALTHQA_BATCH_SIZE: batch_size must be int"):
        config.load({"HEALTHQA_BATCH_SIZE": "many"}, tmp_path / "none.toml")
    unknown = tmp_path / "healthqa.toml"
    unknown.write_text("batch_sise = 3\n")
    with pytest.raises(config.ConfigError, match=r"unknown setting.*batch_sise"):
        config.load({}, unknown)


def test_switches_read_true_and_false_from_the_file_and_the_environment(tmp_path: Path) -> None:
    settings_file = tmp_path / "healthqa.toml"
    settings_file.write_text("embed_on_import = false\n")
    assert config.load({}, settings_file)["embed_on_import"] is False
    assert config.load({"HEALTHQA_EMBED_ON_IMPORT": "yes"}, settings_file)["embed_on_import"]
    assert config.load({}, tmp_path / "none.toml")["embed_on_import"] is True
    with pytest.raises(config.ConfigError, match="embed_on_import must be true or false"):
        config.load({"HEALTHQA_EMBED_ON_IMPORT": "later"}, settings_file)


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DOCS.read_text(), flags=re.M))
    assert documented == {setting.name for setting in config.SETTINGS}
    for setting in config.SETTINGS:
        assert setting.env in DOCS.read_text()
