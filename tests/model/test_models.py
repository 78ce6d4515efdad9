import keras
import numpy as np
import pytest

from core.errors import ConfigError
from core.model.presets import build_model, training_flops_per_image  # noqa: E402


def test_build_model_paper_has_the_papers_five_layers():
    model = build_model("paper", image_size=300)
    kinds = [type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"]
    assert kinds == ["Rescaling", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert model.input_shape == (None, 300, 300, 3)
    assert model.layers[-1].activation.__name__ == "sigmoid"
    # 32 filters and 128 units on 300x300: 149*149*32 inputs to the dense layer
    assert model.layers[-2].kernel.shape == (149 * 149 * 32, 128)


def test_build_model_fast_outputs_probabilities():
    model = build_model("fast", image_size=32)
    out = model.predict(np.full((2, 32, 32, 3), 255, dtype="float32"), verbose=0)
    assert out.shape == (2, 1)
    assert np.all((out >= 0) & (out <= 1))


def test_build_model_augmentation_is_inactive_at_inference():
    model = build_model("fast", image_size=16, augment=True)
    x = np.random.default_rng(0).integers(0, 255, (4, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_build_model_unknown_preset():
    with pytest.raises(ConfigError, match="Unknown model preset 'big'"):
        build_model("big", image_size=32)


def test_training_flops_per_image_counts_conv_and_dense():
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 3, padding="same")(inputs)  # 4*4*2 outputs, 9 MACs each
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1)(x)  # 32 MACs
    model = keras.Model(inputs, outputs)
    assert training_flops_per_image(model) == 3 * 2 * (4 * 4 * 2 * 9 + 32)


@pytest.mark.parametrize("preset", ["fast", "paper"])
@pytest.mark.parametrize("size", [16, 64, 300])
@pytest.mark.parametrize("augment", [False, True])
def test_memory_footprint_counts_the_built_models_weights_and_activations(preset, size, augment):
    """core.model.memory sizes a preset without Keras: it must agree with the model Keras builds.

    Every layer's output counts (the input too, as the float32 batch), except Flatten's: a
    reshaped view of the pooled values, not a new array.
    """
    from core.model.memory import footprint

    model = build_model(preset, image_size=size, augment=augment)
    shapes = [layer.output.shape[1:] for layer in model.layers if type(layer).__name__ != "Flatten"]
    expected = footprint(preset, image_size=size, augment=augment)
    assert expected.weights == model.count_params()
    assert expected.activations == sum(int(np.prod(shape)) for shape in shapes)
