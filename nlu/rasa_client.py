"""The Rasa backend, over HTTP: ``POST /model/parse`` with a hard timeout and a circuit breaker.

A slow or dead Rasa must never cost WeChat's 5-second reply deadline: every call is bounded (connect
0.2 s + read 0.6 s), and after a few failures in a row the breaker opens and the built-in backend answers
alone until a trial call succeeds again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests

from nlu.builtin import CATEGORY_INTENTS, BuiltinNLU, Lexicon, features, normalise
from nlu.interface import INTENTS, Parse

log = logging.getLogger(__name__)

CONNECT_TIMEOUT, READ_TIMEOUT = 0.2, 0.6
# Rasa's share when its intent probabilities are blended with the built-in model's, chosen on the development
# sets by benchmarks/nlu_blend.py. On 2026-11-28 every share above 0 did worse on residents' own wording than
# the built-in model alone (DIET is over-confident on words it has not seen), so Rasa's intents count for
# nothing until a sweep on a retrained model says otherwise; its entity spans are still used (docs/nlu.md).
RASA_WEIGHT = 0.0
FAILURES_TO_OPEN = 3
OPEN_SECONDS = 30.0


class CircuitBreaker:
    def __init__(self, failures_to_open: int = FAILURES_TO_OPEN, open_seconds: float = OPEN_SECONDS) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self.failures_to_open, self.open_seconds = failures_to_open, open_seconds

    def allow(self) -> bool:
        """Closed: yes. Open: no, until the cool-down is over; then one trial call at a time."""
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at < self.open_seconds or self._trial_running:
                return False
            self._trial_running = True
            return True

    def success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial_running = 0, None, False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._failures >= self.failures_to_open or self._opened_at is not None:
                self._opened_at = time.monotonic()

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None


def rasa_scores(doc: dict[str, Any]) -> dict[str, float]:
    """Rasa's probability per intent from a /model/parse answer (its ranking, else its one intent). Rasa's
    own fallback pseudo-intent is left out: the blend decides what is out of scope."""
    ranking = doc.get("intent_ranking") or [doc.get("intent") or {}]
    return {str(r["name"]): float(r.get("confidence") or 0.0) for r in ranking if r.get("name") in INTENTS}


def blend(rasa: dict[str, float], own: dict[str, float], weight: float) -> dict[str, float]:
    """A weighted mean of two probability distributions over the intents (missing: 0)."""
    return {i: weight * rasa.get(i, 0.0) + (1 - weight) * own.get(i, 0.0) for i in INTENTS if i in own or i in rasa}


class RasaNLU:
    name = "rasa"

    def __init__(self, url: str, fallback: BuiltinNLU, token: str | None = None,
                 breaker: CircuitBreaker | None = None, weight: float = RASA_WEIGHT) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.fallback = fallback
        self.gazetteer = fallback.gazetteer
        self.token = token
        self.breaker = breaker or CircuitBreaker()
        self.weight = weight
        self._http = requests.Session()

    def parse(self, text: str) -> Parse:
        clean = normalise(text)
        # Rasa reads "/intent" as an intent payload and raises on empty text: those never go to it.
        sendable = clean.lstrip("/").strip()
        if not sendable or not self.breaker.allow():
            return self.fallback.parse(text)
        try:
            params = {"token": self.token} if self.token else None
            res = self._http.post(self.url, json={"text": sendable}, params=params,
                                  timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
            res.raise_for_status()
            doc = res.json()
        except (requests.RequestException, ValueError) as exc:
            self.breaker.failure()
            log.warning("Rasa unavailable (%s); the built-in backend answers%s", type(exc).__name__,
                        " — circuit open" if self.breaker.is_open else "")
            return self.fallback.parse(text)
        self.breaker.success()
        return self._to_parse(clean, doc)

    def _to_parse(self, clean: str, doc: dict[str, Any]) -> Parse:
        masked, alley = self.fallback.mask(clean)
        feats, lexicon = features(masked), Lexicon.read(self.gazetteer, clean)
        own = self.fallback.intent_scores(feats, lexicon)
        intent, confidence = self.fallback.decide(lexicon, blend(rasa_scores(doc), own, self.weight))
        slots = self.fallback.entities(clean, feats, intent, alley, lexicon)
        entities = self._entities(intent, doc.get("entities") or [], slots, lexicon)
        return Parse(intent, confidence, entities, self.name)

    def _entities(self, intent: str, raw: list[dict[str, Any]], slots: dict[str, Any],
                  lexicon: Lexicon) -> dict[str, Any]:
        """Rasa's entities made canonical; what it missed is filled by the built-in backend's slots.

        Both backends keep one contract: alley always, category on reports, rating on poll answers. The
        built-in rating words know negation (不太满意), so they win over Rasa's raw lookup match.
        """
        seen: set[tuple[str, int, int]] = set()
        values: dict[str, Any] = {}
        for ent in raw:
            key = (str(ent.get("entity")), int(ent.get("start", -1)), int(ent.get("end", -1)))
            if key in seen:  # DIET and the regex extractor may both report one span
                continue
            seen.add(key)
            canonical = self._canonical(key[0], str(ent.get("value", "")))
            if canonical is not None and key[0] not in values:
                values[key[0]] = canonical
        found: dict[str, Any] = {}
        if values.get("alley") or slots.get("alley"):
            found["alley"] = values.get("alley") or slots["alley"]
        if intent in CATEGORY_INTENTS:
            # The street office's words and patterns first (the same rule for both backends), then DIET's.
            told = lexicon.problem
            category = told.value if told else values.get("category") or slots.get("category")
            if category:
                found["category"] = category
        if intent == "poll_answer" and (slots.get("rating") or values.get("rating")):
            found["rating"] = slots.get("rating") or values["rating"]
        return found

    def _canonical(self, entity: str, value: str) -> Any:
        gaz = self.gazetteer
        if entity == "alley":
            if value in gaz.alley_names:
                return value
            found = gaz.find_alley(value)
            return found.value if found else None
        if entity == "category":
            codes = {code for _, code in gaz.category_keywords}
            if value in codes:
                return value
            found = gaz.find_category(value)
            return found.value if found else None
        if entity == "rating":
            return int(value) if value in ("1", "2", "3") else None
        return None
