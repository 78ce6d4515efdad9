"""The label convention, in one place.

As in the paper: a real photo is 1, a generated (fake) one is 0, and every model
score is P(real). An image is *called real* when its score is strictly above the
threshold.
"""

from __future__ import annotations

REAL: int = 1
FAKE: int = 0
CLASS_NAMES: dict[int, str] = {REAL: "real", FAKE: "fake"}
DEFAULT_THRESHOLD: float = 0.75

#: What the paper ("AI Betrays AI", Mao et al.) reports, for showing beside our numbers.
#: The paper states 99.07% but also "319 of 323", which is 98.76%; both are kept.
PAPER = {
    "dataset": "Fake-Vs-Real-Faces (Hard), 589 real + 700 StyleGAN2 fakes, 300x300",
    "n_real": 589,
    "n_fake": 700,
    "model": "Conv2D 3x3 -> MaxPool -> Flatten -> Dense -> Dense (sigmoid), 300 px",
    "n_train": 966,
    "n_val": 323,
    "epochs": 10,
    "threshold": DEFAULT_THRESHOLD,
    "val_accuracy_reported": 0.9907,
    "val_correct_reported": 319,
    "val_accuracy_from_counts": 319 / 323,
    "bias_per_group": 100,
    "bias_groups": ["White", "Black", "Asian", "Indian", "Others"],
    "bias_flagged_fake_rate_below": 0.15,
}


def called_real(score: float, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Whether a score P(real) is called real at ``threshold`` (strictly above)."""
    return score > threshold
