"""The load test's users (`make load` runs it headless through scripts/load-test.sh).

Each simulated user signs in as one of `LOAD_USERS` (round robin) and reads the pages a place team
and an ICS administrator use most, at the place `LOAD_PLACE`: the dashboard, the role list, the
board, the template comparison, a role's page, recruitment, plans, boards, what's due, and the
ICS overview (`LOAD_ICS`) for those who may read it. Every response must be 200; anything else
counts as a failure.
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

USERS = itertools.cycle([name for name in os.environ.get("LOAD_USERS", "").split(",") if name])
PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-pass-2022")
PLACE = os.environ.get("LOAD_PLACE", "bexley")
ICS = os.environ.get("LOAD_ICS", "")
ROLE_LINK = re.compile(rf"/places/{re.escape(PLACE)}/roles/(\d+)/")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Reader(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.username = next(USERS)
        page = self.client.get("/accounts/login/", name="sign in (form)")
        token = CSRF.search(page.text).group(1)
        signed_in = self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
            allow_redirects=False,
        )
        if signed_in.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in: {signed_in.status_code}")
        roles = self.client.get(f"/places/{PLACE}/roles/", name="role list")
        self.role_ids = ROLE_LINK.findall(roles.text) or ["0"]
        # The ICS's own pages are for those who oversee it: a place team member is answered 404 there.
        self.sees_ics = False
        if ICS:
            with self.client.get(f"/governance/ics/{ICS}/", name="ICS overview (who may)", catch_response=True) as seen:
                self.sees_ics = seen.status_code == 200
                if seen.status_code == 404:
                    seen.success()

    def page(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {self.username}")

    @task(4)
    def dashboard(self):
        self.page(f"/places/{PLACE}/", "dashboard")

    @task(3)
    def role_list(self):
        self.page(f"/places/{PLACE}/roles/?page={random.randint(1, 5)}", "role list")

    @task(3)
    def board(self):
        self.page(f"/places/{PLACE}/board/", "board")

    @task(2)
    def comparison(self):
        self.page(f"/places/{PLACE}/template/", "template comparison")

    @task(3)
    def role_page(self):
        self.page(f"/places/{PLACE}/roles/{random.choice(self.role_ids)}/", "role page")

    @task(1)
    def recruitment(self):
        self.page(f"/recruitment/places/{PLACE}/", "recruitment")

    @task(1)
    def plans(self):
        self.page(f"/recruitment/places/{PLACE}/plans/", "plans")

    @task(1)
    def boards(self):
        self.page(f"/governance/places/{PLACE}/boards/", "boards")

    @task(1)
    def whats_due(self):
        self.page("/recruitment/due/", "what's due")

    @task(1)
    def ics_overview(self):
        if self.sees_ics:
            self.page(f"/governance/ics/{ICS}/", "ICS overview")
