"""The shared classifier of durable items: dialogue structure, not cue words alone."""

from clawmemory.formation.classifier import Classifier, Utterance, values


def _items(*turns: tuple[str, str]):
    return Classifier().items([Utterance(role, text, i) for i, (role, text) in enumerate(turns)])


def test_a_bare_answer_inherits_the_subject_of_the_question():
    items = _items(("user", "nightly pg_dump to s3."), ("assistant", "Retention?"), ("user", "30 days."))
    fact = [i for i in items if i.seq == 2]
    assert fact and fact[0].kind == "fact" and fact[0].text == "Retention: 30 days."


def test_the_agent_echoing_the_user_is_not_a_new_item():
    items = _items(
        ("user", "The maintenance window is Sunday 03:00-05:00 UTC."), ("assistant", "Noted, Sunday 03:00-05:00 UTC.")
    )
    assert [i.seq for i in items] == [0]


def test_requests_and_information_questions_are_not_durable_but_deliberation_is():
    items = _items(
        ("user", "Can you explain what a tempo run is?"),
        ("assistant", "A sustained effort at about race pace."),
        ("user", "Should we keep the backups in S3 or move them to R2?"),
    )
    assert [(i.seq, i.kind) for i in items] == [(2, "question")]


def test_kinds_without_the_old_cue_phrases():
    items = _items(
        ("user", "prod runs on Postgres 14."),
        ("user", "I send the application until March 1."),
        ("user", "no yaml anchors in the ci config pls."),
        ("user", "We bumped the minimum to Python 3.12."),
        ("user", "Not sure if we need pgbouncer after the upgrade."),
    )
    assert [i.kind for i in items] == ["fact", "commitment", "preference", "decision", "question"]


def test_agent_commitments_need_a_deliverable_or_a_date_and_a_trailing_unsure_marks_a_question():
    items = _items(
        ("user", "Should parse return a list or a generator? Not sure yet."),
        ("assistant", "I will keep that in mind. I'll review the README before June 20."),
    )
    assert [(i.role, i.kind) for i in items] == [("user", "question"), ("assistant", "commitment")]
    assert "june 20" in items[1].text.lower() and "20" in values(items[1].text)


def test_filler_and_repeats_are_dropped():
    items = _items(
        ("user", "ok thx"),
        ("assistant", "np"),
        ("user", "My flour supplier is Molen de Hoop."),
        ("assistant", "Ok."),
        ("user", "My flour supplier is Molen de Hoop."),
    )
    assert [i.seq for i in items] == [2]
