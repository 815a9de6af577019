"""Errors whose message is meant for the user: one clear line, no traceback."""


class BillingPortalError(Exception):
    """Base class: the message is a complete, user-facing sentence."""

    exit_code = 2


class ConfigError(BillingPortalError):
    """A configuration value is missing or malformed; the message names the variable."""


class DatabaseError(BillingPortalError):
    """The warehouse cannot be reached or prepared."""


class ConfluentApiError(BillingPortalError):
    """A Confluent Cloud API call failed for good (after retries, or on a non-retryable status)."""

    def __init__(self, message: str, status: int | None = None, url: str | None = None):
        super().__init__(message)
        self.status = status
        self.url = url


class ConfluentAuthError(ConfluentApiError):
    """401/403: the key is wrong or lacks a role; the message names the role needed."""
