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


def _tiny_model() -> keras.Model:
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)  # no weights: not counted
    x = keras.layers.Conv2D(2, 3, padding="same")(x)  # 4*4*2 outputs x 9 MACs = 288 MACs = 576 FLOPs
    x = keras.layers.MaxPooling2D()(x)  # not counted: 2*2*2 = 8 values out
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(3)(x)  # 8 x 3 = 24 MACs = 48 FLOPs
    outputs = keras.layers.Dense(1)(x)  # 3 MACs = 6 FLOPs
    return keras.Model(inputs, outputs)


def test_training_flops_per_image_tiny_model_by_hand():
    # forward 576 + 48 + 6 = 630; backward: weight gradients 630, input gradients 48 + 6 (not the
    # first layer's: its input is the data).
    assert training_flops_per_image(_tiny_model()) == 630 + 630 + 54 == 1314


def test_training_flops_per_image_first_layer_has_no_input_gradient():
    inputs = keras.Input((5,))
    outputs = keras.layers.Dense(1)(inputs)  # 5 MACs: forward 10, weight gradient 10
    assert training_flops_per_image(keras.Model(inputs, outputs)) == 20


def test_training_flops_per_image_valid_padding_counts_the_smaller_output():
    inputs = keras.Input((5, 5, 2))
    outputs = keras.layers.Conv2D(4, 3)(inputs)  # 3*3*4 outputs x 3*3*2 MACs = 648 MACs
    assert training_flops_per_image(keras.Model(inputs, outputs)) == 2 * 2 * 648


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
