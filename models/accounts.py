"""Web accounts: a password per person, one-time login links, server-side sessions, login attempts."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class Account(SQLModel, table=True):
    """A person's password (argon2 hash); absent until the first login through a one-time link."""

    person_id: int = Field(primary_key=True, foreign_key="person.id")
    password_hash: str = Field(max_length=255)
    password_set_at: datetime | None = aware_datetime()
    disabled: bool = Field(default=False)


class LoginLink(SQLModel, table=True):
    """A one-time link sent by email: only its SHA-256 is stored, so a database leak opens nothing."""

    __tablename__ = "login_link"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime | None = aware_datetime()
    expires_at: datetime | None = aware_datetime()
    used_at: datetime | None = aware_datetime()


class WebSession(SQLModel, table=True):
    """A signed-in browser. Server-side, so logging out really ends it; the cookie holds a random token."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime | None = aware_datetime()
    expires_at: datetime | None = aware_datetime()
    ended_at: datetime | None = aware_datetime()


class LoginAttempt(SQLModel, table=True):
    """Every password attempt, for rate limiting by login name and by address."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = aware_datetime(index=True)
    login: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    ok: bool = Field(default=False)


class LoginCode(SQLModel, table=True):
    """A one-time 6-digit code sent by SMS to staff without an email: only its SHA-256 (salted with the
    row's person and time) is stored; five wrong tries spend it."""

    __tablename__ = "login_code"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime | None = aware_datetime(index=True)
    expires_at: datetime | None = aware_datetime()
    used_at: datetime | None = aware_datetime()
    failures: int = Field(default=0)
