"""The demo shared by a module's tests (conftest's `ModuleDemo`): each test sees it as loaded, whatever
the test before it changed, and a test that asks for no demo sees none of it.

The tests are written in an order the conftest changes (the governance demo's first, then the demo's,
then the rest), so whichever order they run in, each finds only what it asked for.
"""

from __future__ import annotations

import pytest

from governance.models import Board
from roles.models import Place, Role
from tests import conftest

pytestmark = pytest.mark.django_db


def bexley_roles() -> int:
    """Bexley's roles of the ICS model: Table 3's 22 in the demo."""
    return Role.objects.filter(place__slug="bexley", predates_ics_model=False).count()


def test_without_a_demo_a_test_sees_none_of_it():
    assert not Place.objects.filter(slug="bexley").exists()


def test_a_test_may_change_the_demo(demo):
    assert bexley_roles() == 22 and not Board.objects.exists()
    Role.objects.update(title="Changed by a test")
    Place.objects.filter(slug="greenwich").update(slug="changed")


def test_the_next_test_sees_the_demo_whole(demo):
    assert bexley_roles() == 22 and not Board.objects.exists()
    assert not Role.objects.filter(title="Changed by a test").exists()
    assert Place.objects.filter(slug="greenwich").exists()


def test_the_governance_demo_holds_the_boards_too(governance_demo):
    assert bexley_roles() == 22 and Board.objects.filter(place__slug="bexley").exists()
    Board.objects.filter(place__slug="bexley", name="Bexley Strategic Board").update(name="Changed by a test")


def test_the_governance_demo_is_whole_again(governance_demo):
    assert Board.objects.filter(place__slug="bexley").exists()
    assert not Board.objects.filter(name="Changed by a test").exists()


def test_a_later_test_without_a_demo_sees_none_of_it_either():
    assert not Place.objects.exists() and not Board.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_loads_its_own_demo(demo):
    assert bexley_roles() == 22


class Item:
    def __init__(self, module, fixtures, transactional=False):
        self.module, self.fixturenames, self.transactional = module, fixtures, transactional

    def get_closest_marker(self, name):
        return pytest.mark.django_db(transaction=self.transactional).mark


def test_a_modules_tests_are_put_in_the_order_that_loads_each_demo_once():
    one, two = object(), object()
    items = [
        first := Item(one, ["db"]),
        demo_a := Item(one, ["demo", "db"]),
        governance := Item(one, ["governance_demo", "db"]),
        demo_b := Item(one, ["demo", "db"]),
        other := Item(two, ["demo"]),
        transactional := Item(two, ["demo"], transactional=True),
        other_governance := Item(two, ["governance_demo"]),
    ]
    conftest._demo_sharers_together(items)
    assert items == [governance, demo_a, demo_b, first, other_governance, other, transactional]
