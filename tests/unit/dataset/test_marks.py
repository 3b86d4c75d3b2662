"""Where reads of the features topic reached: the marks and the starts they give."""

from __future__ import annotations

import pytest

from streamops.dataset import marks as marks_module
from streamops.dataset.marks import Marks, sample_reach


@pytest.fixture(autouse=True)
def every_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marks_module, "EVERY", 3)


def test_a_read_is_sampled_with_the_newest_event_time_so_far() -> None:
    # partition 0: offsets 0..6, one record out of order (event time 5 after 40)
    times = [10, 20, 40, 5, 50, 60, 55]
    reach = sample_reach([(0, o, t) for o, t in enumerate(times)] + [(1, 7, 99)])
    assert reach == {0: [(3, 40), (6, 60), (7, 60)], 1: [(8, 99)]}


def test_a_start_is_the_last_mark_older_than_wanted() -> None:
    m = Marks()
    m.learn({0: 0, 1: 0}, {0: [(3, 40), (6, 50), (7, 60)], 1: [(8, 99)]})
    assert m.starts(45) == {0: 3}  # every record before offset 3 is older than 45
    assert m.starts(50) == {0: 3}  # offset 6 follows a record of 50: not older
    assert m.starts(51) == {0: 6}
    assert m.starts(40) == {}  # nothing known to be older: read from the first offset
    assert m.starts(100) == {0: 7, 1: 8}
    assert m.newest() == 99


def test_a_read_from_a_mark_carries_what_came_before_it() -> None:
    m = Marks()
    m.learn({0: 0}, {0: [(3, 40), (6, 50)]})
    # read again from offset 3: its own records reach only 30 at first, but those before
    # offset 3 reached 40 already
    m.learn({0: 3}, {0: [(6, 30), (9, 70)]})
    assert m.by_partition[0] == [(3, 40), (6, 40), (9, 70)]
    assert m.starts(41) == {0: 6}


def test_a_read_from_between_two_marks_forgets_the_partition() -> None:
    m = Marks()
    m.learn({0: 0, 1: 0}, {0: [(3, 40), (6, 50)], 1: [(3, 10)]})
    m.learn({0: 4, 1: 3}, {0: [(7, 60)], 1: [(6, 20)]})
    assert 0 not in m.by_partition  # what offset 3 held is known, offset 4's not
    assert m.by_partition[1] == [(3, 10), (6, 20)]
    assert m.starts(100) == {1: 6}


def test_nothing_learned_gives_no_start() -> None:
    assert Marks().starts(10**15) == {} and Marks().newest() is None
