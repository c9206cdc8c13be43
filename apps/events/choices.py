"""Controlled vocabularies of events and statements: event types, participant roles, statement kinds and stances."""

from django.db import models


class EventType(models.TextChoices):
    """The controlled vocabulary of events."""

    SIGNATURE = "signature", "Signature"
    RATIFICATION = "ratification", "Ratification"
    ACCESSION = "accession", "Accession"
    ENTRY_INTO_FORCE = "entry_into_force", "Entry into force"
    WITHDRAWAL_ANNOUNCEMENT = "withdrawal_announcement", "Withdrawal announcement"
    WITHDRAWAL_NOTICE = "withdrawal_notice", "Withdrawal notice"
    WITHDRAWAL_EFFECTIVE = "withdrawal_effective", "Withdrawal effective"
    DECISION_NOT_TO_REJOIN = "decision_not_to_rejoin", "Decision not to rejoin"
    DECISION_NOT_TO_EXTEND = "decision_not_to_extend", "Decision not to extend"
    EXTENSION = "extension", "Extension"
    EXPIRY = "expiry", "Expiry"
    TERMINATION = "termination", "Termination"
    SUSPENSION = "suspension", "Suspension"
    LEGISLATIVE_STEP = "legislative_step", "Legislative step"
    PROPOSAL = "proposal", "Proposal"
    VIOLATION_ALLEGATION = "violation_allegation", "Violation allegation"
    OVERFLIGHT_RESTRICTION = "overflight_restriction", "Overflight restriction"
    REFUSED_FLIGHT = "refused_flight", "Refused flight"
    OBSERVATION_FLIGHT = "observation_flight", "Observation flight"
    MILITARY_EXERCISE = "military_exercise", "Military exercise"
    MEETING = "meeting", "Meeting"
    OTHER = "other", "Other"


# Acts that only make sense with respect to a treaty.
TREATY_EVENT_TYPES = [
    EventType.SIGNATURE,
    EventType.RATIFICATION,
    EventType.ACCESSION,
    EventType.ENTRY_INTO_FORCE,
    EventType.WITHDRAWAL_ANNOUNCEMENT,
    EventType.WITHDRAWAL_NOTICE,
    EventType.WITHDRAWAL_EFFECTIVE,
    EventType.DECISION_NOT_TO_REJOIN,
    EventType.DECISION_NOT_TO_EXTEND,
    EventType.EXTENSION,
    EventType.EXPIRY,
    EventType.TERMINATION,
    EventType.SUSPENSION,
]


class ParticipantRole(models.TextChoices):
    ACTOR = "actor", "Actor"
    TARGET = "target", "Target"
    PARTICIPANT = "participant", "Participant"


class StatementKind(models.TextChoices):
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    REMARKS = "remarks", "Remarks"
    INTERVIEW = "interview", "Interview"
    JOINT_STATEMENT = "joint_statement", "Joint statement"
    COMMENTARY = "commentary", "Commentary"


class StatementStance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    OPPOSES = "opposes", "Opposes"
    REGRETS = "regrets", "Regrets"
    ACCUSES = "accuses", "Accuses"
    DENIES = "denies", "Denies"
    NEUTRAL = "neutral", "Neutral"
