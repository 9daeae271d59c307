"""随手拍: a resident reports a problem with photos, words and a location, in any order; then follows it up.

The issue is logged the moment both the alley and the category are known: an elderly resident who sent a photo
and "光明胡同门口堆了一堆破家具" is done. Only a message the NLU was unsure was a report at all (请问光明胡同的
路灯几点亮), complete by itself, is read back first (1 是, 2 不是). What is missing is asked for with
numbered choices. Photos or a location sent within minutes after logging attach to the issue; 撤回 withdraws it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from bot.accounts import texts as account_texts
from bot.broadcasts import texts as broadcast_texts
from bot.core.dialogue import FlowData
from bot.core.geo import distance_to_polyline
from bot.handlers import answers
from bot.handlers.parking import reply_text as parking_reply_text
from bot.issues import texts
from bot.issues.service import IssueError, Issues, Logged
from bot.parking.service import ParkingAnswers
from bot.turn import Reply, Turn

# The report flow and its states.
REPORT_FLOW = "report"
COLLECTING = "collecting"  # taking photos, words and a location until the alley and the category are known
ASK_ALLEY = "ask_alley"  # numbered alleys offered (nearest to the location, similar names, the home alley)
ASK_CATEGORY = "ask_category"  # the numbered 十无 list shown
CONFIRM = "confirm"  # a doubtful guess, complete: "您是要反映…吗？1 是 2 不是" before anything is logged

# Below this confidence the NLU's "this is a report" is a guess: a message that would become a ticket by itself
# is read back first (a wrong ticket on a chief's desk is worse than one question).
CONFIRM_BELOW = 0.6
YES_WORDS = frozenset({"1", "是", "是的", "对", "对的", "嗯", "没错", "确认", "好", "好的", "要"})
NO_WORDS = frozenset({"2", "不是", "不对", "没有", "不要", "不用", "算了", "错了"})



@dataclass
class ReportDraft(FlowData):
    """What the report has so far; it is logged once both the alley and the category are known."""

    photos: list[str] = field(default_factory=list)  # media ids, at most the configured number
    text: str = ""  # the resident's words, joined
    alley: str | None = None
    category: str | None = None  # a category code
    lat: float | None = None
    lng: float | None = None
    offered: list[str] = field(default_factory=list)  # the alleys offered by number (ASK_ALLEY)
    also: list[list[str]] = field(default_factory=list)  # [category, words] of further problems of the message
    doubtful: bool = False  # started on an unsure guess of the NLU: read back before logging


NEAREST_OFFERED = 3
SIMILAR_OFFERED = 5
ON_ALLEY_METERS = 25  # a location this close to one alley's line, ...
CLEAR_MARGIN_METERS = 40  # ... and this much closer than to any other, is taken as that alley without asking
FAR_METERS = 3000  # farther than this from every alley: not one of ours
# Where one message carries two requests: 另外/还有/顺便问一下 …, or a sentence end.
SPLIT = re.compile(r"[。；;！!？?\n]+"
                   r"|[，,\s]*(?:另外|还有就是|还有|还想问|顺便问|再问|以及|同时)(?:一下|个事|件事)?[，,：:\s]*")
# A clause that asks rather than tells ("有人乱停车" reports; "乱停车怎么罚" asks).
QUESTION = re.compile(r"怎么|怎样|咋|吗|嘛|哪|什么|啥|多少|能不能|能否|可不可以|是否|如何|[?？]")
# Words that name a place (光明胡同, …街, …路; not 路灯 or 马路, which name things, nor a bare "胡同口",
# "这胡同" or "架到胡同中间", which say where without saying which).
PLACE_WORD = re.compile(r"(?<![这那咱俺我的个])(?![在到进往满全出从去条整这那])[\u4e00-\u9fff](?:胡同|街|巷|河沿)"
                        r"|[东西南北]里|(?<!马)路(?![灯面边口])")
RATING_REPLIES = frozenset({"1", "2", "3", "满意", "基本满意", "不满意", "很满意", "非常满意", "一般", "还行",
                            "不太满意", "很不满意", "非常不满意", "比较满意", "还可以", "凑合", "差", "太差了"})


def _source_key(turn: Turn) -> str:
    """The message that completed the report: a retry of it can never open a second ticket."""
    return hashlib.sha256(turn.msg.dedupe_key.encode()).hexdigest()[:64]


def _take_words(turn: Turn, step: str, data: ReportDraft) -> Reply | None:
    """Read a numbered choice in the asking states, else the words themselves; a reply when the choice is bad."""
    words = turn.text.strip()
    if not answers.says_something(words):  # 👍 or "。。。" says nothing about the problem: not glued into the ticket
        return _ask_next(turn, data)
    offered = data.offered
    if step == ASK_ALLEY and answers.number(words) is not None:
        alley = answers.pick(words, offered)
        if alley is not None:
            data.alley = alley
            return None
        return Reply(texts.report_ask_alley_choices(texts.REPORT_CHOOSE, offered))
    if step == ASK_CATEGORY and answers.number(words) is not None:
        categories = turn.config.categories
        category = answers.pick(words, categories)
        if category is not None:
            data.category = category.code
            return None
        return Reply(texts.report_ask_category([c.name for c in categories]))
    data.text = f"{data.text}；{words}" if data.text else words
    if not data.alley:
        data.alley = turn.gazetteer.alley_in(words) or _entity(turn, "alley")
    if not data.category:
        found = turn.gazetteer.find_category(words)
        data.category = found.value if found else _entity(turn, "category")
    return None


def _entity(turn: Turn, name: str) -> str | None:
    parsed = turn.parse()
    value = parsed.entities.get(name) if parsed.intent == "report_issue" else None
    return value if isinstance(value, str) else None


def _ask_next(turn: Turn, data: ReportDraft) -> Reply:
    """Ask for what is missing: what and where after a lone photo, else the alley, else the category."""
    if data.photos and not data.text and not data.alley and not data.category and data.lat is None:
        turn.start(REPORT_FLOW, COLLECTING, data)
        return Reply(texts.report_photo_first(len(data.photos)))
    if not data.alley:
        offered = _alleys_to_offer(turn, data)
        if offered:
            turn.start(REPORT_FLOW, ASK_ALLEY, replace(data, offered=offered))
            named = data.lat is None and _names_a_place(data.text)
            intro = texts.REPORT_ALLEY_NOT_FOUND if named and offered[0] != turn.account.home_alley else ""
            return Reply(texts.report_ask_alley_choices(intro, offered))
        turn.start(REPORT_FLOW, COLLECTING, replace(data, offered=[]))
        return Reply(texts.REPORT_ASK_ALLEY)
    turn.start(REPORT_FLOW, ASK_CATEGORY, replace(data, offered=[]))
    return Reply(texts.report_ask_category([c.name for c in turn.config.categories]))


def _alleys_to_offer(turn: Turn, data: ReportDraft) -> list[str]:
    if data.lat is not None and data.lng is not None:
        here = (data.lat, data.lng)
        ranked = sorted((distance_to_polyline(here, a.polyline), a.name) for a in turn.config.alleys)
        if ranked and ranked[0][0] > FAR_METERS:
            return []  # nowhere near an alley we serve: ask for the name instead of a nonsense choice
        return [name for _, name in ranked[:NEAREST_OFFERED]]
    words = data.text
    similar = turn.gazetteer.candidates(words, SIMILAR_OFFERED) if _names_a_place(words) else []
    home = turn.account.home_alley
    if home and home not in similar:
        similar = [home, *similar][:SIMILAR_OFFERED]  # their own alley first: most reports are about it
    return similar


def _names_a_place(words: str) -> bool:
    """The words seem to name an alley (so "没找到这条胡同" makes sense), rather than say nothing of where."""
    return PLACE_WORD.search(words) is not None


def _alley_at(turn: Turn, lat: float, lng: float) -> str | None:
    """The alley a location is clearly in: on its line, and the next alley well away."""
    ranked = sorted((distance_to_polyline((lat, lng), a.polyline), a.name) for a in turn.config.alleys)
    if not ranked or ranked[0][0] > ON_ALLEY_METERS:
        return None
    if len(ranked) > 1 and ranked[1][0] - ranked[0][0] < CLEAR_MARGIN_METERS:
        return None
    return ranked[0][1]


@dataclass(frozen=True)
class Request:
    kind: str  # "report" or "parking"
    value: str  # the category code, or "" for a parking question
    words: str


def requests_in(turn: Turn) -> list[Request]:
    """The separate requests of one message: problems (by category) and parking questions, in order."""
    return turn.once("requests", lambda: _split_requests(turn))


def _split_requests(turn: Turn) -> list[Request]:
    if turn.msg.kind not in ("text", "voice") or len(turn.text) < 8:
        return []
    found: list[Request] = []
    for clause in (c.strip(" ，,、：:") for c in SPLIT.split(turn.text)):
        if len(clause) < 3:
            continue
        parsed = turn.nlu.parse(clause)
        category = turn.gazetteer.find_category(clause)
        asks = QUESTION.search(clause) is not None
        if parsed.intent == "ask_parking" and parsed.confidence >= 0.5 and (asks or category is None):
            found.append(Request("parking", "", clause))
        elif category is not None or (parsed.intent == "report_issue" and parsed.entities.get("category")):
            code = category.value if category else str(parsed.entities["category"])
            found.append(Request("report", code, clause))
    return found


def is_two_requests(turn: Turn) -> bool:
    """A problem together with a parking question, or two different problems, in one message."""
    found = requests_in(turn)
    reports = [r for r in found if r.kind == "report"]
    return bool(reports) and (len({r.value for r in reports}) > 1 or any(r.kind == "parking" for r in found))


def _logged_text(turn: Turn, logged: Logged, alley: str, have_photo: bool) -> str:
    if logged.outcome == "blocked" or (logged.issue is None and logged.outcome != "limited"):
        return texts.REPORT_BLOCKED
    if logged.outcome == "limited":
        spec = turn.config.alley(alley)
        phone = turn.config.street_offices[spec.street_office].phone if spec else ""
        return texts.report_limited(turn.config.issues.reports_per_hour, phone)
    issue = logged.issue
    assert issue is not None
    if logged.outcome == "followed":
        return texts.report_followed(issue, logged.reporters)
    if logged.outcome == "again":
        return texts.report_again(issue)
    days = turn.config.handling_days[issue.triage]
    office = turn.config.street_offices.get(issue.street_office)
    hints = [texts.report_progress_hint(have_photo)]
    if turn.account.home_alley != issue.alley:  # notices of that alley only if they say so
        hints.append(broadcast_texts.offer_follow(issue.alley))
    return texts.report_logged(issue, days, logged.routed, office.phone if office else "",
                               turn.config.issues.attach_minutes) + \
        "".join(f"\n{h}" for h in hints if h)


def names_a_problem(turn: Turn) -> bool:
    """The message is surely a report of a problem, whether or not it says where."""
    if turn.msg.kind not in ("text", "voice") or len(turn.text) < 6:
        return False
    parsed = turn.parse()
    if parsed.intent != "report_issue" or parsed.confidence < CONFIRM_BELOW:
        return False
    return bool(turn.gazetteer.find_category(turn.text) or parsed.entities.get("category"))


def is_complete_report(turn: Turn) -> bool:
    """The message is a whole new report by itself: it names both an alley and a problem."""
    if not names_a_problem(turn):
        return False
    return bool(turn.gazetteer.alley_in(turn.text) or turn.parse().entities.get("alley"))


def is_another_report(turn: Turn) -> bool:
    """In the report flow: a complete report about a different problem than the one being collected."""
    assert turn.state is not None
    drafted = turn.data(ReportDraft).category
    if not drafted or not is_complete_report(turn):
        return False
    found = turn.gazetteer.find_category(turn.text)
    value = found.value if found else turn.parse().entities.get("category")
    return bool(value != drafted)


class ReportChat:
    """随手拍, answered with the issues service (and the parking answers, for a question asked alongside)."""

    def __init__(self, issues: Issues, parking: ParkingAnswers) -> None:
        self._issues = issues
        self._parking = parking

    def start(self, turn: Turn) -> Reply:
        """Begin a report with whatever this message carries (a photo, a sentence, a location) and ask the rest."""
        return self._begin(turn, doubtful=False)

    def start_guessed(self, turn: Turn) -> Reply:
        """Begin a report the NLU guessed from free words; an unsure guess is read back before it is logged."""
        return self._begin(turn, doubtful=turn.parse().confidence < CONFIRM_BELOW)

    def _begin(self, turn: Turn, doubtful: bool) -> Reply:
        if turn.account.blocked:
            return Reply(texts.REPORT_BLOCKED)
        turn.start(REPORT_FLOW, COLLECTING, ReportDraft(doubtful=doubtful))
        if turn.msg.kind == "event":  # the menu button: nothing to take in yet
            return Reply(texts.REPORT_START)
        if turn.msg.kind in ("text", "voice") and turn.text.strip() in ("随手拍", "我要反映", "反映问题", "我要随手拍"):
            return Reply(texts.REPORT_START)
        return self.collect(turn, first=True)

    def photo(self, turn: Turn) -> Reply:
        """A photo outside a flow: add it to the report just made, or start a new report with it."""
        attached = self._issues.attach(turn.account.user_id, photos=[turn.msg.media_id or ""])
        if attached is None:
            return self.start(turn)
        issue, added = attached
        if not added:
            return Reply(texts.report_photo_full(turn.config.issues.max_photos))
        return Reply(texts.photo_attached(issue.ticket, sum(1 for p in issue.photos if p.kind == "report")))

    def just_reported(self, turn: Turn) -> bool:
        """The user reported something in the last few minutes (a location now belongs to it)."""
        return self._issues.has_recent(turn.account.user_id)

    def location(self, turn: Turn) -> Reply:
        """Add the location to the report just made."""
        attached = self._issues.attach(turn.account.user_id, lat=turn.msg.lat, lng=turn.msg.lng)
        return Reply(texts.location_attached(attached[0].ticket) if attached else account_texts.MENU)

    def collect(self, turn: Turn, first: bool = False) -> Reply:
        """Take in a photo, words, a location or a numbered choice; log the issue as soon as it is complete."""
        assert turn.state is not None
        if turn.state.step == CONFIRM and turn.msg.kind in ("text", "voice"):
            return self.confirmed(turn)
        data = turn.data(ReportDraft)
        if not first:  # they answered a question of the report: it is theirs, no longer a guess
            data.doubtful = False
        step, msg = turn.state.step, turn.msg
        if msg.kind == "image" and msg.media_id:
            if msg.media_id not in data.photos and len(data.photos) < turn.config.issues.max_photos:
                data.photos.append(msg.media_id)
        elif msg.kind == "location" and msg.lat is not None and msg.lng is not None:
            data.lat, data.lng = msg.lat, msg.lng
            if not data.alley and msg.label:
                data.alley = turn.gazetteer.alley_in(msg.label)
            if not data.alley:
                data.alley = _alley_at(turn, msg.lat, msg.lng)
        elif msg.kind in ("text", "voice") and turn.text.strip():
            reply = _take_words(turn, step, data)
            if reply is not None:
                return reply
        else:
            return _ask_next(turn, data)
        return self._advance(turn, data)

    def _advance(self, turn: Turn, data: ReportDraft) -> Reply:
        if data.alley and data.category:
            if data.doubtful:
                turn.goto(CONFIRM, data)
                category = turn.config.category(data.category)
                return Reply(texts.report_confirm(data.alley, category.name if category else data.category))
            return self._log(turn, data)
        return _ask_next(turn, data)

    def confirmed(self, turn: Turn) -> Reply:
        """1 logs the report read back; 2 drops it and says so; anything else asks again."""
        data = turn.data(ReportDraft)
        words = answers.tidy(turn.text)
        if words in YES_WORDS:
            return self._log(turn, replace(data, doubtful=False))
        if words in NO_WORDS:
            turn.finish()
            return Reply(texts.REPORT_NOT_LOGGED)
        category = turn.config.category(data.category or "")
        return Reply(texts.report_confirm(str(data.alley), category.name if category else str(data.category)))

    def _log(self, turn: Turn, data: ReportDraft) -> Reply:
        turn.finish()
        alley, category = data.alley, data.category
        assert alley is not None and category is not None, "logged only when both are known"
        logged = self._issues.report(turn.account.user_id, _source_key(turn), alley, category, text=data.text,
                                     photos=data.photos, lat=data.lat, lng=data.lng)
        replies = [_logged_text(turn, logged, alley, bool(data.photos))]
        # The other problems of the same message: their own tickets, in the same alley (keyed so a retry adds none).
        for n, (other, words) in enumerate(data.also, 2):
            more = self._issues.report(turn.account.user_id, f"{_source_key(turn)[:60]}:{n}", alley, other,
                                      text=words, photos=[], lat=data.lat, lng=data.lng)
            replies.append(_logged_text(turn, more, alley, False))
        return Reply("\n\n".join(replies))

    def two_requests(self, turn: Turn) -> Reply:
        """Take every problem of the message as its own ticket, and answer its parking question too."""
        found = requests_in(turn)
        reports = [r for r in found if r.kind == "report"]
        answers = [parking_reply_text(self._parking.ask(r.words, turn.account.home_alley))
                   for r in found if r.kind == "parking"]
        first, also = reports[0], list[list[str]]()
        for r in reports[1:]:
            if r.value != first.value and r.value not in {c for c, _ in also}:
                also.append([r.value, r.words])
        alley = turn.gazetteer.alley_in(turn.text)
        if turn.account.blocked:
            return Reply(texts.REPORT_BLOCKED)
        words = "，".join(r.words for r in reports if r.value == first.value)
        data = ReportDraft(text=words, alley=alley, category=first.value, also=also)
        turn.start(REPORT_FLOW, COLLECTING, data)
        reply = self._advance(turn, data)
        return Reply("\n\n".join([reply.text or "", *answers]).strip())

    def withdraw(self, turn: Turn) -> Reply:
        """Withdraw the report of the last few minutes, if no chief has started on it."""
        try:
            issue = self._issues.withdraw(turn.account.user_id)
        except IssueError:
            return Reply(texts.WITHDRAW_STARTED)
        return Reply(texts.withdrawn(issue.ticket) if issue else texts.withdraw_none(turn.config.issues.attach_minutes))

    def my_issues(self, turn: Turn) -> Reply:
        """List the user's reports and the ones they follow, with their status."""
        issues = self._issues.mine(turn.account.user_id)
        return Reply(texts.my_issues(issues, turn.msg.openid) if issues else texts.MY_ISSUES_NONE)

    def is_rating(self, turn: Turn) -> bool:
        """A short 1/2/3 or 满意-like reply while one of the user's resolved reports waits for a rating."""
        if turn.msg.kind not in ("text", "voice"):
            return False
        words = turn.text.strip().strip("。！!.~ ")
        return words in RATING_REPLIES and self._issues.awaiting_rating(turn.account.user_id) is not None

    def rate(self, turn: Turn) -> Reply:
        """Record the rating of the latest resolved report; 不满意 reopens it."""
        words = turn.text.strip().strip("。！!.~ ")
        value = answers.number(words)
        if value is None:
            found = turn.gazetteer.find_rating(words)
            value = int(found.value) if found else 2
        issue = self._issues.awaiting_rating(turn.account.user_id)
        if issue is None:
            return Reply(texts.RATING_NOT_NEEDED)
        try:
            self._issues.rate(turn.account.user_id, issue.ticket, value)
        except IssueError:
            return Reply(texts.RATING_NOT_NEEDED)
        return Reply(texts.RATING_REOPENED if value == 1 else texts.RATING_THANKS)
