"""Compaction: the split, the offline summary keeps what was planted, the CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.conversations import PLANTED, START, agent, planted, tool_result, user

from clawmemory.cli.main import main
from clawmemory.context import compaction, summary
from clawmemory.context.extractive import OfflineSummarizer
from clawmemory.context.messages import parse_messages
from clawmemory.context.tokens import TokenEstimator
from clawmemory.errors import InvalidInput


def _compact(raw):
    return compaction.compact(parse_messages(raw), None, OfflineSummarizer(), TokenEstimator())


def _has(items, phrase):
    return any(phrase.lower() in item.lower() for item in items)


def test_offline_summary_keeps_every_planted_item():
    result = _compact(planted())
    assert result.compacted and result.summarizer == "offline"
    for section, phrases in PLANTED.items():
        for phrase in phrases:
            assert _has(result.sections[section], phrase), (section, phrase, result.sections[section])
            assert phrase in result.summary_text
    # every planted item sits in the older half, which is what was summarised
    older_text = json.dumps(planted()[: result.split])
    assert all(p in older_text for ps in PLANTED.values() for p in ps)


def test_the_summary_keeps_what_only_code_a_list_line_or_a_clause_says():
    said = [
        ("Deploy notes:\n```diff\n- replicas: 3\n+ replicas: 5\n```", "Noted."),
        ("Guests so far:\n- 40 adults\n- 6 kids under ten\n- Uncle Bram uses a wheelchair", "Got it."),
        ("That's lovely, but only vegetarian catering, half the family is vegan.", "Understood."),
    ]
    raw = []
    for n, (question, answer) in enumerate(said):
        at = START + timedelta(minutes=2 * n)
        raw += [user(question, at), agent(answer, at + timedelta(seconds=30))]
    summary_text = " ".join(summary.render(OfflineSummarizer().summarize(parse_messages(raw))).split())
    for phrase in ("replicas: 3 -> 5", "Uncle Bram uses a wheelchair", "only vegetarian catering"):
        assert phrase in summary_text, (phrase, summary_text)


def test_summary_has_the_sections_and_the_result_has_openclaw_shape():
    result = _compact(planted())
    head, ack = result.messages[:2]
    assert head["role"] == "user" and summary.is_summary(head["content"][0]["text"])
    assert ack["role"] == "assistant" and ack["content"][0]["text"] == summary.ACK
    assert result.messages[2:] == planted()[result.split :]
    text = result.summary_text
    for title in (
        "## Q&A log",
        "## Decisions",
        "## Commitments",
        "## Open questions",
        "## Preferences",
        "## Tool actions",
    ):
        assert title in text
    assert result.tokens_after < result.tokens_before
    assert "read_file" in " ".join(result.sections["tool_actions"])
    assert any("Answered" in q for q in result.sections["qa_log"])


def test_split_moves_to_a_user_message_and_never_separates_a_tool_call_from_its_result():
    t = START
    step = lambda n=1: t + timedelta(minutes=n)  # noqa: E731
    raw = [
        user("start", step(1)),
        agent("ok", step(2)),
        user("run it", step(3)),
        agent("", step(4), [("c1", "exec", {"cmd": "a"})]),
        # an ephemeral internal user message between a call and its result is no split point
        user("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> tool ran", step(5)),
        tool_result("c1", "exec", "done", step(6)),
        agent("", step(7), [("c2", "exec", {"cmd": "b"})]),
        tool_result("c2", "exec", "done", step(8)),
        agent("finished", step(9)),
        user("next", step(10)),
        agent("sure", step(11)),
    ]
    msgs = parse_messages(raw)
    cut = compaction.split_point(msgs)
    assert cut == 9 and msgs[cut].role == "user"
    older_calls = {c.id for m in msgs[:cut] for c in m.tool_calls}
    newer_results = {m.tool_call_id for m in msgs[cut:] if m.role == "toolResult"}
    assert not older_calls & newer_results


def test_split_property_over_many_shapes():
    import random

    rng = random.Random(3)
    for trial in range(200):
        raw, t, pending = [], START, []
        for i in range(rng.randint(4, 40)):
            t += timedelta(seconds=30)
            r = rng.random()
            if r < 0.3 and not pending:
                raw.append(user(f"q{i}", t))
            elif r < 0.55:
                cid = f"c{trial}-{i}"
                raw.append(agent("", t, [(cid, "exec", {})]))
                pending.append(cid)
            elif pending and r < 0.85:
                raw.append(tool_result(pending.pop(0), "exec", "out", t))
            else:
                raw.append(agent(f"a{i}", t))
        msgs = parse_messages(raw)
        cut = compaction.split_point(msgs)
        if cut is None:
            continue
        assert msgs[cut].role == "user" and 0 < cut < len(msgs)
        called_before = {c.id for m in msgs[:cut] for c in m.tool_calls}
        assert not any(m.tool_call_id in called_before for m in msgs[cut:] if m.role == "toolResult")


def test_too_few_messages_or_no_split_point_compacts_nothing():
    assert not _compact([user("hi", START), agent("hello", START)]).compacted
    only_tools = [agent("", START, [("c", "exec", {})]), tool_result("c", "exec", "x", START)] * 3
    result = _compact(only_tools)
    assert result.ok and not result.compacted and "split" in result.reason


def test_second_compaction_carries_the_first_summarys_items():
    first = _compact(planted(turns_after=30))
    later = (
        first.messages
        + [
            user("Another question about the webhook?", START + timedelta(days=1)),
            agent("Sure.", START + timedelta(days=1, minutes=1)),
        ]
        * 20
    )
    second = _compact(later)
    assert second.compacted
    for section, phrases in PLANTED.items():
        for phrase in phrases:
            assert _has(second.sections[section], phrase), (section, phrase)
    assert second.summary_text.count(summary.BANNER) == 1


def test_parse_is_the_inverse_of_render():
    sections = _compact(planted()).sections
    assert summary.parse(summary.render(sections)) == sections


def test_cli_compact_prints_the_summary_json(tmp_path, capsys, home):
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(planted()))
    out = tmp_path / "kept.json"
    assert main(["context", "compact", "--messages", str(path), "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summarizer"] == "offline" and data["counts"]["decisions"] >= 2
    assert _has(data["sections"]["preferences"], "never use emojis in commit messages")
    assert json.loads(out.read_text())[1]["content"][0]["text"] == summary.ACK


def test_cli_rejects_bad_files(tmp_path, capsys, home):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["context", "compact", "--messages", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    bad.write_text(json.dumps([{"role": "system", "content": "x"}]))
    assert main(["context", "compact", "--messages", str(bad)]) == 2
    assert "messages[0].role" in capsys.readouterr().err


def test_unknown_summarizer_is_invalid(engine):
    with pytest.raises(InvalidInput):
        engine.context_compact_messages(planted(), summarizer="magic")
    with pytest.raises(InvalidInput):  # no LLM configured
        engine.context_compact_messages(planted(), summarizer="llm")


def _said(*pairs: tuple[str, str]) -> list[dict]:
    raw = []
    for n, (said, answer) in enumerate(pairs):
        at = START + timedelta(minutes=2 * n)
        raw += [user(said, at), agent(answer, at + timedelta(seconds=30))]
    return raw


DURABLE = ("decisions", "commitments", "open_questions", "preferences", "key_facts")


def test_the_offline_summary_keeps_every_substantive_line_and_drops_greetings_and_thanks():
    raw = [
        user("Evening! etsy shop notes. mugs 28 eur.", START),
        agent("Got it. Shipping via PostNL?", START + timedelta(seconds=30)),
        user("DHL. best seller = speckled blue glaze.", START + timedelta(minutes=1)),
        agent("Here is the table of glaze sales.", START + timedelta(minutes=2)),
        user("Thanks for the table. + UK now. maybe a stall in June, depends on stock.", START + timedelta(minutes=3)),
        agent("I can make a packing list for the stall.", START + timedelta(minutes=4)),
        user("Yes please.", START + timedelta(minutes=5)),
        agent("Done.", START + timedelta(minutes=6)),
    ]
    text = " ".join(summary.render(OfflineSummarizer().summarize(parse_messages(raw))).split())
    for phrase in (
        "Shipping via PostNL: DHL.",  # a terse answer, with the question's subject
        "best seller = speckled blue glaze",  # a value line without "I"
        "+ UK now.",
        "maybe a stall in June",  # a hedged plan
        "Agent: I can make a packing list",  # an offer the user accepted
    ):
        assert phrase in text, (phrase, text)
    assert "Evening" not in text and "Thanks for the table" not in text


def test_the_classified_lines_fill_the_budget_by_confidence():
    raw = _said(
        ("The kitchen budget is 18,000 euros and not a cent more.", "Noted."),
        ("We decided on terracotta tiles for the kitchen floor.", "Nice choice."),
        ("best seller = speckled blue glaze.", "Good."),
        ("parents evening stuff, slinky demos went down well.", "Great."),
    )
    tokens = TokenEstimator()
    roomy = OfflineSummarizer(tokens=tokens).summarize(parse_messages(raw))
    lines = [line for key in DURABLE for line in roomy.get(key, [])]
    assert len(lines) == 4, roomy
    costs = {line: tokens.text(f"- {line}\n") for line in lines}
    tight = OfflineSummarizer(tokens=tokens, share=0.0, floor=sum(costs.values()) - 1)
    kept = [line for key in DURABLE for line in tight.summarize(parse_messages(raw)).get(key, [])]
    assert sum(costs[line] for line in kept) <= tight.floor
    # the residual lines (no durable item) go first; the durable ones stay
    assert any("18,000 euros" in line for line in kept) and any("terracotta" in line for line in kept)
    assert len(kept) == 3, kept


def test_a_long_sentence_is_kept_whole_over_several_lines():
    from clawmemory.context.extractive import MAX_ITEM, _lines
    from clawmemory.formation.classifier import Item

    formal = (
        "I had better set down the particulars of the boat, which, as we have not discussed it before, "
        "deserve some care: she is a 1998 Westerly Konsort, sail number GBR 4471, which I bought from a "
        "broker in Lymington two summers ago and which now lies on a swinging mooring off Bucklers Hard, "
        "where the harbour dues come to a little under £900 a year."
    )
    lines = _lines(Item("fact", formal, "user", 0, None, 0.8))
    assert len(lines) > 1 and all(len(line) <= MAX_ITEM + len("User: … ") for line in lines)
    assert "a little under £900 a year" in lines[-1]  # the clause at the end is kept, not cut off
    dictated = "so the plan is " + " ".join(["we walk the dog then"] * 20) + " and the vet is on the 9th"
    assert "the vet is on the 9th" in _lines(Item("fact", dictated, "user", 0, None, 0.5))[-1]


def _text(raw) -> str:
    return " ".join(summary.render(OfflineSummarizer().summarize(parse_messages(raw))).split())


def test_a_reply_that_picks_an_option_or_turns_one_down_is_no_acknowledgement():
    text = _text(
        _said(
            ("moving the wiki this week.", "Hosting: managed cloud or self-hosted?"),
            ("self-hosted.", "Cafés here may not open on Sunday unless they are in a tourist zone."),
            ("Fine. then no Sunday.", "Here is the checklist for the move."),
            ("Thanks for the checklist.", "You're welcome."),
        )
    )
    assert "self-hosted." in text.split("Key facts", 1)[-1]  # an option of the question it answers
    assert "then no Sunday." in text  # turns down what the agent said
    assert "Thanks for the checklist" not in text  # only repeats the agent: an acknowledgement
    offered = "Two ways to post fixtures: 1. a shared calendar 2. an email digest. Which do you prefer?"
    assert "email digest" in _text(_said(("the club needs a way to share fixtures", offered), ("email digest", "OK.")))


def test_a_statement_is_no_repeat_of_a_line_the_summary_keeps_only_as_context():
    # the agent's lines, accepted by "okay", are residual context: the user's "no Sundays" still counts
    text = _text(_said(("Shop hours again.", "Shops here must close on Sundays."), ("okay then no Sundays", "Noted.")))
    assert "okay then no Sundays" in text and "Agent: Shops here must close on Sundays." in text


def test_a_dictated_run_on_is_cut_where_a_clause_starts():
    from clawmemory.context.extractive import MAX_ITEM, _lines
    from clawmemory.formation.classifier import Item

    said = "and the follow-up is in six weeks on the third of may"
    head = "so the appointment went fine the nurse took bloods " * 6
    dictated = head[:270].rsplit(" ", 1)[0] + " " + said + " and i need to fast before it"
    assert dictated.index(said) < MAX_ITEM < dictated.index(said) + len(said)  # a cut at the limit splits it
    lines = _lines(Item("fact", dictated, "user", 0, None, 0.7))
    assert len(lines) == 2 and any(said in line for line in lines), lines
    assert all(len(line) <= MAX_ITEM + len("User: … ") for line in lines)


def test_the_q_and_a_log_keeps_the_question_of_a_long_message():
    long = (
        "Right, the field plan: Mateo takes the cores on the north slope, I take the lab work and the stats, "
        "and the interim report goes out without the third site. Do we keep four cores per plot, or pool "
        "them to two to save on sequencing?"
    )
    sections = OfflineSummarizer().summarize(
        parse_messages(_said((long, "Keep them separate if the budget allows."), ("Is 3 enough?", "Yes.")))
    )
    log = sections["qa_log"]
    assert "Do we keep four cores per plot, or pool them to two to save on sequencing?" in log[0], log
    assert log[1].startswith("User asked: Is 3 enough? →")  # a short message is logged whole


def test_a_header_or_title_that_says_more_than_it_announces_is_kept():
    text = _text(
        _said(
            ("the caretaker (Bogdan) asked for:\n```\nquiet_hours: 22-07\n```", "Noted."),
            ("Updated plan:\n- paint the hall on 3 May\n- tiles on 9 May", "Got it."),
            ("Subject: Boiler service moved to Thursday\n\nThe engineer rang.", "Noted."),
            ("## Notes\nThe engineer needs the loft key.", "OK."),
        )
    )
    assert "the caretaker (Bogdan) asked for:" in text and "quiet_hours: 22-07" in text
    assert "Updated plan" not in text and "paint the hall on 3 May" in text
    assert "Subject: Boiler service moved to Thursday" in text and "## Notes" not in text


def test_the_lines_of_a_short_paste_that_state_something_are_kept():
    text = _text(
        _said(("Router forwards:\n```\n8080/tcp -> 10.0.0.5   # grafana\n25565/tcp -> 10.0.0.9\nlan:\n```", "OK."))
    )
    assert "8080/tcp -> 10.0.0.5 # grafana" in text and "25565/tcp -> 10.0.0.9" in text
    assert "User: lan:" not in text


def test_a_yes_accepts_a_proposal_that_only_asks_whether_it_is_right():
    proposal = "Then a managed Redis 7 cache in front of the API rather than the in-process one."
    accepted = _text(_said(("The API is slow at peak.", f"{proposal} OK?"), ("yes, do that.", "Done.")))
    assert f"Agent: {proposal}" in accepted
    asked = _text(_said(("The API is slow at peak.", f"{proposal} Which region?"), ("yes, do that.", "Done.")))
    assert "managed Redis 7 cache" not in asked  # "yes" does not answer "Which region?"


def test_compaction_keeps_a_sentence_whole_that_formation_splits_into_clauses():
    from clawmemory.formation.classifier import Classifier, Utterance

    said = "The kiln fires on Sundays now, and the glaze class moved to 7pm."
    turns = [Utterance("user", said, 0), Utterance("assistant", "Noted.", 1)]
    assert len(Classifier().items(turns)) == 2  # formation: two facts, so that one can change alone
    assert f"User: {said}" in _text(_said((said, "Noted.")))  # compaction: the user's own words, one line


def test_compaction_keeps_what_a_list_enumerates_even_when_no_line_of_it_is_an_item():
    packing = "Packing list so far:\n- warm jacket for the evenings\n- hiking boots and thick socks\n- sunscreen"
    text = _text(_said(("off to the Dolomites next month.", "What do you need for the trip?"), (packing, "Noted.")))
    for line in ("warm jacket for the evenings", "hiking boots and thick socks", "User: sunscreen"):
        assert line in text, (line, text)


def test_a_short_refusal_is_kept_and_is_no_repeat_of_what_it_refuses():
    text = _text(
        _said(
            ("We take the train to Keswick on Saturday.", "Reminder set for the boiler service too."),
            ("Thanks. ping her not me.", "OK."),  # one content word, but it turns something down
            ("Change of plan, Tom drives us. no train.", "Noted."),  # the train's words, negated: no repeat
        )
    )
    assert "ping her not me." in text and "no train." in text, text
