"""Steward points: pure rules (rates, the double bonus, caps) and the ledger service.

Nothing here imports Flask, Redis, SQLAlchemy or wechatpy (DESIGN §4.6). The rules arrive with the
steward feature; the package exists now so that the layout and the type check cover it from the start.
"""
