"""Writing a model to a ``.keras`` file in bounded memory.

Keras's ``model.save("x.keras")`` turns every weight into a NumPy array on the way to disk (two
copies of it, briefly), and builds the HDF5 file of weights in memory whenever the machine looks
roomy enough, then copies it into the archive. For the paper preset at 300 px, whose hidden Dense
matrix is 364 MB, that was the largest step of a whole training run: 650-700 MB on top of it.

:func:`save_keras` writes the same file, through the disk:

1. Keras writes the model unzipped (``model.save(folder, zipped=False)``: its ``config.json``,
   ``metadata.json`` and ``model.weights.h5``, the layout of a ``.keras`` archive). A Dense layer
   whose matrix passes :data:`BLOCK_WRITE_BYTES` writes an empty stand-in for it instead
   (through ``save_own_variables``, the hook Keras gives layers for saving their state).
2. Each stand-in is replaced by the matrix, written :data:`BLOCK_ROWS` rows at a time.
3. The files go into the archive from disk, uncompressed like Keras's own.

The model is written without its optimizer (:func:`without_optimizer`). The result loads with
``keras.models.load_model`` like any ``.keras`` file; its weights file has Keras's own layout
(``tests/model/test_saving.py`` compares them).
"""

from __future__ import annotations

import contextlib
import math
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: A Dense matrix larger than this is written by blocks of rows.
BLOCK_WRITE_BYTES = 64 * 2**20
#: Rows of such a matrix converted and written at once (8 MB for the paper preset's 128 columns).
BLOCK_ROWS = 16_384
WEIGHTS_FILE = "model.weights.h5"


def save_keras(model: Any, path: Path, *, scratch: Path) -> None:
    """Write ``model`` (:func:`without_optimizer`) as a ``.keras`` file at ``path``; ``scratch`` (a new
    folder on the same disk) holds the unzipped model meanwhile and is removed afterwards."""
    model = without_optimizer(model)
    try:
        large = _large_dense_layers(model)
        with _stand_ins(large):
            model.save(scratch, zipped=False)
        if large:
            _write_by_blocks(scratch / WEIGHTS_FILE, large)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            for file in sorted(p for p in scratch.rglob("*") if p.is_file()):
                archive.write(file, file.relative_to(scratch).as_posix())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def without_optimizer(model: Any) -> Any:
    """The same layers as a model with no optimizer (``model`` itself when it has none).

    A run is loaded for scoring only (``compile=False``): Adam's two moments would be dead weight,
    twice the model's size on disk, and converting them to write them would take that much memory
    again at the end of training (1.5 GB for the paper preset at 300 px). Dropping the trained model
    for this one also frees them (:func:`core.model.lean.finish`).
    """
    if getattr(model, "optimizer", None) is None or not getattr(model, "inputs", None):
        return model
    import keras

    return keras.Model(model.inputs, model.outputs, name=model.name)


def _large_dense_layers(model: Any) -> list[Any]:
    """The model's plain Dense layers (no quantization, no LoRA) whose matrix passes the limit."""
    import keras
    import numpy as np

    found = []
    for layer in _every_layer(model):
        if not isinstance(layer, keras.layers.Dense) or not layer.built:
            continue
        if layer.quantization_mode is not None or getattr(layer, "lora_enabled", False):
            continue  # Keras saves these with more variables, in its own order
        if math.prod(layer.kernel.shape) * np.dtype(layer.kernel.dtype).itemsize > BLOCK_WRITE_BYTES:
            found.append(layer)
    return found


def _every_layer(model: Any) -> Iterator[Any]:
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _every_layer(layer)


@contextlib.contextmanager
def _stand_ins(layers: list[Any]) -> Iterator[None]:
    """While in the block: each layer saves an empty matrix in place of its kernel, its bias as Keras does."""
    import numpy as np

    def saver(layer: Any):
        def save_own_variables(store: Any) -> None:
            store["0"] = np.zeros((0, *layer.kernel.shape[1:]), dtype=layer.kernel.dtype)
            if layer.bias is not None:
                store["1"] = layer.bias

        return save_own_variables

    for layer in layers:
        object.__setattr__(layer, "save_own_variables", saver(layer))
    try:
        yield
    finally:
        for layer in layers:
            with contextlib.suppress(AttributeError):
                object.__delattr__(layer, "save_own_variables")


def _write_by_blocks(weights: Path, layers: list[Any]) -> None:
    """Replace each layer's stand-in in the weights file by its matrix, :data:`BLOCK_ROWS` rows at a time."""
    import h5py
    import keras

    by_name = {layer.name: layer for layer in layers}
    with h5py.File(weights, "r+") as h5:
        groups: dict[str, Any] = {}
        h5.visititems(
            lambda _, item: (
                groups.setdefault(item.attrs.get("name"), item)
                if isinstance(item, h5py.Group) and item.attrs.get("name") in by_name
                else None
            )
        )
        for name, layer in by_name.items():
            group = groups[name]
            if "0" not in group or group["0"].shape[0] != 0:
                raise RuntimeError(f"the weights file has no stand-in for the matrix of layer {name!r}")
            del group["0"]
            kernel = layer.kernel
            matrix = group.create_dataset("0", shape=tuple(kernel.shape), dtype=kernel.dtype)
            for start in range(0, kernel.shape[0], BLOCK_ROWS):
                stop = min(start + BLOCK_ROWS, kernel.shape[0])
                matrix[start:stop] = keras.ops.convert_to_numpy(kernel.value[start:stop])
