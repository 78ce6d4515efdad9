import pytest

from core.errors import ConfigError
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
    with pytest.raises(ConfigError, match="Unknown model preset 'huge'; choose one of fast, paper"):
        TrainConfig(preset="huge")


def test_from_dict_round_trip_ignores_unknown_keys():
    config = TrainConfig(preset="paper", epochs=3, seed=7)
    assert TrainConfig.from_dict({**config.to_dict(), "status": "finished"}) == config
