"""街道工作台: the staff console (DESIGN §5), logged in through WeChat and scoped by the one authority rule.

A chief sees the alleys they are chief of, staff the alleys of their street office, anybody else nothing (403).
The session is a signed cookie holding the user id; the account is read again on every request, so a role
revoked in chat or on the command line ends the session at once. Each desk is a module of routes on one
blueprint.
"""

from webhooks.console import audit, broadcasts, chiefs, login, polls, stewards, ticket_desk, tickets  # noqa: F401  (their routes register on the blueprint)
from webhooks.console.base import bp, stored_secret

__all__ = ["bp", "stored_secret"]
