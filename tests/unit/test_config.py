import re

import pytest

from core.errors import ODD_PATCH, PATCH_SETTING_ONLY, ConfigError
from core.model.config import PRESET_DEFAULTS, TrainConfig


def test_resolved_fills_preset_defaults():
    config = TrainConfig(preset="paper").resolved()
    assert config.image_size == PRESET_DEFAULTS["paper"]["image_size"] == 300
    assert config.learning_rate == PRESET_DEFAULTS["paper"]["learning_rate"]


def test_resolved_keeps_explicit_settings():
    config = TrainConfig(image_size=32, batch_size=8, learning_rate=0.01).resolved()
    assert (config.image_size, config.batch_size, config.learning_rate) == (32, 8, 0.01)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "epochs must be between 1 and 500; got 0"),
        ("threshold", 1.5, "threshold must be between 0.0 and 1.0; got 1.5"),
        ("val_fraction", 0.0, "val_fraction must be between 0.05 and 0.9"),
        ("image_size", 4, "image_size must be between 16 and 512"),
        ("batch_size", 0, "batch_size must be between 1 and 4096"),
        ("learning_rate", 2.0, "learning_rate must be between"),
    ],
)
def test_trainconfig_out_of_range(field, value, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**{field: value})


def test_trainconfig_unknown_preset():
    with pytest.raises(
        ConfigError, match="Unknown model preset 'huge'; choose one of fast, paper, artifacts"
    ):
        TrainConfig(preset="huge")


def test_resolved_artifacts_fills_its_patch_settings():
    config = TrainConfig(preset="artifacts").resolved()
    defaults = PRESET_DEFAULTS["artifacts"]
    assert config.is_patch_preset
    for name in ("patch_size", "native_max_side", "patches_per_image", "degrade"):
        assert getattr(config, name) == defaults[name]
    assert TrainConfig(preset="artifacts", degrade=False).resolved().degrade is False


def test_resolved_fast_leaves_patch_settings_empty():
    config = TrainConfig().resolved()
    assert not config.is_patch_preset
    assert (config.patch_size, config.native_max_side, config.patches_per_image, config.degrade) == (
        None,
    ) * 4


def test_patch_setting_on_a_whole_image_preset_is_refused():
    expected = PATCH_SETTING_ONLY.format(name="patch_size", preset="fast", presets="artifacts")
    with pytest.raises(ConfigError, match=re.escape(expected)):
        TrainConfig(patch_size=64)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("patch_size", 63, ODD_PATCH.format(value=63)),
        ("patch_size", 8, "patch_size must be between 16 and 256; got 8"),
        ("native_max_side", 32, "native_max_side must be between 64 and 1024; got 32"),
        ("patches_per_image", 0, "patches_per_image must be between 1 and 256; got 0"),
        ("test_fraction", 0.7, "test_fraction must be between 0.05 and 0.5; got 0.7"),
    ],
)
def test_artifacts_settings_out_of_range(field, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        TrainConfig(preset="artifacts", **{field: value})


def test_from_dict_round_trip_ignores_unknown_keys():
    config = TrainConfig(preset="paper", epochs=3, seed=7)
    assert TrainConfig.from_dict({**config.to_dict(), "status": "finished"}) == config
