"""The school network checked against the roster (QD-T10, GZ-5.1, QD-T2): per class, dorms and staffing.

check.py computes a school's network against its pack's `network:` rules; settings.py keeps the school's
boarding/dorm setting. Names of student role holders stay inside the school (SchoolNetwork.holders);
district views use only the counts (SchoolNetwork.summary_json).
"""

from xinyu.network.check import ClassCheck, SchoolNetwork, district_network, school_network
from xinyu.network.settings import DormSettingError, set_dorms

__all__ = ["ClassCheck", "DormSettingError", "SchoolNetwork", "district_network", "school_network",
           "set_dorms"]
