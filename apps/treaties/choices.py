"""Controlled vocabularies of treaties, states and memberships."""

from django.db import models


class StateKind(models.TextChoices):
    STATE = "state", "State"
    FORMER_STATE = "former_state", "Former state"


class TreatyKind(models.TextChoices):
    BILATERAL = "bilateral", "Bilateral treaty"
    MULTILATERAL = "multilateral", "Multilateral treaty"
    POLITICAL_AGREEMENT = "political_agreement", "Political agreement"


class TreatyDomain(models.TextChoices):
    ARMS_CONTROL = "arms_control", "Arms control"
    CONFIDENCE_BUILDING = "confidence_building", "Confidence building"
    NUCLEAR_NONPROLIFERATION = "nuclear_nonproliferation", "Nuclear non-proliferation"
    MISSILE_DEFENCE = "missile_defence", "Missile defence"
    CLIMATE = "climate", "Climate"
    OTHER = "other", "Other"


class TreatyStatus(models.TextChoices):
    NOT_IN_FORCE = "not_in_force", "Signed, not in force"
    IN_FORCE = "in_force", "In force"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
    EXPIRED = "expired", "Expired"
    UNKNOWN = "unknown", "Unknown"


class MembershipRole(models.TextChoices):
    PARTY = "party", "Party"
    SIGNATORY = "signatory", "Signatory (not a party)"


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    WITHDRAWING = "withdrawing", "Withdrawal notified, not yet effective"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ENDED = "ended", "Ended with the treaty"
