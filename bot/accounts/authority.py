"""Who answers for an alley: the one authority rule, used by chat and the CLI alike.

A 街巷长 answers for the alley they are chief of; street-office staff for every alley of their street office
(staff bound to no alley, for every alley); residents and stewards for none. Handling a ticket, deciding a
steward's application, confirming a patrol and sending a notice all ask this one question.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.config import AppConfig
from bot.core.models import User


def _rule(role: str, duty_alley: str | None, duty_office: str | None, alley: str, street_office: str | None) -> bool:
    if role == "chief":
        return duty_alley is not None and duty_alley == alley
    if role == "staff":
        return duty_alley is None or (street_office is not None and duty_office == street_office)
    return False


def answers_for(user: User | None, alley: str, street_office: str | None) -> bool:
    """Whether ``user`` has authority over ``alley`` (which belongs to ``street_office``)."""
    if user is None:
        return False
    duty = user.duty_alley
    return _rule(user.role, duty.name if duty else None, duty.street_office if duty else None, alley, street_office)


def scope(role: str, duty_alley: str | None, config: AppConfig) -> list[str]:
    """Every alley someone with this role and duty alley answers for, by the same rule (the console's scope)."""
    duty = config.alley(duty_alley) if duty_alley else None
    office = duty.street_office if duty else None
    return [a.name for a in config.alleys if _rule(role, duty_alley, office, a.name, a.street_office)]


def answers_for_alley(user: User | None, alley: str, config: AppConfig) -> bool:
    spec = config.alley(alley)
    return answers_for(user, alley, spec.street_office if spec else None)


def answers_for_all(user: User | None, alleys: Iterable[str] | None, config: AppConfig) -> bool:
    """Authority over every one of ``alleys``; ``None`` means every alley, which only unbound staff have."""
    if alleys is None:
        return user is not None and user.role == "staff" and user.duty_alley is None
    names = list(alleys)
    return bool(names) and all(answers_for_alley(user, name, config) for name in names)
