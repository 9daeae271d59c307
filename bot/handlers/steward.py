"""小巷管家: apply to claim an alley, check in after a patrol (巡访做报记刷), points, redemption, leaderboard.

Chiefs and staff approve applications (同意/拒绝 N) and confirm patrols without a location (确认巡查 N).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from bot.accounts import texts as account_texts
from bot.core.clock import beijing_day
from bot.core.dialogue import FlowData
from bot.handlers import answers
from bot.stewards import texts
from bot.stewards.checkin_words import read_checkin
from bot.stewards.patrols import Patrols
from bot.stewards.rewards import RedeemError, Rewards
from bot.stewards.service import StewardError, Stewards
from bot.turn import Reply, Turn

# The joining flow and its states.
JOIN_FLOW = "steward_join"
NAME = "name"  # how to address them
PHONE = "phone"  # a mobile number or 跳过
ALLEY = "alley"  # the alley to claim (numbered candidates when unclear)

# The check-in flow and its states.
CHECKIN_FLOW = "checkin"
CHECKIN_ALLEY = "alley"  # several claimed alleys: which one (numbered)
DURATION = "duration"  # how long (numbered, or words like 40分钟)
CONFIRM = "confirm"  # the one-screen summary: 确认, or a correction in words

SKIP_WORDS = frozenset({"跳过", "不留", "没有", "不用"})
MOBILE = re.compile(r"1[3-9]\d{9}")
DECIDE = re.compile(r"^(同意|批准|拒绝|不同意)\s*(\d+)?$")
CONFIRM_PATROL = re.compile(r"^确认巡查\s*(\d+)$")
REDEEM = re.compile(r"^(兑换|我要兑换|换)\s*(.*)$")


@dataclass
class Application(FlowData):
    alley: str | None = None  # named in the first message, or chosen at the end
    name: str = ""
    phone: str | None = None
    offered: list[str] = field(default_factory=list)  # the alleys offered by number


@dataclass
class CheckinDraft(FlowData):
    alleys: list[str] = field(default_factory=list)  # the steward's claimed alleys
    alley: str | None = None
    minutes: int | None = None
    visits: int = 0
    fixes: int = 0
    note: str = ""  # the steward's words, kept with the patrol
    lat: float | None = None
    lng: float | None = None
    # Today's record of the same alley, which this check-in amends (None: the first today).
    earlier_minutes: int | None = None
    earlier_visits: int = 0
    earlier_fixes: int = 0
    earlier_verified_by: str | None = None


def _key(turn: Turn) -> str:
    return hashlib.sha256(turn.msg.dedupe_key.encode()).hexdigest()[:40]


# --- joining -----------------------------------------------------------------------------------------------
def join_start(turn: Turn) -> Reply:
    """Start an application: name, phone, alley."""
    alley = turn.parse().entities.get("alley") if turn.msg.kind != "event" else None
    turn.start(JOIN_FLOW, NAME, Application(alley=alley if isinstance(alley, str) else None))
    return Reply(texts.JOIN_ASK_NAME)


def is_decision(turn: Turn) -> bool:
    if turn.account.role not in ("chief", "staff") or turn.msg.kind != "text":
        return False
    match = DECIDE.match(turn.text.strip())
    return match is not None and match.group(2) is not None


def is_patrol_confirmation(turn: Turn) -> bool:
    return turn.account.role in ("chief", "staff") and CONFIRM_PATROL.match(turn.text.strip()) is not None


def _first(said: int | None, before: int) -> int:
    return said if said is not None else before


def is_steward_location(turn: Turn) -> bool:
    """A steward's location outside a flow (inside one, the flow takes it), or WeChat's periodic LOCATION event."""
    if turn.account.role != "steward" or turn.msg.lat is None:
        return False
    return (turn.msg.kind == "location" and turn.state is None) or (
        turn.msg.kind == "event" and turn.msg.event == "location")


YEAR_WORDS = frozenset({"金牌管家", "年度排行", "年度排行榜", "全年排行"})


class StewardChat:
    """小巷管家, answered with the stewards, patrols and rewards services."""

    def __init__(self, patrols: Patrols, rewards: Rewards, stewards: Stewards,
                 other_location: Callable[[Turn], Reply]) -> None:
        self._other_location = other_location  # a location that verified no patrol: what anyone's would get
        self._patrols = patrols
        self._rewards = rewards
        self._stewards = stewards

    def join_continue(self, turn: Turn) -> Reply:
        """Take the name, then the phone (or 跳过), then the alley; then submit."""
        assert turn.state is not None
        return self.JOIN_STEPS[turn.state.step](self, turn, turn.text.strip())

    def name_given(self, turn: Turn, words: str) -> Reply:
        """Take how to address them."""
        if not words or len(words) > 20:
            return Reply(texts.JOIN_ASK_NAME)
        turn.goto(PHONE, replace(turn.data(Application), name=words))
        return Reply(texts.JOIN_ASK_PHONE)

    def phone_given(self, turn: Turn, words: str) -> Reply:
        """Take a mobile number or 跳过."""
        phone = MOBILE.search(words.replace(" ", "").replace("-", ""))
        if phone is None and words not in SKIP_WORDS:
            return Reply(texts.JOIN_BAD_PHONE)
        data = replace(turn.data(Application), phone=phone.group(0) if phone else None)
        turn.goto(ALLEY, data)
        if data.alley:
            return self._submit(turn, data.alley)
        return Reply(texts.JOIN_ASK_ALLEY)

    def alley_given(self, turn: Turn, words: str) -> Reply:
        """Take the alley to claim: a number from the offered list, a name (儿化, typos), or ask with candidates."""
        offered = turn.data(Application).offered
        if (chosen := answers.pick(words, offered)) is not None:
            return self._submit(turn, chosen)
        alley = turn.gazetteer.alley_in(words) if words else None
        if alley:
            return self._submit(turn, alley)
        similar = turn.gazetteer.candidates(words, 5) if words else []
        if similar:
            turn.goto(ALLEY, replace(turn.data(Application), offered=similar))
            return Reply(texts.join_choices(account_texts.ALLEY_NOT_FOUND, similar))
        return Reply(texts.JOIN_ASK_ALLEY)

    def _submit(self, turn: Turn, alley: str) -> Reply:
        data = turn.data(Application)
        turn.finish()
        try:
            self._stewards.apply(turn.account.user_id, alley, data.name, data.phone)
        except StewardError as exc:
            if exc.code == "already":
                return Reply(texts.join_already(alley))
            return Reply(texts.join_too_many(turn.config.points.max_alleys_per_steward))
        return Reply(texts.join_submitted(alley))

    def withdraw(self, turn: Turn) -> Reply:
        """Stop being a steward of every claimed alley."""
        alleys = self._stewards.withdraw(turn.account.user_id)
        return Reply(texts.steward_withdrawn(alleys) if alleys else texts.NOT_STEWARD)

    def decide(self, turn: Turn) -> Reply:
        """Approve or decline application N."""
        match = DECIDE.match(turn.text.strip())
        assert match is not None
        approve, claim_id = match.group(1) in ("同意", "批准"), int(match.group(2))
        try:
            self._stewards.decide(turn.account.user_id, claim_id, approve)
        except StewardError as exc:
            return Reply(texts.DECIDE_NOT_ALLOWED if exc.code == "forbidden" else texts.DECIDE_USAGE)
        return Reply(texts.claim_decided(claim_id, approve))

    def confirm_patrol(self, turn: Turn) -> Reply:
        """A chief vouches for a patrol that has no location."""
        match = CONFIRM_PATROL.match(turn.text.strip())
        assert match is not None
        try:
            self._patrols.confirm(turn.account.user_id, int(match.group(1)))
        except (LookupError, PermissionError):
            return Reply(texts.CONFIRM_PATROL_NOT_ALLOWED)
        return Reply(texts.patrol_confirmed(int(match.group(1))))

    # --- check-in ----------------------------------------------------------------------------------------------
    def checkin_start(self, turn: Turn) -> Reply:
        """Read what the sentence already says; ask only for what is missing."""
        alleys = self._stewards.alleys(turn.account.user_id)
        if not alleys:
            return Reply(texts.STEWARD_ONLY)
        words = read_checkin(turn.text) if turn.msg.kind in ("text", "voice") else None
        named = turn.gazetteer.alley_in(turn.text) if turn.text else None
        alley = named if named in alleys else alleys[0] if len(alleys) == 1 else None
        # A second check-in the same day amends the first: what it does not mention stays as it was.
        today = next((p for p in self._patrols.history(turn.account.user_id, 20)
                      if p.alley == alley and p.day == beijing_day()), None)
        draft = CheckinDraft(
            alleys=alleys, alley=alley,
            minutes=(words.minutes if words else None) or (today.minutes if today else None),
            visits=_first(words.visits if words else None, today.visits if today else 0),
            fixes=_first(words.fixes if words else None, today.fixes if today else 0),
            note=turn.text.strip()[:500])
        if today:
            draft = replace(draft, earlier_minutes=today.minutes, earlier_visits=today.visits,
                            earlier_fixes=today.fixes, earlier_verified_by=today.verified_by)
        turn.start(CHECKIN_FLOW, CONFIRM, draft)
        return self._checkin_next(turn)

    def _checkin_next(self, turn: Turn) -> Reply:
        data = turn.data(CheckinDraft)
        if not data.alley:
            turn.goto(CHECKIN_ALLEY)
            return Reply(texts.checkin_ask_alley(data.alleys))
        if not data.minutes:
            turn.goto(DURATION)
            return Reply(texts.CHECKIN_ASK_DURATION)
        turn.goto(CONFIRM)
        return Reply(self._summary(turn, data))

    def _summary(self, turn: Turn, data: CheckinDraft) -> str:
        """The one-screen summary: the location counts as verified if sent now, or if today's record was verified
        by location and this amendment claims no more than it did."""
        alley, minutes, visits, fixes = str(data.alley), int(data.minutes or 0), data.visits, data.fixes
        located = data.lat is not None and data.lng is not None and self._patrols.inside(alley, data.lat, data.lng)
        if data.earlier_verified_by == "location" and minutes <= (data.earlier_minutes or 0) \
                and visits <= data.earlier_visits and fixes <= data.earlier_fixes:
            located = True
        return texts.checkin_summary(alley, minutes, visits, fixes, located, data.earlier_minutes,
                                     turn.config.points.min_patrol_minutes)

    def checkin_continue(self, turn: Turn) -> Reply:
        """Take a location in any step; else the step's own answer; else corrections in words (走访6户)."""
        assert turn.state is not None
        step, data = turn.state.step, turn.data(CheckinDraft)
        words = turn.text.strip().rstrip("。.！!")
        if turn.msg.kind == "location" and turn.msg.lat is not None and turn.msg.lng is not None:
            turn.goto(step, replace(data, lat=turn.msg.lat, lng=turn.msg.lng))
            return self._checkin_next(turn)
        answered = self.CHECKIN_STEPS[step](self, turn, words, data)
        return answered if answered is not None else self._corrected(turn, words, data)

    def checkin_alley_chosen(self, turn: Turn, words: str, data: CheckinDraft) -> Reply | None:
        """Take the alley patrolled, by number or name; ask again otherwise."""
        alleys = data.alleys
        chosen = answers.pick(words, alleys) or (turn.gazetteer.alley_in(words) if words else None)
        if chosen not in alleys:
            return Reply(texts.checkin_ask_alley(alleys))
        turn.goto(CHECKIN_ALLEY, replace(data, alley=chosen))
        return self._checkin_next(turn)

    def duration_chosen(self, turn: Turn, words: str, data: CheckinDraft) -> Reply | None:
        """Take a numbered duration; words like 40分钟 are read as a correction."""
        minutes = texts.DURATION_CHOICES.get(str(answers.number(words)))
        if minutes is None:
            return None
        turn.goto(DURATION, replace(data, minutes=minutes))
        return self._checkin_next(turn)

    def summary_confirmed(self, turn: Turn, words: str, data: CheckinDraft) -> Reply | None:
        """Save on 确认; anything else is read as a correction."""
        return self._save(turn, data) if words in texts.CHECKIN_CONFIRM_WORDS else None

    def _corrected(self, turn: Turn, words: str, data: CheckinDraft) -> Reply:
        assert turn.state is not None
        heard = read_checkin(words)
        if heard.minutes is None and heard.visits is None and heard.fixes is None:
            return Reply(texts.CHECKIN_ASK_DURATION if turn.state.step == DURATION else self._summary(turn, data))
        turn.goto(turn.state.step, replace(
            data, minutes=heard.minutes if heard.minutes is not None else data.minutes,
            visits=heard.visits if heard.visits is not None else data.visits,
            fixes=heard.fixes if heard.fixes is not None else data.fixes, note=f"{data.note}；{words}"[:1000]))
        return self._checkin_next(turn)

    def _save(self, turn: Turn, data: CheckinDraft) -> Reply:
        turn.finish()
        before = [p for p in self._patrols.history(turn.account.user_id, 20)
                  if p.alley == data.alley and p.day == beijing_day()]
        view = self._patrols.checkin(turn.account.user_id, str(data.alley), int(data.minutes or 0), data.visits,
                                    data.fixes, data.note, key=_key(turn), lat=data.lat, lng=data.lng)
        balance = self._patrols.balance(turn.account.user_id)
        return Reply(texts.checkin_saved(view.awarded_now, balance, bool(view.verified_by), bool(before)))

    def location(self, turn: Turn) -> Reply:
        """A steward's location verifies today's patrols there; otherwise the ordinary location answer."""
        verified = self._patrols.verify_by_location(turn.account.user_id, float(turn.msg.lat or 0),
                                                    float(turn.msg.lng or 0), key=_key(turn))
        if turn.msg.kind == "event":  # the periodic LOCATION report: verify quietly
            return Reply.silent()
        if verified:
            return Reply("\n".join(texts.patrol_located(v.alley, v.awarded_now) for v in verified))
        return self._other_location(turn)

    # --- points ------------------------------------------------------------------------------------------------
    def my_points(self, turn: Turn) -> Reply:
        """Balance, this month's hours and points, rank in the street office."""
        s = self._patrols.summary(turn.account.user_id)
        return Reply(texts.points_summary(s.balance, s.month_minutes, s.month_points, s.rank, s.ranked))

    def redeem(self, turn: Turn) -> Reply:
        """Reserve the named reward, or list what points buy."""
        match = REDEEM.match(turn.text.strip())
        wanted = match.group(2).strip() if match else turn.text
        item = turn.config.points.reward(wanted) if wanted else None
        balance = self._patrols.balance(turn.account.user_id)
        if item is None:
            return Reply(texts.catalogue(self._rewards.catalogue(), balance))
        try:
            done = self._rewards.redeem(turn.account.user_id, item.code, key=_key(turn))
        except RedeemError as exc:
            if exc.code == "out_of_stock":
                return Reply(texts.REDEEM_OUT_OF_STOCK)
            if exc.code == "balance":
                return Reply(texts.redeem_short(balance, item.cost))
            return Reply(texts.REDEEM_UNKNOWN)
        return Reply(texts.redeemed(done.reward, done.cost, done.balance, done.id))

    def leaderboard(self, turn: Turn) -> Reply:
        """Top stewards in the user's street office: this month, or this year for 金牌管家 (everyone's when unknown)."""
        period = beijing_day()[:4] if turn.text.strip() in YEAR_WORDS else beijing_day()[:7]
        alley = turn.config.alley(turn.account.duty_alley or turn.account.home_alley or "")
        rows = self._patrols.leaderboard(period, alley.street_office if alley else None)
        return Reply(texts.leaderboard(rows, period))

    def history(self, turn: Turn) -> Reply:
        """The steward's last patrols with their points."""
        rows = [(p.day, p.alley, p.minutes, p.visits, p.fixes, p.verified_by, p.points)
                for p in self._patrols.history(turn.account.user_id)]
        return Reply(texts.patrol_history(rows))

    # Each flow's states and what answers each (DESIGN §4.2).
    JOIN_STEPS: ClassVar[dict[str, Callable[[StewardChat, Turn, str], Reply]]] = {
        NAME: name_given, PHONE: phone_given, ALLEY: alley_given,
    }

    CHECKIN_STEPS: ClassVar[dict[str, Callable[[StewardChat, Turn, str, CheckinDraft], Reply | None]]] = {
        CHECKIN_ALLEY: checkin_alley_chosen, DURATION: duration_chosen, CONFIRM: summary_confirmed,
    }
