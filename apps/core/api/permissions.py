"""Who may do what: anyone reads; writing needs the model's add/change/delete permission (the curators group); only
staff read the source documents' text.
"""

from rest_framework.permissions import BasePermission, DjangoModelPermissionsOrAnonReadOnly

from apps.core.access import may_read_documents


class MayReadDocuments(BasePermission):
    """``apps.core.access.may_read_documents`` as a DRF permission."""

    message = "Only signed-in staff may read a document's text."

    def has_permission(self, request, view):
        return may_read_documents(request.user)


class ModelPermissionsOrAnonReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """DRF's model permissions, letting a method the endpoint does not have through to its 405.

    Without this, ``PUT /api/treaties/inf/timeline/`` would be a 401 for anonymous callers: a client would look for
    credentials rather than learn that the endpoint is read-only.
    """

    def has_permission(self, request, view):
        if not hasattr(view, request.method.lower()):
            return True
        return super().has_permission(request, view)
