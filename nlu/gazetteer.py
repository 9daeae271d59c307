"""Alley, category and rating names found in free text.

Built from config (alleys.yml names and aliases, categories.yml keywords) and from the entity spans annotated in
the training data, so that adding an alley to the YAML needs no code change. Alleys are also matched
through pinyin, which catches the homophones of pinyin input (光明胡桶, 力学湖同) and one wrong character.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from nlu.training_data import TrainingData
from nlu.vocabulary import Vocabulary

PATTERN_GAP = 8  # a pattern's thing and state at most this many characters apart: the same clause
MIN_FUZZY_LENGTH = 3  # shorter names (二龙路 is the shortest kept) would match too much by sound
NEGATIONS = ("不", "没")  # not 非, which intensifies: 非常好 is very good


def spellings(name: str, aliases: Iterable[str]) -> set[str]:
    """Every way residents write an alley: the name, its aliases and their 儿化 forms (光明胡同儿)."""
    forms = {name, *aliases}
    return forms | {f + "儿" for f in forms}


def _longest_first(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(set(pairs), key=lambda p: (-len(p[0]), p[0])))


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    value: str


@functools.lru_cache(maxsize=4096)
def _characters(name: str) -> Counter[str]:
    return Counter(name)


def _in_common(a: Counter[str], b: Counter[str]) -> int:
    return sum(min(n, b[c]) for c, n in a.items() if c in b)


@dataclass
class Gazetteer:
    alley_spellings: tuple[tuple[str, str], ...]  # (spelling, canonical), longest first
    alley_names: tuple[str, ...]
    category_keywords: tuple[tuple[str, str], ...]  # (keyword, code), longest first
    rating_words: tuple[tuple[str, str], ...] = ()  # (word, "1"|"2"|"3"), longest first
    # (code, things, states): a thing near what became of it (路灯 … 不亮), in config order
    category_patterns: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    not_ours: tuple[tuple[str, str], ...] = ()  # (subject, subject), longest first: not the alleys' business
    # Pinyin of every character that may matter, filled by the NLU model (pypinyin is slow to import).
    pinyin: dict[str, str] = field(default_factory=dict, repr=False)
    # Sound-alike index: first syllable -> (syllables, name), and last syllable -> the same, so that a
    # window is only compared with names it could possibly be (keeps parsing well under a millisecond).
    _by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict, repr=False)
    _by_last: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict, repr=False)
    # Word lists indexed by their first character (built on first use): a message is scanned once instead of
    # searched once per listed word (the category lexicon holds hundreds).
    _word_index: dict[int, dict[str, list[tuple[str, str, int]]]] = field(default_factory=dict, repr=False)
    # The patterns' words by first character: (word, pattern number, 0 for a thing or 1 for a state).
    _pattern_index: dict[str, list[tuple[str, int, int]]] | None = field(default=None, repr=False)

    @classmethod
    def from_vocabulary(cls, config: Vocabulary, training: TrainingData | None = None) -> Gazetteer:
        alleys = {(s, a.name) for a in config.alleys for s in spellings(a.name, a.aliases)}
        keywords = {(k, c.code) for c in config.categories for k in (c.name, *c.keywords) if c.code != "other"}
        ratings: set[tuple[str, str]] = set()
        names = {a.name for a in config.alleys}
        if training is not None:
            for ex in training.examples:
                for span in ex.spans:
                    if span.entity == "alley" and span.value in names:  # a removed alley's old examples
                        alleys.add((span.text, span.value))
                    elif span.entity == "category" and span.value != "other":
                        keywords.add((span.text, span.value))
                    elif span.entity == "rating":
                        ratings.add((span.text, span.value))
        patterns = tuple((c.code, p.things, p.states) for c in config.categories for p in c.patterns)
        return cls(_longest_first(alleys), tuple(a.name for a in config.alleys), _longest_first(keywords),
                   _longest_first(ratings), patterns, _longest_first((w, w) for w in config.not_ours))

    # --- alleys -------------------------------------------------------------------------------------
    def use_pinyin(self, table: dict[str, str]) -> None:
        """Enable sound-alike matching with a character → pinyin table (see nlu.pinyin_table)."""
        self.pinyin = table
        self._by_first, self._by_last = {}, {}
        for spelling, name in self.alley_spellings:
            if len(spelling) < MIN_FUZZY_LENGTH or spelling.endswith("儿"):
                continue
            syllables = tuple(table.get(ch, ch) for ch in spelling)
            self._by_first.setdefault(syllables[0], []).append((syllables, name))
            self._by_last.setdefault(syllables[-1], []).append((syllables, name))

    def alley_in(self, text: str) -> str | None:
        """The canonical name of the alley the text mentions, if any."""
        found = self.find_alley(text)
        return found.value if found else None

    def find_alley(self, text: str) -> Match | None:
        # By one pass over the text (asked several times per message: ~90 spellings searched one by one were a
        # quarter of the NLU's time).
        return self._first_indexed(text, self.alley_spellings) or self._sounds_like(text)

    def _sounds_like(self, text: str) -> Match | None:
        """A window of the text that reads like an alley name, or differs from one by one character."""
        if not self._by_first:
            return self._one_typo(text)
        sounds = [self.pinyin.get(ch, ch) for ch in text]
        best: tuple[int, Match] | None = None
        for i, sound in enumerate(sounds):
            # Names starting at i (by their first syllable) or ending at i (by their last).
            candidates = [(s, n, i) for s, n in self._by_first.get(sound, ())]
            candidates += [(s, n, i - len(s) + 1) for s, n in self._by_last.get(sound, ())]
            for syllables, name, start in candidates:
                end = start + len(syllables)
                if start < 0 or end > len(text):
                    continue
                differing = sum(1 for a, b in zip(sounds[start:end], syllables, strict=True) if a != b)
                # Same sound throughout (a homophone typo), or one wrong syllable in a long canonical name;
                # not in an alias, where one syllable is often all that tells two alleys apart (四块玉中).
                one_off = differing == 1 and len(syllables) >= 4 and len(syllables) == len(name)
                if differing == 0 or one_off:
                    score = len(syllables) * 2 - differing
                    if best is None or score > best[0]:
                        best = (score, Match(start, end, name))
        return best[1] if best else None

    def _one_typo(self, text: str) -> Match | None:
        for name in self.alley_names:
            n = len(name)
            if n < 4:
                continue
            for start in range(0, len(text) - n + 1):
                if Levenshtein.distance(text[start:start + n], name) == 1:
                    return Match(start, start + n, name)
        return None

    def candidates(self, text: str, limit: int = 5) -> list[str]:
        """Alleys a vague or ambiguous answer may mean (四块玉那边 → the three 四块玉 streets), best first."""
        def shared_run(name: str) -> int:
            best = 0
            for i in range(len(text)):
                for j in range(i + best + 1, len(text) + 1):
                    if text[i:j] in name:
                        best = j - i
                    else:
                        break
            return best

        chars = Counter(text)
        scored = []
        for name in self.alley_names:
            run = shared_run(name)
            # The characters the two have in common bound difflib's ratio from above (it counts matched
            # characters): a name that cannot reach 0.4 is left out without the costly comparison. Asked of
            # every answer to "which alley" that is not a name, so this is most of that step's time.
            if run < 2 and 2 * _in_common(chars, _characters(name)) < 0.4 * (len(text) + len(name)):
                continue
            ratio = difflib.SequenceMatcher(None, text, name).ratio()
            if run >= 2 or ratio >= 0.4:
                scored.append((run, ratio, name))
        return [name for _, _, name in sorted(scored, reverse=True)[:limit]]

    # --- categories and ratings ---------------------------------------------------------------------
    def find_category(self, text: str) -> Match | None:
        """The category the text names: its longest keyword, unless a pattern says as much or more (as many of
        its characters are the pattern's words as are the keyword's: 墙上写了收废品的电话 is an ad, not junk; in
        把墙掏开了弄了个窗口卖东西 the wall cut open, a pattern, outweighs the keyword 窗口卖: what was done to the wall
        is the harder problem and what the pattern describes, the selling is why)."""
        word = self._first_indexed(text, self.category_keywords)
        told = self._told(text)
        if told is not None and (word is None or told[0] >= word.end - word.start):
            return told[1]
        return word

    def not_ours_match(self, text: str) -> Match | None:
        """Where the text names a subject that is not the alleys' business, whatever else it names."""
        return self._first_indexed(text, self.not_ours)

    def not_ours_in(self, text: str) -> str | None:
        """A subject the text names that is not the alleys' business (a parcel, a bill, the flat's heating),
        when it names no 十无 problem outside that subject: such a complaint is out of scope, not a report."""
        found = self.not_ours_match(text)
        if found is None or not outside_the_alley(found, self.find_category(text)):
            return None
        return found.value

    def _told(self, text: str) -> tuple[int, Match] | None:
        """The best pattern in the text, by how many characters its thing and state cover, with that count."""
        if not self.category_patterns:
            return None
        index = self._pattern_index
        if index is None:
            index = {}
            for number, (_, things, states) in enumerate(self.category_patterns):
                for role, words in enumerate((things, states)):
                    for word in words:
                        index.setdefault(word[0], []).append((word, number, role))
            self._pattern_index = index
        seen: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        for i, ch in enumerate(text):
            for word, number, role in index.get(ch, ()):
                if text.startswith(word, i):
                    seen.setdefault(number, ([], []))[role].append((i, i + len(word)))
        best: tuple[int, int, Match] | None = None  # (weight, -pattern number, match)
        for number, (thing_spans, state_spans) in seen.items():
            for t_start, t_end in thing_spans:
                for s_start, s_end in state_spans:
                    gap = max(s_start - t_end, t_start - s_end)
                    if not 0 <= gap <= PATTERN_GAP:
                        continue
                    # The usual order is the thing, then what became of it (垃圾桶满了); the other order
                    # (断了腿的长椅) counts one character less, so 贴满了…下水道的小纸条 stays an ad.
                    weight = (t_end - t_start) + (s_end - s_start) - (s_start < t_start)
                    found = Match(min(t_start, s_start), max(t_end, s_end), self.category_patterns[number][0])
                    if best is None or (weight, -number) > best[:2]:
                        best = (weight, -number, found)
        return (best[0], best[2]) if best else None

    def find_rating(self, text: str) -> Match | None:
        found = self._first_indexed(text, self.rating_words)
        # 不太满意, 没那么好: a negated positive word is a negative answer.
        if found and found.value == "3" and any(neg in text[max(0, found.start - 2):found.start] for neg in NEGATIONS):
            return Match(found.start, found.end, "1")
        return found


    def _first_indexed(self, text: str, pairs: tuple[tuple[str, str], ...]) -> Match | None:
        """What ``_first`` finds, by one pass over the text: the longest listed word present (the earlier
        listed among equally long ones), at its first occurrence."""
        index = self._word_index.get(id(pairs))
        if index is None:
            index = {}
            for rank, (word, value) in enumerate(pairs):
                if word:
                    index.setdefault(word[0], []).append((word, value, rank))
            self._word_index[id(pairs)] = index
        best: tuple[str, str, int] | None = None
        for i, ch in enumerate(text):
            for word, value, rank in index.get(ch, ()):
                if (best is None or len(word) > len(best[0]) or (len(word) == len(best[0]) and rank < best[2])) \
                        and text.startswith(word, i):
                    best = (word, value, rank)
        if best is None:
            return None
        at = text.find(best[0])
        return Match(at, at + len(best[0]), best[1])


def outside_the_alley(subject: Match | None, problem: Match | None) -> bool:
    """A not-ours subject and no problem, or a problem whose thing the subject says is someone's own: in
    我家下水道堵了 the blocked drain (a sanitation problem in the street) is the flat's plumbing. The subject must
    begin before the problem and reach into it; merely touching it is not enough (往外卖烟酒 holds 外卖, 空调外机
    架子锈了 starts with 空调: both are the street's problems)."""
    if subject is None:
        return False
    return problem is None or subject.start < problem.start < subject.end


def _first(text: str, pairs: tuple[tuple[str, str], ...]) -> Match | None:
    """The longest listed word in the text (pairs come longest first), earliest if tied."""
    for word, value in pairs:
        at = text.find(word)
        if at >= 0:
            return Match(at, at + len(word), value)
    return None
