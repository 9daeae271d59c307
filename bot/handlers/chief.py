"""街巷长日志 by chat: 巡街 logs a patrol (how long, what was found, where), 我的日志 lists them, 我的考核 tells
the chief their score and why. What a patrol found can be opened as tickets by number."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.chiefs import texts
from bot.chiefs.assessment import Assessment, period
from bot.chiefs.log import ChiefLog, LogError
from bot.chiefs.patrol_words import Found, read_patrol
from bot.chiefs.scoring import required_patrol_days
from bot.core.clock import BEIJING
from bot.core.dialogue import FlowData
from bot.handlers import answers
from bot.issues.service import IssueError, Issues
from bot.turn import Reply, Turn

# The patrol flow and its states.
PATROL_FLOW = "chief_patrol"
WORDS = "words"  # how long, what was found (free words)
ALLEY = "alley"  # several alleys: which (numbered)
LOCATION = "location"  # a location for verification, or 跳过
OFFER = "offer"  # logged: numbers open tickets for what was found, 不用 ends

OPENERS = ("巡街", "巡街日志", "街巷长日志", "记巡街")
LOG_WORDS = frozenset({"我的日志", "巡街记录", "我的巡街", "街巷长日志记录"})


@dataclass
class PatrolDraft(FlowData):
    alleys: list[str] = field(default_factory=list)
    alley: str | None = None
    minutes: int | None = None
    found: list[dict[str, object]] = field(default_factory=list)  # Found as dicts (JSON-safe state)
    words: str = ""
    entry: int | None = None  # the logged entry (OFFER)
    photos: list[str] = field(default_factory=list)  # media ids sent during the flow: they go with its tickets


def said_patrol(turn: Turn) -> bool:
    return turn.msg.kind in ("text", "voice") and turn.text.strip().startswith(OPENERS)


def _found(draft: PatrolDraft) -> list[Found]:
    return [Found(str(f["category"]), int(str(f["count"])), bool(f["fixed"])) for f in draft.found]


class ChiefChat:
    """The chief's patrol log in chat, answered with the chief log and the 随手拍 services."""

    def __init__(self, log: ChiefLog, issues: Issues, assessment: Assessment) -> None:
        self._log = log
        self._issues = issues
        self._assessment = assessment

    def patrol_start(self, turn: Turn) -> Reply:
        """Read what 巡街 … already says; ask only for what is missing."""
        if turn.account.role not in ("chief", "staff"):
            return Reply(texts.CHIEF_ONLY)
        alleys = self._log.alleys_of(turn.account.user_id)
        if not alleys:
            return Reply(texts.NO_ALLEY)
        words = turn.text.strip()
        for opener in sorted(OPENERS, key=len, reverse=True):
            if words.startswith(opener):
                words = words[len(opener):].strip(" ：:，,")
                break
        named = turn.gazetteer.alley_in(words) if words else None
        draft = PatrolDraft(alleys=alleys, alley=named if named in alleys else alleys[0] if len(alleys) == 1 else None)
        turn.start(PATROL_FLOW, WORDS, draft)
        if not words:
            return Reply(texts.ASK_WORDS)
        return self.words_given(turn, words)

    def patrol_continue(self, turn: Turn) -> Reply:
        """Take the words, then the alley (if several), then the location; then offer tickets."""
        assert turn.state is not None
        step = turn.state.step
        if turn.msg.kind == "image" and turn.msg.media_id:
            return self.photo_given(turn, step)
        if step == LOCATION:
            return self.location_given(turn)
        words = turn.text.strip()
        if step == WORDS:
            return self.words_given(turn, words)
        if step == ALLEY:
            return self.alley_given(turn, words)
        return self.offer_taken(turn, words)

    def photo_given(self, turn: Turn, step: str) -> Reply:
        """Keep a photo for the tickets this patrol may open, and ask the pending question again."""
        draft = turn.data(PatrolDraft)
        if turn.msg.media_id not in draft.photos and len(draft.photos) < turn.config.issues.max_photos:
            draft = replace(draft, photos=[*draft.photos, str(turn.msg.media_id)])
        turn.goto(step, draft)
        pending = {WORDS: texts.ASK_WORDS if draft.minutes is None and not draft.words else texts.ASK_MINUTES,
                   ALLEY: texts.ask_alley(draft.alleys), LOCATION: texts.ASK_LOCATION, OFFER: texts.OFFER_AGAIN}
        return Reply(texts.photo_kept(len(draft.photos), pending[step]))

    def words_given(self, turn: Turn, words: str) -> Reply:
        """Read the duration and the problems; without a duration, ask for it (keeping what was found)."""
        draft = turn.data(PatrolDraft)
        read = read_patrol(words, lambda clause: m.value if (m := turn.gazetteer.find_category(clause)) else None)
        found = [{"category": f.category, "count": f.count, "fixed": f.fixed} for f in read.found] or draft.found
        draft = replace(draft, minutes=read.minutes or draft.minutes, found=found,
                        words=(draft.words + " " + words).strip()[:1000])
        if draft.minutes is None:
            turn.goto(WORDS, draft)
            return Reply(texts.ASK_MINUTES)
        if draft.alley is None:
            turn.goto(ALLEY, draft)
            return Reply(texts.ask_alley(draft.alleys))
        turn.goto(LOCATION, draft)
        return Reply(texts.ASK_LOCATION)

    def alley_given(self, turn: Turn, words: str) -> Reply:
        """Take the alley by number or by name."""
        draft = turn.data(PatrolDraft)
        chosen = answers.pick(words, draft.alleys)
        named = turn.gazetteer.alley_in(words) if chosen is None else None
        alley = chosen or (named if named in draft.alleys else None)
        if alley is None:
            return Reply(texts.ask_alley(draft.alleys))
        turn.goto(LOCATION, replace(draft, alley=alley))
        return Reply(texts.ASK_LOCATION)

    def location_given(self, turn: Turn) -> Reply:
        """A location verifies the patrol, 跳过 logs it unverified; anything else asks again."""
        draft = turn.data(PatrolDraft)
        lat: float | None = None
        lng: float | None = None
        if turn.msg.kind == "location" and turn.msg.lat is not None and turn.msg.lng is not None:
            lat, lng = turn.msg.lat, turn.msg.lng
        elif answers.tidy(turn.text) not in texts.SKIP_WORDS:
            return Reply(texts.ASK_LOCATION)
        assert draft.alley is not None and draft.minutes is not None
        try:
            entry = self._log.record(turn.account.user_id, draft.alley, draft.minutes, _found(draft), draft.words,
                                     key=turn.msg.dedupe_key, lat=lat, lng=lng)
        except LogError:
            turn.finish()
            return Reply(texts.NO_ALLEY)
        lines = [texts.found_line(f, self._name(turn, f.category)) for f in entry.found]
        offer = any(not f.fixed for f in entry.found)
        if offer:
            turn.goto(OFFER, replace(draft, entry=entry.id))
        else:
            turn.finish()
        return Reply(texts.logged(entry.alley, entry.minutes, entry.verified, lines, offer))

    def offer_taken(self, turn: Turn, words: str) -> Reply:
        """Numbers open tickets for what was found (one per problem, routed as usual); 不用 ends."""
        draft = turn.data(PatrolDraft)
        found = _found(draft)
        if answers.tidy(words) in texts.NO_WORDS:
            turn.finish()
            return Reply(texts.DONE)
        numbers = [int(n) for n in words.replace("，", " ").replace(",", " ").replace("、", " ").split() if n.isdigit()]
        picked = [found[n - 1] for n in dict.fromkeys(numbers) if 1 <= n <= len(found)]
        if not picked:
            return Reply(texts.OFFER_AGAIN)
        open_ones = [f for f in picked if not f.fixed]
        if not open_ones:
            return Reply(texts.NOTHING_TO_OPEN)
        tickets = []
        for f in open_ones:
            what = texts.found_line(f, self._name(turn, f.category))
            try:
                logged = self._issues.report(turn.account.user_id, f"patrol-{draft.entry}-{f.category}",
                                             str(draft.alley), f.category, texts.TICKET_TEXT.format(what=what),
                                             photos=draft.photos)
            except IssueError:
                continue
            if logged.issue is not None:
                tickets.append(logged.issue.ticket)
        turn.finish()
        return Reply(texts.tickets_opened(tickets) if tickets else texts.NOTHING_TO_OPEN)

    def my_log(self, turn: Turn) -> Reply:
        """The chief's latest patrols."""
        if turn.account.role not in ("chief", "staff"):
            return Reply(texts.CHIEF_ONLY)
        entries = self._log.mine(turn.account.user_id)
        return Reply(texts.my_log([(e.day, e.alley, e.minutes, e.verified, sum(f.count for f in e.found))
                                   for e in entries]))

    def my_score(self, turn: Turn) -> Reply:
        """我的考核: this month's score so far, part by part, and what each part comes from."""
        month = datetime.now(BEIJING).strftime("%Y-%m")
        found = self._assessment.of_chief(turn.account.user_id, period(month=month))
        if found is None:
            return Reply(texts.NO_SCORE)
        f, rules = found.facts, turn.config.assessment
        poll = f"，调查平均 {f.poll_mean:.2f}" if f.poll_mean is not None else ""
        why = {part: text.format(patrol_days=f.patrol_days, due=f.due, on_time=f.on_time, reopened=f.reopened,
                                 required=required_patrol_days(f.days, rules.patrol_days_per_week),
                                 reported=len(f.response_hours), rated=len(f.ratings), poll=poll)
               for part, text in texts.PART_WHY.items()}
        return Reply(texts.my_score(f"{month} 至今", found.alley, found.card.score, found.card.grade,
                                    found.card.parts, why, found.card.not_applicable, f.overdue_at_end))

    @staticmethod
    def _name(turn: Turn, code: str) -> str:
        category = turn.config.category(code)
        return category.name if category else code
