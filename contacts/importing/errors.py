"""Errors that stop a whole file (as opposed to one bad row)."""


class FileRejected(Exception):
    """The file as a whole can't be imported; the message is for the user."""

    @property
    def message(self):
        return str(self.args[0]) if self.args else ""


class BadRowsFound(Exception):
    """Raised inside the import transaction to roll back when bad rows were
    found and the user did not choose to import only the good rows."""


class ImportNotAllowed(Exception):
    """The job can't be queued as asked (bad rows without consent to skip them, wrong state)."""
