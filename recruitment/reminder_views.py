"""The signed-in user's reminders: what was sent to them, and what could not be, newest first.

Anyone signed in has this page; it lists their own reminders only (`reminders.reminders_of`), in a
fixed number of queries per page. Failed ones say why; HR recruiters and ICS administrators retry
them from the admin (Reminders).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from .models import Reminder
from .reminders import reminders_of

PER_PAGE = 25
SHOWN = {"sent": Reminder.Status.SENT, "failed": Reminder.Status.FAILED}


@require_GET
def my_reminders(request):
    reminders = reminders_of(request.user)
    shown = request.GET.get("status", "")
    if shown in SHOWN:
        reminders = reminders.filter(status=SHOWN[shown])
    else:
        shown = ""
    page = Paginator(reminders, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "recruitment/my_reminders.html", {"page": page, "shown": shown})


urlpatterns = [
    path("reminders/", my_reminders, name="my_reminders"),
]
