"""Evidence files (issue 12 item 9): what a file is (by its content), where its bytes live, which task holds it.

`kinds` checks an upload against its field (type by magic bytes, size, count), `stores` keeps the bytes (a
folder or an S3-compatible bucket, under content addresses), `records` writes and reads the evidence_file rows.
Files are seen by whoever may see the task (xinyu.task_views.find_task); never by the district, never by mail.
"""

from xinyu.evidence_files.kinds import FileRefused, Upload, check_upload, sniff
from xinyu.evidence_files.stores import FileStore, LocalStore, S3Store, default_store

__all__ = ["FileRefused", "FileStore", "LocalStore", "S3Store", "Upload", "check_upload", "default_store", "sniff"]
