"""The exceptions the knowledge core raises.

Every one carries a message fit to show a user as is, on one line::

    KnowledgeError
    ├── InputError              the input itself is unusable
    │   ├── EmptyDocument       no text, or only whitespace / boilerplate
    │   ├── UnsupportedContent  binary data, a file type or content type we do not read
    │   ├── TooLarge            over a configured size limit
    │   └── InvalidQuery        a question we cannot search for (empty, only punctuation)
    ├── FetchError              a URL could not be fetched
    │   ├── BlockedAddress      private, loopback, link-local ... and not allowed by settings
    │   ├── Unreachable         DNS failure, refused connection, timeout
    │   └── HTTPStatusError     the server answered with an error status (404, 500 ...)
    ├── NotFound                no article with that id in the caller's collections
    ├── StoreError              the database refused or is unreachable / unmigrated
    └── SemanticUnavailable     semantic search was required (ARCHIVIST_SEMANTIC=on) but cannot run
"""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base of every error the core raises; ``str(err)`` is a user-facing line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(KnowledgeError):
    """The submitted text, file or question cannot be used."""


class EmptyDocument(InputError):
    """There is no text to store."""


class UnsupportedContent(InputError):
    """Binary data, or a type we do not read."""


class TooLarge(InputError):
    """Over a configured size limit."""


class InvalidQuery(InputError):
    """A question with nothing to search for."""


class FetchError(KnowledgeError):
    """A URL could not be fetched."""


class BlockedAddress(FetchError):
    """The URL resolves to an address we refuse to contact."""


class Unreachable(FetchError):
    """DNS, connection or timeout failure."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotFound(KnowledgeError):
    """No such article in the caller's collections."""


class StoreError(KnowledgeError):
    """The database failed."""


class SemanticUnavailable(KnowledgeError):
    """Semantic search was required but cannot run on this machine."""
