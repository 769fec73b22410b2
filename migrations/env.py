"""Alembic environment: the URL comes from xinyu.db.alembic_config, the tables from models."""

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata
# `xinyu serve` keeps its schedules in this table (APScheduler creates it); it is not ours to migrate.
NOT_MIGRATED = {"apscheduler_jobs"}


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    return not (type_ == "table" and name in NOT_MIGRATED)


def include_object(obj: object, _name: str | None, _type: str, _reflected: bool, _compare_to: object) -> bool:
    """A model's object made for one database only (`.ddl_if(dialect=…)`) is compared on that database only."""
    only = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
    return only is None or only == context.get_context().dialect.name


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, include_name=include_name, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_name=include_name, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
