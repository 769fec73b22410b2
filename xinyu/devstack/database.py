"""The stack's own Prefect database on PostgreSQL: created when missing, dropped on request."""

from sqlalchemy import create_engine, text

from xinyu.devstack.config import StackConfig


def ensure_database(config: StackConfig) -> bool:
    """Create the Prefect database if it is missing; True when it was created."""
    admin = create_engine(config.pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": config.prefect_database}).first():
                return False
            conn.execute(text(f'CREATE DATABASE "{config.prefect_database}"'))
            return True
    finally:
        admin.dispose()


def drop_database(config: StackConfig) -> None:
    admin = create_engine(config.pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{config.prefect_database}" WITH (FORCE)'))
    finally:
        admin.dispose()
