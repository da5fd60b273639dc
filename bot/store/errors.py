"""Why a database cannot be used: errors every store raises the same way, so the command line words them once."""

from __future__ import annotations


class StoreError(Exception):
    """A database the bot cannot use, with a message a person can act on (it names the database)."""


class SchemaTooNewError(StoreError, RuntimeError):
    """The database was written by a newer version of recsys-quiz."""


class ForeignDatabaseError(StoreError):
    """The database holds tables of something else and no recsys-quiz schema: it is left as it is."""


class DatabaseUnavailableError(StoreError):
    """The database server cannot be reached or refuses us: a bad address, a refused connection, a wrong password, no such database."""
