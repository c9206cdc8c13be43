"""Who may read the source documents' text: one rule, for ``/api/sources/{slug}/text/`` and for every error message
that would quote a document.

The documents are others' writing: the API serves their text to signed-in staff only. A non-staff curator got a 403 on
the text, then read it 80 characters at a time in the 400s a citation's position answered, and more in "did you mean"
suggestions. A message that quotes a document puts the passage in its ``params`` under ``DOCUMENT_TEXT``; the API
empties it for users this rule refuses (``apps.core.api.exceptions``). The desk is staff-only, so it always shows it.
"""

DOCUMENT_TEXT = "document_text"


def may_read_documents(user) -> bool:
    """Whether ``user`` may read the source documents' text: signed-in staff."""
    return bool(user and user.is_staff)
