"""Every browser URL for every kind of user: allowed, or 302 / 403 / 404 as fitting.

Users come from the demo data: bexley-team (place team, Bexley), secretariat (Bexley, read only),
hr-recruiter (Bexley and Greenwich, read only in the browser), ics-admin (all of South East
London), a superuser, a signed-in user with no membership, and nobody signed in.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from roles.models import Role, RoleStatus, RoleType, SpatialLevel

pytestmark = pytest.mark.django_db

USERS = ["anonymous", "nobody", "bexley-team", "secretariat", "hr-recruiter", "ics-admin", "superuser"]

READ = {
    "anonymous": 302,
    "nobody": 404,
    "bexley-team": 200,
    "secretariat": 200,
    "hr-recruiter": 200,
    "ics-admin": 200,
    "superuser": 200,
}
EDIT = {**READ, "secretariat": 403, "hr-recruiter": 403}
GREENWICH = {**READ, "bexley-team": 404, "secretariat": 404}
OTHER_ICS = {**READ, "bexley-team": 404, "secretariat": 404, "hr-recruiter": 404, "ics-admin": 404}
HOME = {
    "anonymous": 302,
    "nobody": 200,
    "bexley-team": 302,
    "secretariat": 302,
    "hr-recruiter": 200,
    "ics-admin": 200,
    "superuser": 200,
}


@pytest.fixture
def people(demo):
    User = get_user_model()
    User.objects.create_user("nobody", password="x-pass-2022")
    User.objects.create_superuser("superuser", password="x-pass-2022")
    return {name: User.objects.filter(username=name).first() for name in USERS}


@pytest.fixture
def as_user(client, people):
    def login(name):
        client.logout()
        if name != "anonymous":
            client.force_login(people[name])
        return client

    return login


@pytest.fixture
def urls(demo):
    bexley_role = Role.objects.get(place__slug="bexley", title="Frailty including Care Homes")
    bexley_role.description_document.save("frailty.txt", ContentFile(b"Frailty including Care Homes: role description"))
    greenwich_role = Role.objects.create(
        place=bexley_role.place.ics.places.get(slug="greenwich"),
        title="Greenwich Cancer Lead",
        role_type=RoleType.CLINICAL,
        spatial_level=SpatialLevel.objects.get(slug="place"),
        sessions_per_week=1,
        rate_per_session=16400,
        start_date="2022-04-04",
    )
    cplg = Role.objects.get(title="CPLG Chair")
    template = bexley_role.place.ics.template_roles.get(title="Other roles e.g. Frailty")
    return {
        "bexley_role": bexley_role,
        "greenwich_role": greenwich_role,
        "read": [
            reverse("roles:dashboard", args=["bexley"]),
            reverse("roles:dashboard", args=["bexley"]) + "?year=2021",
            reverse("roles:role_list", args=["bexley"]),
            reverse("roles:role_detail", args=["bexley", bexley_role.pk]),
            reverse("roles:role_document", args=["bexley", bexley_role.pk]),
            reverse("roles:template_comparison", args=["bexley"]),
        ],
        "edit": [
            reverse("roles:role_create", args=["bexley"]),
            reverse("roles:role_edit", args=["bexley", bexley_role.pk]),
            reverse("roles:place_setup", args=["bexley"]),
            reverse("roles:role_import", args=["bexley"]),
        ],
        "greenwich": [
            reverse("roles:dashboard", args=["greenwich"]),
            reverse("roles:role_list", args=["greenwich"]),
            reverse("roles:role_detail", args=["greenwich", greenwich_role.pk]),
            reverse("roles:template_comparison", args=["greenwich"]),
        ],
        "other_ics": [
            reverse("roles:dashboard", args=["jucd-system"]),
            reverse("roles:role_list", args=["jucd-system"]),
            reverse("roles:role_detail", args=["jucd-system", cplg.pk]),
        ],
        "reason_posts": [
            reverse("roles:role_variation_reason", args=["bexley", bexley_role.pk]),
            reverse("roles:omission_reason", args=["bexley", template.pk]),
        ],
    }


@pytest.mark.parametrize("user", USERS)
def test_home(as_user, user):
    assert as_user(user).get(reverse("home")).status_code == HOME[user]


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(
    "group, expected", [("read", READ), ("edit", EDIT), ("greenwich", GREENWICH), ("other_ics", OTHER_ICS)]
)
def test_pages(as_user, urls, user, group, expected):
    client = as_user(user)
    for url in urls[group]:
        response = client.get(url)
        assert response.status_code == expected[user], url
        if expected[user] == 302:
            assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("user", USERS)
def test_reason_posts(as_user, urls, user):
    client = as_user(user)
    role = urls["bexley_role"]
    before = role.variation_reason
    for url in urls["reason_posts"]:
        response = client.post(url, {"reason": "Asked for by the LCP Forum", "version": role.version})
        expected = 302 if EDIT[user] in (200, 302) else EDIT[user]
        assert response.status_code == expected, url
    role.refresh_from_db()
    changed = role.variation_reason == "Asked for by the LCP Forum"
    assert changed == (EDIT[user] == 200)
    if not changed:
        assert role.variation_reason == before


@pytest.mark.parametrize("user", USERS)
def test_creating_a_role(as_user, urls, user):
    client = as_user(user)
    count = Role.objects.count()
    response = client.post(
        reverse("roles:role_create", args=["bexley"]),
        {
            "title": "Digital Lead",
            "role_type": RoleType.CLINICAL_CARE,
            "spatial_level": SpatialLevel.objects.get(slug="place").pk,
            "sessions_per_week": "1",
            "rate_per_session": "16400",
            "start_date": "2022-10-01",
        },
    )
    if EDIT[user] == 200:
        assert response.status_code == 302
        assert Role.objects.count() == count + 1
    else:
        assert response.status_code == EDIT[user]
        assert Role.objects.count() == count


@pytest.mark.parametrize("user", USERS)
def test_signing_off_descriptions_from_the_board(as_user, urls, user):
    role = Role.objects.get(place__slug="bexley", title="Quality and Safety")  # proposed, not signed off
    response = as_user(user).post(
        reverse("roles:descriptions_sign_off", args=["bexley"]), {"roles": [role.pk], "signed_off_on": "18/02/2022"}
    )
    expected = 302 if EDIT[user] in (200, 302) else EDIT[user]
    assert response.status_code == expected
    role.refresh_from_db()
    assert (role.description_signed_off_on is not None) == (EDIT[user] == 200)


@pytest.mark.parametrize("user", USERS)
def test_setting_up_and_importing_roles(as_user, urls, user):
    client = as_user(user)
    count = Role.objects.count()
    csv = SimpleUploadedFile("roles.csv", b"title,type,sessions,start\nDigital Lead,Clinical,1,04/04/2022\n")
    response = client.post(reverse("roles:role_import", args=["bexley"]), {"file": csv, "import": "1"})
    expected = 302 if EDIT[user] in (200, 302) else EDIT[user]
    assert response.status_code == expected
    assert Role.objects.count() == count + (EDIT[user] == 200)
    response = client.post(reverse("roles:place_setup", args=["bexley"]), {"save": "1"})
    assert response.status_code == (400 if EDIT[user] == 200 else EDIT[user])


def test_a_role_of_another_place_is_not_found_under_this_place(as_user, urls):
    """Even for a user who may see both places: the URL must name the role's own place."""
    greenwich_role = urls["greenwich_role"]
    client = as_user("ics-admin")
    for name in ("roles:role_detail", "roles:role_edit", "roles:role_document"):
        assert client.get(reverse(name, args=["bexley", greenwich_role.pk])).status_code == 404
    response = client.post(
        reverse("roles:role_variation_reason", args=["bexley", greenwich_role.pk]), {"reason": "leak"}
    )
    assert response.status_code == 404
    greenwich_role.refresh_from_db()
    assert greenwich_role.variation_reason == ""


def test_an_unknown_role_id_or_place_is_404(as_user, demo):
    client = as_user("bexley-team")
    assert client.get(reverse("roles:role_detail", args=["bexley", 999999])).status_code == 404
    assert client.get(reverse("roles:dashboard", args=["no-such-place"])).status_code == 404


def test_the_document_of_a_role_without_one_is_404(as_user, demo):
    role = Role.objects.get(place__slug="bexley", title="Cancer (including living with and beyond)")
    assert as_user("bexley-team").get(reverse("roles:role_document", args=["bexley", role.pk])).status_code == 404


def test_the_document_downloads_with_its_content(as_user, urls):
    response = as_user("secretariat").get(reverse("roles:role_document", args=["bexley", urls["bexley_role"].pk]))
    assert b"".join(response.streaming_content) == b"Frailty including Care Homes: role description"


def test_logout_is_a_post_and_ends_the_session(as_user, demo):
    client = as_user("bexley-team")
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("roles:dashboard", args=["bexley"])).status_code == 302


def test_login_page_is_open_and_a_wrong_password_is_refused(client, demo):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "bexley-team", "password": "wrong"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


# --- The workflow's URLs ---------------------------------------------------------------------------

# Moving a role: place team and ICS administrators make every move; HR recruiters the recruitment
# moves (shortlisting to contract, not appointed); the secretariat none.
APPROVE = {**EDIT}
SHORTLIST = {**EDIT, "hr-recruiter": 200}


def test_the_board_is_readable_by_everyone_who_may_see_the_place(as_user, urls):
    for user in USERS:
        response = as_user(user).get(reverse("roles:board", args=["bexley"]))
        assert response.status_code == READ[user], user
    assert as_user("bexley-team").get(reverse("roles:board", args=["jucd-system"])).status_code == 404


@pytest.mark.parametrize("user", USERS)
def test_the_move_pages(as_user, urls, user):
    proposed = Role.objects.get(place__slug="bexley", title="Quality and Safety")
    interviewing = Role.objects.get(place__slug="bexley", title="Workforce Strategy, Resilience, Development")
    client = as_user(user)
    approve = client.get(reverse("roles:role_move", args=["bexley", proposed.pk, "approved"]))
    assert approve.status_code == APPROVE[user]
    not_appointed = client.get(reverse("roles:role_move", args=["bexley", interviewing.pk, "not_appointed"]))
    assert not_appointed.status_code == SHORTLIST[user]


@pytest.mark.parametrize("user", USERS)
def test_a_bulk_move(as_user, urls, user):
    roles = Role.objects.filter(place__slug="bexley", status=RoleStatus.INTERVIEWING)
    response = as_user(user).post(
        reverse("roles:bulk_move", args=["bexley"]),
        {"roles": [r.pk for r in roles], "to": RoleStatus.WITHDRAWN, "reason": "Paused for the ICB"},
    )
    withdrawn = Role.objects.filter(place__slug="bexley", status=RoleStatus.WITHDRAWN).count()
    if EDIT[user] == 200:
        assert response.status_code == 302 and withdrawn == 2
    else:
        assert response.status_code == EDIT[user] and withdrawn == 0


@pytest.mark.parametrize(
    ("user", "places"),
    [
        ("nobody", set()),
        ("bexley-team", {"bexley"}),
        ("secretariat", {"bexley"}),
        ("hr-recruiter", {"bexley", "greenwich"}),
        ("ics-admin", {"bexley", "greenwich"}),
        ("superuser", {"bexley", "greenwich", "jucd-system"}),
    ],
)
def test_roles_visible_to_each_user(people, urls, user, places):
    assert set(Role.objects.visible_to(people[user]).values_list("place__slug", flat=True)) == places
