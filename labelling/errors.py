"""The error that stops a labelling job before or while it runs."""


class LabelError(RuntimeError):
    """A job cannot run (bad option, missing column, unreadable file); the message says what to do."""
