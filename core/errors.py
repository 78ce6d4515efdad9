"""Exceptions raised at the boundary of ``core``, with their messages as constants.

Every error is a sentence that says what was wrong and what to do. Pages catch
:class:`UnmaskError` and show it; the CLI prints it on one line and exits non-zero.
Tests assert against the constants below (format them with ``.format(**fields)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UnmaskError(Exception):
    """Base class: anything a user can cause and fix."""


class DataError(UnmaskError):
    """A data set could not be found, read or used."""


class ModelError(UnmaskError):
    """A model or run could not be built, loaded or saved."""


class RunNotSaved(ModelError):
    """A trained run could not be written (a full disk, say); ``save_again()`` tries once more.

    ``save_again`` holds the trained model and its results in memory, so the app can offer
    to save them again once there is space; it returns the saved run's ``RunInfo``.
    """

    def __init__(self, message: str, *, save_again: Callable[[], Any]) -> None:
        super().__init__(message)
        self.save_again = save_again


class ConfigError(UnmaskError):
    """A setting is out of range."""


class DownloadError(UnmaskError):
    """A download could not be made."""


class UploadError(UnmaskError):
    """An uploaded file was refused."""


# --- paths a user typed (core.paths.user_path) -------------------------------------------
HOME_UNKNOWN = (
    "{path} starts with ~, but the home folder of {user} is not known on this machine; "
    "type the full path instead."
)
PATH_UNUSABLE = "{path} cannot be used as a path ({reason}); check it and try again."

# --- data -------------------------------------------------------------------------
NO_SUCH_FOLDER = "The folder {path} does not exist; check the path and try again."
NOT_A_FOLDER = "{path} is a file, not a folder; point to the folder that holds the images."
UNKNOWN_LAYOUT = (
    "Could not tell how {path} is laid out: expected real/ and fake/ subfolders, "
    "UTKFace-named files (age_gender_race_date.jpg), or a labels.csv with path and label columns."
)
NO_VALID_IMAGES = (
    "No readable image was found in {path} ({n_skipped} files skipped); add JPEG or PNG photos and try again."
)
ONE_CLASS = (
    "Only {present} images were found in {path}; training needs both real and fake images. "
    "A trained run can still be evaluated on it (python -m core evaluate --data, or the Stress test page)."
)
CSV_DISAGREES = (
    "data.csv disagrees with the real/ and fake/ folders for {n} images, first: {examples}; "
    "fix or remove data.csv."
)
LABELS_CSV_COLUMNS = "labels.csv in {path} must have the columns 'path' and 'label'; it has {columns}."
LABELS_CSV_BAD_LABEL = (
    "labels.csv row {row} has label {label!r}; "
    "use 1 or 'real' for real photos and 0 or 'fake' for generated ones."
)
LABELS_CSV_BAD_PATH = (
    "labels.csv row {row} names {value!r}, which is outside the data folder; use paths relative to it."
)
UNKNOWN_ATTRIBUTE = "This data set has no group attribute {attribute!r}; it has {available}."

# --- models and runs --------------------------------------------------------------
UNKNOWN_PRESET = "Unknown model preset {preset!r}; choose one of {choices}."
UNKNOWN_CHOICE = "Unknown {name} {value!r}; choose one of {choices}."
BAD_RUN_ID = "{run_id!r} is not a valid run id; ids are letters, digits, '-' and '_' only."
NO_SUCH_RUN = "There is no saved run {run_id!r}; train one first or pick one from the list."
NO_RUNS = "No run has been trained yet; train one first (python -m core train, or the Train page)."
RUN_INCOMPLETE = "Run {run_id!r} is incomplete (missing {missing}); delete it and train again."
RUN_DAMAGED = "Run {run_id!r} is damaged ({problem}); delete it and train again."
RUN_NOT_SAVED = (
    "Run {run_id!r} could not be saved in {folder} ({reason}); nothing half-written was left there. "
    "Free some space and try again."
)
META_TOO_LONG = "The run's {what} is {n} characters long, over the {limit} allowed; shorten it."
MODEL_UNREADABLE = (
    "The model file of run {run_id!r} could not be read ({reason}); delete the run and train again."
)

# --- training jobs -----------------------------------------------------------------
BAD_JOB_ID = "{job_id!r} is not a valid job id; ids are letters, digits, '-' and '_' only."
JOB_ID_NEEDED = "Say which job to stop: python -m core jobs stop JOB_ID (python -m core jobs lists them)."
NO_SUCH_JOB = "There is no training job {job_id!r}; list them with python -m core jobs."
JOB_NOT_STOPPABLE = "Job {job_id!r} has already ended ({state}); there is nothing to stop."
JOB_NOT_UNSAVED = "Job {job_id!r} has no trained run waiting to be saved; there is nothing to save again."
JOB_LOST = (
    "Job {job_id!r} stopped without saying why: its process is gone (killed, out of memory, or the "
    "machine restarted). Its run was not saved; start it again."
)
JOB_START_FAILED = "The training process could not be started ({reason}); check free memory and try again."
JOB_UNEXPECTED = "Training stopped with an unexpected error ({kind}: {detail}); try again, or report it."
# --- the Stress test (core.stress_test, core.evaluation.probes) --------------------------
UNKNOWN_PROBE = "Unknown probe {probe!r}; choose from {choices}."
BAD_RESULT_KEY = "{key!r} is not a stored result's key; keys are 20 hex digits (a folder's fingerprint)."
NO_SUCH_RESULT = (
    "Run {run_id!r} has no readable stored result {key!r}; evaluate the folder again to store it anew."
)
SCORES_OUT_UNWRITABLE = (
    "Could not write the scores to {path} ({reason}); pick a file in a folder you can write to."
)
NO_TRAINING_FOLDER = (
    "Run {run_id!r} does not record the folder it was trained on, so its validation images cannot be "
    "found; name a folder to evaluate (--data DIR, or a folder on the Stress test page)."
)
NO_STRESS_IMAGES = (
    "No image of {name} could be decoded for the probes ({n_skipped} skipped); check that the files are "
    "still in {path}."
)

# --- where the model looks (core.model.explain) and reports (core.document) ---------
EXPLAIN_UNSUPPORTED = (
    "Run preset {preset!r} has no heat-map method yet; heat maps are available for {choices}."
)
EXPLAIN_NO_CONV = (
    "The model {name!r} has no convolution layer, so Grad-CAM has nothing to look at; train a fast or "
    "paper run."
)
EXPLAIN_NO_IMAGES = "None of the {n} images could be read, so there is nothing to explain: {first}"
REPORT_BAD_SUFFIX = (
    "The report is written as .html or .pdf; got {path!r}, so name the file FILE.html or FILE.pdf."
)

# --- training across machines (tf.distribute) ---------------------------------------
DISTRIBUTE_NO_TF_CONFIG = (
    "--distribute multiworker needs the TF_CONFIG variable: the cluster's workers (host:port) and this "
    'process\'s task, e.g. {"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", '
    '"index": 0}} (see the README, Scaling out).'
)
DISTRIBUTE_BAD_TF_CONFIG = (
    "TF_CONFIG is not a usable cluster description ({reason}); see the README, Scaling out."
)
DISTRIBUTE_TIMEOUT = (
    "Gave up after {seconds} s waiting for {what}: a worker is unreachable or has stopped. Check that every "
    "worker of TF_CONFIG runs the same command, then start them all again."
)
STREAM_OVER_QUOTA = (
    "Training on {n} images at {size} px streams them from a file of {need_mb:,.0f} MB, more than the "
    "{quota_mb:,.0f} MB the decode cache may use; raise UNMASK_DISK_QUOTA_MB or choose a smaller image size."
)
BATCH_TOO_LARGE = (
    "A global batch of {batch} images (batch size x replicas) is more than the {n} training images; "
    "use a smaller --batch-size."
)
DISTRIBUTE_PATCH_PRESET = (
    "--distribute applies to the fast and paper presets; the {preset} preset trains on one device for now, "
    "so leave --distribute out."
)
DISTRIBUTE_BACKGROUND = (
    "--distribute multiworker runs in the foreground, one process per machine, so leave --background out "
    "(see the README, Scaling out)."
)
DISTRIBUTE_NOT_CHIEF = (
    "Worker {index} of {workers} finished its share of the training; the chief (worker 0) saves the run."
)
DISTRIBUTE_PEER_LOST = (
    "A worker of the cluster stopped answering during training ({reason}); the run was not saved. Start "
    "every worker again."
)

# --- the paper's protocol ----------------------------------------------------------
BIAS_DATA_NEEDED = (
    "The bias check of a reproduction on {name} needs faces with group attributes from a matching "
    "source (e.g. a UTKFace folder): give one with --bias-data (the Bias page's folder in the app). "
    "Checking bias on the synthetic demo faces would mix a drawn data set with a real one."
)

# --- settings ---------------------------------------------------------------------
OUT_OF_RANGE = "{name} must be between {low} and {high}; got {value}."
PATCH_SETTING_ONLY = (
    "{name} applies to the patch presets ({presets}) only, not to {preset}; leave it out or pick one of them."
)
ODD_PATCH = "patch_size must be even, so that 2 x 2 pixel blocks tile a patch; got {value}."
NOT_A_SWITCH = "{name} must be true or false; got {value!r}."
MEMORY_TOO_SMALL = (
    "Training the {preset} preset at {size} px with batch {batch} on {n} images needs about {need_gb:.1f} GB "
    "of memory, but this machine has {free_gb:.1f} GB available: {fits}."
)
MEMORY_FITS_BATCH = "a batch of at most {batch} fits at {size} px"
MEMORY_FITS_SIZE = "images of at most {size} px fit at batch {batch}"
MEMORY_FITS_NOTHING = "no image size fits {n} images, so use fewer images or free some memory"

# --- demo data --------------------------------------------------------------------
DEMO_ODD_SIZE = (
    "The demo image_size must be a multiple of 4, because fakes are upsampled 2x twice; got {value}."
)
DEMO_NOT_WRITABLE = (
    "Could not write the demo data under {path} ({reason}); set UNMASK_DATA_DIR to a writable folder."
)

# --- metrics and bias -------------------------------------------------------------
LENGTHS_DIFFER = "Got {n_labels} labels but {n_scores} scores; pass exactly one score per image."
NO_IMAGES = "There are no images to measure; score at least one image first."
BAD_LABELS = "Labels must be 1 (real) or 0 (fake); found {values}. Fix the labels and try again."
SCORES_MISSING = "{n} scores are missing (NaN); score those images again or leave them out."
SCORES_OUT_OF_RANGE = (
    "Scores must be probabilities P(real) between 0 and 1; found values from {low} to {high}. "
    "Pass the model's sigmoid outputs, not logits."
)
GROUPS_LENGTH_DIFFER = "Got {n_groups} group values for {n} images; pass exactly one group value per image."
CURVE_NEEDS_BOTH = "The {curve} curve needs both real and fake images; only {present} images were given."
NO_REAL_IMAGES = (
    "There are no real images, so no share of real faces flagged as fake can be set; add real images."
)
FLAG_RATE_UNREACHABLE = (
    "No threshold from 0 to 1 flags at most {target:.1%} of real faces: {n_zero} real faces score exactly 0, "
    "and they are flagged at every threshold; raise the target."
)
COSTS_ALL_ZERO = "At least one cost must be above 0; with both costs 0 every threshold is equally good."
HISTORY_COLUMNS = (
    "The training history needs an 'epoch' column and a 'loss' or 'accuracy' column; it has {columns}."
)
CHART_COLUMNS = "The {chart} chart needs the columns {needed}; it got {columns}."
NOT_FLAT = "{what} must hold one value per image; got an array of shape {shape}."
SAMPLE_SIZE = "The number of images to take per group must be at least 1; got {n}."


class ImageError(DataError):
    """One image file could not be decoded."""


# --- single images (core.data.images) --------------------------------------------------
IMAGE_EMPTY = "{name} is empty (0 bytes), so it is not an image; copy or download it again."
IMAGE_TRUNCATED = "{name} is cut short (truncated); the file is incomplete, so copy or download it again."
IMAGE_NOT_AN_IMAGE = "{name} is not an image Unmask can read; use JPEG, PNG, WebP, GIF, BMP or TIFF files."
IMAGE_TOO_LARGE = (
    "{name} has {megapixels:.0f} megapixels, over the {limit_mp} megapixel limit that guards against "
    "decompression bombs; shrink it and try again."
)
IMAGE_TOO_SMALL = "{name} is only {width}x{height} pixels; a face image needs at least {minimum}x{minimum}."
IMAGE_UNSUPPORTED_MODE = (
    "{name} uses the colour mode {mode}, which Unmask cannot turn into RGB; save it as an RGB JPEG or PNG."
)
IMAGE_CORRUPT = "{name} could not be decoded ({reason}); the file is damaged, so copy or download it again."
IMAGE_UNREADABLE = "{name} could not be opened ({reason}); check that it exists and can be read."
IMAGE_OUTSIDE_FOLDER = "{path} is outside the data folder {root}, so it is not shown."
IMAGE_UPLOAD_TOO_BIG = (
    "The uploaded image is {size_mb:.1f} MB, over the {limit_mb} MB limit; upload a smaller one."
)

# --- data sets (core.data.datasets, core.data.layouts) --------------------------------------
UNKNOWN_LAYOUT_CHOICE = "Unknown layout {layout!r}; choose one of {choices}."
LAYOUT_MISMATCH = "{path} is not laid out as {layout}: {why}; pick another layout or 'auto'."
CSV_UNREADABLE = "{file} in {path} could not be read ({reason}); save it as a UTF-8 CSV file."
DATA_CSV_COLUMNS = "data.csv in {path} must have the columns 'images_id' and 'label'; it has {columns}."
DATA_CSV_BAD_LABEL = (
    "data.csv row {row} has label {label!r}; use 1 or 'real' for real photos and 0 or 'fake' for generated "
    "ones, or remove data.csv."
)
SPLIT_TOO_SMALL = (
    "Cannot split {n_real} real and {n_fake} fake images into training and validation with "
    "val_fraction={val_fraction}; each part needs images of both classes, so add more images."
)
DECODE_FORM = (
    "Give exactly one of image_size (square images) and native_max_side (native resolution); "
    "got image_size={image_size} and native_max_side={native_max_side}."
)
SPLIT_STRATUM_TOO_SMALL = (
    "Cannot split the images by source and class with {name}={fraction}: {stratum} has only {n} image(s), "
    "and every source's class needs images on both sides; add images to it or leave that source out."
)
LEAKAGE_NO_SOURCE = (
    "Cannot look for duplicates in {name}: its files are not on disk and it was not decoded; load it first."
)

# --- several sources (core.data.sources) -----------------------------------------------
MANIFEST_COLUMNS = (
    "The manifest {file} must have a 'folder' column (and optionally 'source'); it has {columns}."
)
MANIFEST_EMPTY = "The manifest {file} lists no folder; add one folder per row under a 'folder' header."
SOURCE_NAMED_TWICE = (
    "Two sources are called {name!r} ({first} and {second}); name them apart in a manifest's 'source' column."
)
SOURCE_COLUMN_TAKEN = (
    "{path} already has a group column called 'source', which Unmask uses to name each image's folder; "
    "rename that column in its labels.csv."
)
GENERALIZE_FEW_SOURCES = (
    "Leave-one-source-out needs at least 2 sources; got {n}. Pass several folders with --data or a manifest."
)
BACKGROUND_ONE_FOLDER = (
    "Training in the background takes one folder; to train on several sources, run without --background."
)
UNKNOWN_SOURCE = "There is no source {source!r} to leave out; the sources are {available}."
GENERALIZE_ONE_CLASS_LEFT = (
    "Leaving out {source!r} leaves only {present} images to train on; every fold needs both classes among "
    "the other sources, so add a source with {missing} images."
)

# --- reasons a file was skipped (SkippedFile.reason) ------------------------------
SKIP_NOT_IMAGE_TYPE = "not an image file type ({suffix}); Unmask reads {extensions}"
SKIP_LINK_OUTSIDE = "it is a link to somewhere outside the data folder, which is not followed"
SKIP_LINKED_FOLDER = "it is a link to a folder, which is not followed"
SKIP_BROKEN_LINK = "it is a link to a file that does not exist"
SKIP_LISTED_MISSING = "listed in labels.csv but not found"
SKIP_LISTED_TWICE = "listed in labels.csv more than once; the first row is used"
SKIP_UTKFACE_NAME = (
    "its name does not follow UTKFace's age_gender_race_date.jpg pattern ({problem}), "
    "so its groups are not guessed"
)

# --- downloads (core.data.download) ----------------------------------------------------
UNKNOWN_DOWNLOAD = "Unknown data set {which!r}; choose one of {choices}."
DOWNLOAD_FAILED = (
    "Could not download {title} from Kaggle ({reason}); download it by hand from {url}, unzip it, "
    "and point Unmask at the unzipped folder with --data DIR or the sidebar's folder path."
)
#: Reasons a download failed, in words (the ``reason`` of DOWNLOAD_FAILED).
DOWNLOAD_OFFLINE = "Kaggle could not be reached: this computer seems to be offline"
DOWNLOAD_REFUSED = "Kaggle refused the request ({status}): sign in with a Kaggle API token"
DOWNLOAD_NOT_FOUND = "Kaggle has no such data set any more (404)"
DOWNLOAD_UNEXPECTED = (
    "The download of {title} in {path} does not hold {expected}; download it by hand from {url}, unzip it, "
    "and point Unmask at the unzipped folder with --data DIR or the sidebar's folder path."
)

# --- disk (core.disk) ----------------------------------------------------------------------
DISK_QUOTA_BAD = "{variable} must be a whole number of megabytes, 1 or more; got {value!r}."

# --- uploads (core.data.uploads) -------------------------------------------------------
UPLOAD_TOO_BIG = "The upload is {size_mb:.1f} MB, over the {limit_mb} MB limit; upload a smaller archive."
UPLOAD_NOT_ZIP = "The upload is not a .zip archive; zip the folder of images and upload the .zip file."
UPLOAD_CORRUPT = (
    "The archive could not be unpacked ({reason}); re-create it as an ordinary .zip and try again."
)
UPLOAD_UNSAFE_PATH = (
    "The archive contains {entry!r}, which would be written outside its folder; re-create the archive "
    "from the image folder itself."
)
UPLOAD_SYMLINK = "The archive contains the link {entry!r}; links are refused, so zip the files themselves."
UPLOAD_ENCRYPTED = "The archive entry {entry!r} is password-protected; zip the images without a password."
UPLOAD_TOO_MANY_FILES = (
    "The archive holds {n} files, more than the {limit} allowed; upload a smaller data set."
)
UPLOAD_TOO_LARGE_UNPACKED = (
    "The archive unpacks to {size_mb:.0f} MB, over the {limit_mb} MB limit; upload a smaller data set."
)
UPLOAD_TOO_MANY_FOLDERS = (
    "The archive holds {n} folders, more than the {limit} allowed; keep the images in a few folders "
    "(real/ and fake/, say) and zip them again."
)
UPLOAD_ARCHIVE_RATIO = (
    "The archive is {size_kb:.0f} kB but unpacks to {unpacked_mb:.0f} MB, {ratio:.0f} times more, which "
    "looks like a zip bomb; zip ordinary image files instead."
)
UPLOAD_ZIP_BOMB = (
    "The archive entry {entry!r} expands {ratio:.0f} times, which looks like a zip bomb; "
    "zip ordinary image files instead."
)
