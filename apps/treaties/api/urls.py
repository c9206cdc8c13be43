"""Routes of the treaties app: treaties, states and memberships."""

from .views import MembershipViewSet, StateViewSet, TreatyViewSet

# (prefix, viewset, basename) registered on the project's router, in the order the API root lists them.
routes = [
    ("treaties", TreatyViewSet, "treaty"),
    ("states", StateViewSet, "state"),
    ("memberships", MembershipViewSet, "membership"),
]
