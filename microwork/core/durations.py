"""Durations as people say them (MW02: tasks of seconds beside tasks of hours)."""

from django.utils.translation import gettext as _


def duration_label(seconds: int) -> str:
    """30 s, 10 min, 1 min 30 s, 2 h, 1 h 15 min."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(_("%(count)s h") % {"count": hours})
    if minutes:
        parts.append(_("%(count)s min") % {"count": minutes})
    if secs or not parts:
        parts.append(_("%(count)s s") % {"count": secs})
    return " ".join(parts)
