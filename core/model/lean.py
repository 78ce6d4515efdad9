"""A training step in bounded memory for models whose hidden Dense layer is huge. Imports TensorFlow.

The paper preset at 300 px has 90.9 million weights, 90.9 million of them in one matrix: the
Dense layer after Flatten (710,432 inputs x 128 units, 364 MB in float32). Keras's own step
holds, at its peak, that matrix, Adam's two moments of it, its whole gradient (another
364 MB), and every activation of the batch at once (about 30 MB an image at 300 px, so about
1 GB for a batch of 32); compiled with XLA it needs about 2 GB more while it compiles (peak
memory of one epoch on 10,000 images: 5,669 MiB by ``python -m bench.throughput --train``
before this step existed; bench/results.json has today's).

:func:`install` gives such a model a step that makes the same update (the same loss, Adam with
Keras's formulas, the same batch) without ever holding the matrix's whole gradient or the
whole batch's convolutions:

1. the augmenting layers, if any, run once on the batch (so both passes below see the same
   random flips);
2. the trunk (rescaling, convolutions, pooling, Flatten) runs in micro-batches of
   :func:`micro_batch` images without recording gradients; only its output, the features
   ``F`` (batch x 710,432 values, 91 MB for 32 images), is kept;
3. the head runs from ``F`` under a tape: the gradient of the loss by the Dense layer's
   pre-activation ``dH`` (batch x 128), by its bias, and by the output layer's weights;
4. the matrix's gradient is ``F^T dH``: it is made :data:`BLOCK_ROWS` rows at a time, and
   each block of rows gets its Adam update at once (and its moments theirs), in place;
5. the gradient by ``F`` is ``dH W^T``; the trunk runs again, one micro-batch at a time, under
   a tape, and passes it back to the convolution's weights, summed over the micro-batches;
6. Adam updates the small weights (convolutions, biases, output layer) as Keras does.

The step runs eagerly (each operation in turn, so no two blocks' temporaries are alive at
once). ``tests/model/test_lean.py`` checks it against Keras's step: the same weights after
three steps. After ``fit``, :func:`finish` and :func:`fresh_matrix` leave a model to score and
save, the optimizer's moments freed. ``python -m bench.throughput --train`` measures the peak
memory it gives.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf
from keras import layers

from core.model.config import LEAN_ABOVE_WEIGHTS, MICRO_ACTIVATION_BYTES
from core.model.saving import without_optimizer

#: Rows of the Dense matrix whose gradient and Adam update are made at once: 16,384 rows x 128
#: units is 8 MiB a block (and a few temporaries of that size), against 364 MB for the whole.
BLOCK_ROWS = 16_384


def applies(model: keras.Model) -> bool:
    """Whether ``model`` is a Flatten -> Dense -> Dense(1) model whose hidden Dense matrix has at least
    :data:`~core.model.config.LEAN_ABOVE_WEIGHTS` weights."""
    try:
        flatten, dense, output = (model.get_layer(n) for n in ("flatten", "dense", "p_real"))
    except ValueError:
        return False
    if not (isinstance(flatten, layers.Flatten) and isinstance(dense, layers.Dense)):
        return False
    if keras.mixed_precision.global_policy().name != "float32" or dense.kernel.dtype != "float32":
        return False  # float16 maths go through Keras's loss-scaling step
    return isinstance(output, layers.Dense) and math.prod(dense.kernel.shape) >= LEAN_ABOVE_WEIGHTS


def micro_batch(model: keras.Model) -> int:
    """Images per trunk micro-batch: their float32 activations, kept and passed back, under
    :data:`MICRO_ACTIVATION_BYTES` (each layer's output up to Flatten, counted twice)."""
    per_image = 0
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        per_image += 2 * 4 * math.prod(shape)
        if layer.name == "flatten":
            break
    return max(1, MICRO_ACTIVATION_BYTES // per_image)


def install(model: keras.Model) -> None:
    """Train a compiled ``model`` for which :func:`applies` with the step above (it runs eagerly)."""
    step = _LeanStep(model)
    # Adam's two moments (each the matrix's size) now, while the memory that initialising the
    # matrix took and gave back is still whole: made later, between smaller tensors, they can
    # miss it and take 350 MB more (seen in one run of two, 2,670 MiB instead of 2,310).
    model.optimizer.build(model.trainable_variables)
    model.train_step = step  # Keras's fit calls ``self.train_step``; the instance's comes first
    model.test_step = step.test_step
    model.run_eagerly = True


def finish(model: keras.Model) -> keras.Model:
    """After training with :func:`install`: the model to score and save, without the optimizer.

    It is a new functional model over the same layers, with Keras's own steps. Adam's two moments
    are twice the matrix (728 MB for the paper preset at 300 px) and a run is only scored and saved:
    they go with the trained model once its caller drops it, and the callbacks of ``fit``, which
    hold it too. Setting ``model.optimizer = None`` would not free them: Keras keeps the optimizer
    in the model's compile config and TensorFlow in its checkpoint dependencies. Then call
    :func:`fresh_matrix`. A model not trained by :func:`install` is returned as it is.

    >>> model = lean.finish(model)  # doctest: +SKIP
    >>> gc.collect(); lean.fresh_matrix(model)  # doctest: +SKIP
    """
    if not isinstance(model.__dict__.get("train_step"), _LeanStep):
        return model
    del model.train_step, model.test_step  # the step holds the model (and so its optimizer)
    return without_optimizer(model)


def fresh_matrix(model: keras.Model) -> None:
    """Give the Dense matrix of a model :func:`applies` to a fresh variable with the same values.

    Once a variable has been read or written a block of rows at a time, TensorFlow copies it whole
    on every ordinary read (its "copy on read" mode, which nothing turns off): scoring would copy
    364 MB per batch. Called once the optimizer's moments are gone (:func:`finish`), the copy made
    here reuses their memory instead of adding to the process's.
    """
    if not applies(model):
        return
    kernel = model.get_layer("dense").kernel
    kernel._initialize(_tf(kernel).read_value())  # Keras's own way to give a variable its TensorFlow one


def _tf(variable: Any) -> tf.Variable:
    return variable.value if isinstance(variable, keras.Variable) else variable


class _LeanStep:
    """``model.train_step`` for :func:`install`: see the module's steps 1-6."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        names = [layer.name for layer in model.layers]
        first = next(layer for layer in model.layers[1:] if not layer.name.startswith("augment_"))
        self.augment = (
            keras.Model(model.input, first.input, name="lean_augment")
            if first is not model.layers[1]
            else None
        )
        self.trunk = keras.Model(first.input, model.get_layer("flatten").output, name="lean_trunk")
        self.dense, self.output = model.get_layer("dense"), model.get_layer("p_real")
        self.micro = micro_batch(model)
        assert names.index("flatten") < names.index("dense") < names.index("p_real")

    def __call__(self, data: Any) -> dict[str, Any]:
        from keras.src.trainers.data_adapters import data_adapter_utils

        model, optimizer = self.model, self.model.optimizer
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        if self.augment is not None:
            x = self.augment(x, training=True)
        n = int(tf.shape(x)[0])
        features_t, pre = self._forward(x, n, training=True)
        head = [self.dense.bias, *self.output.trainable_variables]
        with tf.GradientTape() as tape:
            tape.watch(pre)
            hidden = self.dense.activation(pre + self.dense.bias)
            y_pred = self.output(hidden, training=True)
            loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        model._loss_tracker.update_state(loss, sample_weight=n)
        d_pre, *d_head = tape.gradient(loss, [pre, *head])
        del pre
        d_features_t = self._update_kernel(features_t, d_pre)
        del features_t
        d_trunk = self._trunk_gradients(x, d_features_t, n)
        del d_features_t
        optimizer.apply(d_head + d_trunk, head + self.trunk.trainable_variables)
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """Keras's ``test_step`` (the validation passes of ``fit``), reading the matrix by blocks too."""
        from keras.src.trainers.data_adapters import data_adapter_utils

        model = self.model
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        n = int(tf.shape(x)[0])
        _, pre = self._forward(x, n, training=False)
        y_pred = self.output(self.dense.activation(pre + self.dense.bias), training=False)
        loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        model._loss_tracker.update_state(loss, sample_weight=n)
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _forward(self, x: tf.Tensor, n: int, *, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """The features, kept as (inputs x images) so each block of the matrix's rows meets a
        contiguous block, and the Dense layer's pre-activation, summed over the blocks. The matrix
        is only ever read a block of rows at a time: once it has been read that way, TensorFlow
        copies the whole variable on every ordinary read."""
        features_t = tf.concat(
            [tf.transpose(self.trunk(x[i : i + self.micro], training=training)) for i in self._starts(n)], 1
        )
        kernel = _tf(self.dense.kernel)
        blocks = [
            tf.matmul(features_t[r], kernel.sparse_read(rows), transpose_a=True) for r, rows in self._blocks()
        ]
        return features_t, tf.add_n(blocks)

    def _blocks(self) -> list[tuple[slice, tf.Tensor]]:
        """Each block of :data:`BLOCK_ROWS` rows of the matrix: as a slice, and as row indices."""
        total = self.dense.kernel.shape[0]
        starts = range(0, total, BLOCK_ROWS)
        return [
            (slice(s, min(s + BLOCK_ROWS, total)), tf.range(s, min(s + BLOCK_ROWS, total))) for s in starts
        ]

    def _starts(self, n: int) -> range:
        return range(0, n, self.micro)

    def _trunk_gradients(self, x: tf.Tensor, d_features_t: list[tf.Tensor], n: int) -> list[tf.Tensor]:
        weights = self.trunk.trainable_variables
        total = [tf.zeros_like(_tf(w)) for w in weights]
        for i in self._starts(n):
            with tf.GradientTape() as tape:
                out = self.trunk(x[i : i + self.micro], training=True)
            d_out = tf.transpose(tf.concat([block[:, i : i + self.micro] for block in d_features_t], 0))
            parts = tape.gradient(out, weights, output_gradients=d_out)
            total = [t + p for t, p in zip(total, parts, strict=True)]
        return total

    def _update_kernel(self, features_t: tf.Tensor, d_pre: tf.Tensor) -> list[tf.Tensor]:
        """Adam on the Dense matrix a block of rows at a time (Keras's ``Adam.update_step``), after
        taking from each block, before its update, its part of the gradient by the features
        (returned, block by block, as inputs x images: never joined, as that would be a second copy)."""
        optimizer = self.model.optimizer
        kernel = _tf(self.dense.kernel)
        index = optimizer._get_variable_index(self.dense.kernel)
        m, v = _tf(optimizer._momentums[index]), _tf(optimizer._velocities[index])
        step = tf.cast(optimizer.iterations + 1, tf.float32)
        beta_1, beta_2 = float(optimizer.beta_1), float(optimizer.beta_2)
        lr = tf.cast(optimizer.learning_rate, tf.float32)
        alpha = lr * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))
        d_features_t = []
        for r, rows in self._blocks():
            # Gathered and scattered rows: an assignment to a slice of the variable would copy
            # the whole 364 MB matrix every block.
            kernel_rows = kernel.sparse_read(rows)
            d_features_t.append(tf.matmul(kernel_rows, d_pre, transpose_b=True))
            grad = tf.matmul(features_t[r], d_pre)
            m_rows, v_rows = m.sparse_read(rows), v.sparse_read(rows)
            m_rows += (grad - m_rows) * (1 - beta_1)
            v_rows += (tf.square(grad) - v_rows) * (1 - beta_2)
            kernel_rows -= m_rows * alpha / (tf.sqrt(v_rows) + optimizer.epsilon)
            m.scatter_update(tf.IndexedSlices(m_rows, rows))
            v.scatter_update(tf.IndexedSlices(v_rows, rows))
            kernel.scatter_update(tf.IndexedSlices(kernel_rows, rows))
        return d_features_t
