"""Calendar invitations (.ics) for interview slots, with the icalendar library."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Application, InterviewSlot


def slot_invitation(slot: InterviewSlot, application: Application | None, *, show_name: bool) -> bytes:
    """One VEVENT for the slot. The candidate's name is in it only where the reader may see it."""
    role = slot.round.role
    calendar = Calendar()
    calendar.add("prodid", "-//Clinical and Care Professional Leadership//Interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"interview-slot-{slot.pk}@{settings.CALENDAR_DOMAIN}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    who = ""
    if application is not None:
        who = f": {application.person.name}" if show_name else f": {application.label}"
    event.add("summary", f"Interview – {role.title} ({role.place}){who}")
    where = slot.room or slot.video_link or "To be confirmed"
    event["location"] = vText(where)
    lines = [f"Interview for {role.title}, {role.place}, round {slot.round.number}."]
    if slot.video_link:
        lines.append(f"Video link: {slot.video_link}")
        event.add("url", slot.video_link)
    event.add("description", "\n".join(lines))
    if application is not None and show_name and application.person.email:
        attendee = vCalAddress(f"mailto:{application.person.email}")
        attendee.params["cn"] = vText(application.person.name)
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
