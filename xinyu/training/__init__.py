"""QD-T9 training hours per person and year against the minimum of their role (xinyu/training)."""

from xinyu.training.progress import PersonProgress, SchoolProgress, school_progress, training_category
from xinyu.training.records import TrainingError, add_training

__all__ = ["PersonProgress", "SchoolProgress", "TrainingError", "add_training", "school_progress",
           "training_category"]
