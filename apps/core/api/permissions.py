"""Who may do what: anyone reads; writing needs the model's add/change/delete permission (the curators group)."""

from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly


class ModelPermissionsOrAnonReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """DRF's model permissions, letting a method the endpoint does not have through to its 405.

    Without this, ``PUT /api/treaties/inf/timeline/`` would be a 401 for anonymous callers: a client would look for
    credentials rather than learn that the endpoint is read-only.
    """

    def has_permission(self, request, view):
        if not hasattr(view, request.method.lower()):
            return True
        return super().has_permission(request, view)
