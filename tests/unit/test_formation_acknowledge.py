"""The agent's acknowledgement of a user's statement: which clause of its reply restates which item."""

from __future__ import annotations

from clawmemory.formation.acknowledge import acknowledged, acknowledgements, indexed
from clawmemory.formation.classifier import Item, Utterance


def test_each_clause_of_a_list_like_reply_goes_to_the_item_it_restates():
    items = [
        "Nadia moved the NAS to 192.168.40.12 after the router swap",
        "guest wifi is Larkspur-Guest now, password on the fridge",
        "printer stays where it was",
    ]
    reply = (
        "Got it: the NAS is at 192.168.40.12, the guest network is called Larkspur-Guest, and the printer is unchanged."
    )
    nas, guest, printer = acknowledgements(reply, items)
    assert "192.168.40.12" in nas and "Larkspur" not in nas
    assert "Larkspur-Guest" in guest and "NAS" not in guest
    assert printer == "and the printer is unchanged."


def test_a_clause_about_something_else_goes_to_no_item():
    items = ["the vet put Pepper on a renal diet", "Biscuit's jabs are due in May"]
    pepper, biscuit = acknowledgements("Pepper is on the renal diet; the clinic closes at six on Fridays.", items)
    assert pepper == "Pepper is on the renal diet" and biscuit == ""


def test_only_the_first_statement_acknowledges_and_questions_never_do():
    items = ["we're tiling the bathroom in March", "budget is 4,500 for the whole room"]
    reply = "Would you like a checklist? Nice project. Budget 4,500 for tiling is realistic in March."
    assert acknowledgements(reply, items) == ["", ""]  # "Nice project." opens it; the advice after it is no ack
    assert acknowledgements("Shall I set a reminder?", ["the boiler service is on 12 June"]) == [""]


def test_one_item_and_one_short_clause_is_acknowledged_whatever_its_words():
    # the user's dialect shares no word with the plain restatement
    [ack] = acknowledgements(
        "So the baby no longer takes a bottle at night.", ["the wean's aff the boattle at nicht noo"]
    )
    assert ack == "So the baby no longer takes a bottle at night."


def test_the_agents_own_commitment_is_its_own_memory_not_a_restatement():
    reply = "Noted, Dr Osei on 14 March; I'll remind you on 13 March."
    [ack] = acknowledgements(reply, ["dentist moved to Dr Osei, 14 March"], own=["I'll remind you on 13 March."])
    assert ack == "Noted, Dr Osei on 14 March"


def test_only_the_reply_right_after_the_users_message_is_read():
    turns = [
        Utterance("user", "the allotment rent went up to £61", 1),
        Utterance("user", "and the shed key is with Maureen", 2),
        Utterance("assistant", "So the rent is now £61 a year and Maureen has the shed key.", 3),
    ]
    items = [
        Item("fact", "the allotment rent went up to £61", "user", 1, None, 0.8),
        Item("fact", "and the shed key is with Maureen", "user", 2, None, 0.8),
    ]
    assert acknowledged(turns, items) == ["", "So the rent is now £61 a year and Maureen has the shed key."]


def test_an_acknowledgement_is_indexed_by_its_content_words():
    assert indexed("So the rent is now £61 a year.") == "rent 61 year"
