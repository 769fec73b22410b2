"""全员导师制 (JL-3b): a kept mentor per student and the coverage per class of the pack's grades."""

from xinyu.mentors.assign import MentorError, assign_mentor
from xinyu.mentors.coverage import ClassMentors, mentor_coverage

__all__ = ["ClassMentors", "MentorError", "assign_mentor", "mentor_coverage"]
