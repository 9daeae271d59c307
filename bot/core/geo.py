"""Distances between a WeChat location (GCJ-02) and alley geometry, good to a few metres at city scale."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6_371_000.0
Point = tuple[float, float]  # (lat, lng)


def _to_xy(p: Point, lat0: float) -> tuple[float, float]:
    # Equirectangular projection around the query point: errors stay far below a metre over a few km.
    return (math.radians(p[1]) * EARTH_RADIUS_M * math.cos(math.radians(lat0)),
            math.radians(p[0]) * EARTH_RADIUS_M)


def distance_to_polyline(point: Point, polyline: Sequence[Point]) -> float:
    px, py = _to_xy(point, point[0])
    best = math.inf
    xy = [_to_xy(p, point[0]) for p in polyline]
    for (ax, ay), (bx, by) in itertools.pairwise(xy):
        dx, dy = bx - ax, by - ay
        seg = dx * dx + dy * dy
        t = 0.0 if seg == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / seg))
        best = min(best, math.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best
