"""The shared classifier of durable items: dialogue structure, not cue words alone."""

from clawmemory.formation import claims
from clawmemory.formation.classifier import Classifier, Utterance, sentences, unshout, values


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


def test_settings_in_a_users_code_block_are_facts_and_a_diff_is_one_change():
    items = _items(
        (
            "user",
            'Worker config:\n```toml\n[worker]\nconcurrency = 8\nqueue = "jobs_high"\n```\n'
            "Then this diff:\n```diff\n- poll_interval: 15s\n+ poll_interval: 5s\n```",
        ),
        ("assistant", "Like this?\n```python\nworkers = 12\n```"),
    )
    assert [i.text for i in items] == ["concurrency = 8", 'queue = "jobs_high"', "poll_interval: 15s -> 5s"]
    assert {i.role for i in items} == {"user"}  # the agent's code is a suggestion, not a fact


def test_ordinary_code_and_settings_the_prose_says_are_no_new_items():
    items = _items(
        (
            "user",
            "Parser:\n```python\ndef parse(path):\n    return [json.loads(x) for x in open(path)]\n```\n"
            "And\n```yaml\nretries: 4\n```\nWe keep retries at 4 for the flaky upstream.",
        )
    )
    assert [i.text for i in items] == ["We keep retries at 4 for the flaky upstream."]


def test_a_header_is_no_item_and_every_line_of_a_list_of_items_is_one():
    items = _items(
        (
            "user",
            "Our wedding plan, agreed with both families:\n- venue: Old Mill, Zwolle\n- 60 seats\n"
            "- Grandma Ria uses a wheelchair",
        )
    )
    assert [i.text for i in items] == [
        "venue: Old Mill, Zwolle",
        "60 seats",
        "Grandma Ria uses a wheelchair",
    ]


def test_a_name_the_dialogue_used_makes_a_sentence_specific_where_it_starts_it():
    items = _items(("user", "Our twins are Lea and Milo."), ("user", "Milo has a kiwi allergy."))
    assert [i.seq for i in items] == [0, 1]


def test_a_durable_clause_in_a_sentence_and_two_facts_joined_in_one():
    items = _items(
        ("assistant", "Want me to list a few restaurants near the venue?"),
        ("user", "That would be great, but only vegetarian places, the kids are picky."),
        ("user", "The lease runs until 31 January 2027, and the deposit is 2,400 euros."),
    )
    assert [(i.kind, i.text) for i in items] == [
        ("preference", "only vegetarian places, the kids are picky."),
        ("fact", "The lease runs until 31 January 2027"),
        ("fact", "the deposit is 2,400 euros."),
    ]


def test_a_yes_or_no_to_the_agents_question_decides_and_carries_its_subject():
    items = _items(
        ("assistant", "Should I move your receipts to the scanning app?"),
        ("user", "No, keep them on paper, my accountant wants originals."),
    )
    assert [(i.kind, i.text) for i in items] == [
        ("decision", "move receipts scanning app: No, keep them on paper, my accountant wants originals.")
    ]


def test_send_me_is_a_request_only_where_it_starts_a_clause_and_number_words_are_specific():
    items = _items(
        ("user", "They send me about 40 invoices a month."),
        ("user", "Ok, send me the template."),
        ("user", "Max three meetings per day, the rest async."),
    )
    assert [i.seq for i in items] == [0, 2]


def test_a_pasted_dump_of_settings_is_no_list_of_memories():
    dump = "\n".join(f"setting_{n}: {n}" for n in range(20))
    assert _items(("user", f"My whole config:\n```yaml\n{dump}\n```")) == []


def test_a_recurring_weekday_is_specific_and_a_value_of_its_kind():
    from clawmemory.formation import claims

    items = _items(("user", "firing moved to wednesdays, studio share changed."))
    assert [i.seq for i in items] == [0]
    assert claims.parse("kiln firing sundays.").values == {"weekday": frozenset({"sun"})}
    assert claims.parse("thus it works").values == {}  # only full names take the plural


def test_european_thousands_are_a_number_not_a_version():
    from clawmemory.formation import claims

    assert "version" not in claims.parse("The Yaris, for 13.900 after negotiation.").values
    assert claims.parse("We bumped it to 2.10.1").values["version"] == frozenset({"2.10.1"})


def test_residual_lines_are_every_substantive_sentence_and_never_greetings_or_thanks():
    turns = [
        ("user", "Evening! etsy shop notes. mugs 28 eur."),
        ("assistant", "Shipping via PostNL?"),
        ("user", "DHL. best seller = speckled blue glaze."),
        ("assistant", "Here is the table of glaze sales."),
        ("user", "Thanks for the table."),
        ("assistant", "I can make a quiz template in Google Forms."),
        ("user", "Yes please."),
    ]
    utterances = [Utterance(role, text, i) for i, (role, text) in enumerate(turns)]
    durable = {i.text for i in Classifier().items(utterances)}
    every = Classifier().items(utterances, residual=True)
    extra = {i.text: i for i in every if i.text not in durable}
    assert set(extra) == {
        "etsy shop notes.",
        "Shipping via PostNL: DHL.",
        "I can make a quiz template in Google Forms.",
    }, extra
    assert "best seller = speckled blue glaze." in durable  # a value given to a label
    assert all(i.confidence < 0.45 for i in extra.values())
    assert extra["I can make a quiz template in Google Forms."].role == "assistant"


def test_a_table_row_is_one_record_and_an_empty_cell_no_clause_break():
    row = "| Site B | 5 Mar | — | postponed (rain), new date 12 Mar |"
    items = _items(("user", f"Status:\n\n| site | planned | done | notes |\n|---|---|---|---|\n{row}"))
    assert [i.text for i in items if "12 Mar" in i.text] == [row]


def test_a_choice_or_a_change_stated_without_a_subject_is_durable_and_an_emoji_ends_a_clause():
    items = _items(
        ("user", "decided on the backups: weekly only, the nightly ones cost too much."),
        ("assistant", "Got it."),
        ("user", "the repo is on black defaults now, so double quotes."),
    )
    assert [(i.seq, i.kind) for i in items] == [(0, "decision"), (2, "fact")]
    assert sentences("mornings for the thesis, deal 🤝 also remind me the exam is on oct 14") == [
        "mornings for the thesis, deal 🤝",
        "also remind me the exam is on oct 14",
    ]
    assert len(sentences("Go on then, Friday it is 🚂 Mum pays the tickets.")) == 1


def test_alternatives_not_decided_are_an_open_question_and_a_title_ends_no_sentence():
    items = _items(("user", "For the reception we're weighing the boathouse or the orangery, nothing decided yet."))
    assert [i.kind for i in items] == ["question"]
    assert sentences("I owe Prof. Amsel the slides by May 4. Then a break.") == [
        "I owe Prof. Amsel the slides by May 4.",
        "Then a break.",
    ]


def test_a_yes_or_no_on_a_labelled_subject_is_a_decision():
    items = _items(
        ("assistant", "Up to you."),
        ("user", "the dessert table: yes, ordering it tomorrow. kids eat free there"),
    )
    assert [(i.kind, i.text) for i in items][:1] == [("decision", "the dessert table: yes, ordering it tomorrow.")]
    # an interjection, or a yes that starts a clause, labels nothing
    for text in ("haha no sorry, wrong window.", "ugh yes it does, sadly.", "phew no worries at all"):
        assert not any(i.kind == "decision" for i in _items(("assistant", "Right?"), ("user", text))), text


def test_the_exchange_of_a_setting_reaches_past_a_header_that_only_announces_its_block():
    from clawmemory.formation.classifier import topic

    turns = [
        Utterance(
            "user",
            "moved the nightly export, the old disk died. the crontab line is now:\n```\n15 3 * * * /usr/local/bin/export.sh\n```",
            0,
        )
    ]
    item = next(i for i in Classifier().items(turns) if i.text.startswith("15 3"))
    assert topic(turns, item) == "the crontab line is now:"  # what reconciliation reads
    assert topic(turns, item, header=True) == "moved the nightly export, the old disk died. the crontab line is now:"


def test_a_title_an_initial_or_a_day_written_with_ordinal_dots_ends_no_sentence():
    assert sentences("My GP is Dra. Lopes at the Rua Augusta clinic. I see her yearly.") == [
        "My GP is Dra. Lopes at the Rua Augusta clinic.",
        "I see her yearly.",
    ]
    assert sentences("Ask J. Okafor about it. then done") == ["Ask J. Okafor about it.", "then done"]
    # a day pair or range in the German way, before a verb or a name; a new sentence after it starts anew
    assert sentences("Shifts: 3./4. is Ines, 10.-11. is Pawel. Rest is free.") == [
        "Shifts: 3./4. is Ines, 10.-11. is Pawel.",
        "Rest is free.",
    ]
    assert sentences("Karl swaps with me on 9./10. Then Ute takes over.") == [
        "Karl swaps with me on 9./10.",
        "Then Ute takes over.",
    ]
    assert sentences("for 2./3. Ingrid covers. ok") == ["for 2./3. Ingrid covers.", "ok"]
    # a plain number at a sentence end still ends it
    assert sentences("The twins are 4 and 7. they love it") == ["The twins are 4 and 7.", "they love it"]


def test_a_sentence_listing_parallel_records_gives_one_item_each():
    items = _items(("user", "Rota: 3./4. is Ines and Pawel, 10./11. is Ute and me, 17./18. is Karl and Ines."))
    assert [i.text for i in items] == [
        "Rota: 3./4. is Ines and Pawel",
        "10./11. is Ute and me",
        "17./18. is Karl and Ines",
    ]
    # a number with its unit after a record is no record of its own
    walk = _items(("user", "12 june Loch Ossian loop from the station, 19 km."))
    assert [i.text for i in walk] == ["12 june Loch Ossian loop from the station, 19 km."]


def test_rows_of_pasted_data_and_fields_of_a_json_object_are_items():
    items = _items(
        (
            "user",
            "Tasting list for the club:\n```\nwine,region,price,qty\nRioja Crianza,Spain,12.50,6\n"
            "Chablis,France,19.00,3\n```",
        ),
        ("assistant", "Saved. Where do the tastings happen?"),
        ("user", '```json\n{"venue": "The Cellar Room", "host": "Marguerite", "start": "19:30"}\n```'),
        ("user", 'new member:\n```json\n{"id": 41, "name": "Tomás Ruiz", "paid": true}\n```'),
    )
    texts = [i.text for i in items]
    assert "Rioja Crianza,Spain,12.50,6" in texts and "Chablis,France,19.00,3" in texts
    assert '"venue": "The Cellar Room"' in texts and '"host": "Marguerite"' in texts
    # a record led by its number is one item, and a header that announces a block is none
    assert '{"id": 41, "name": "Tomás Ruiz", "paid": true}' in texts and "new member:" not in texts
    assert all(i.role == "user" and i.kind == "fact" for i in items if "," in i.text or '"' in i.text)


def test_data_shown_as_an_example_is_no_item():
    items = _items(("user", "The logger writes lines like:\n```\nts,temp_c\n2026-01-04T08:00,4.5\n```"))
    assert not any("4.5" in i.text for i in items)


def test_a_frequency_is_a_value():
    items = _items(("user", "the compost pickup every 2 weeks is too often, half empty bins. make it monthly"))
    assert "make it monthly" in [i.text for i in items]
    assert claims.parse("make it monthly").values == {"freq": frozenset({"30"})}
    assert claims.parse("pickup every 2 weeks").values == {"freq": frozenset({"14"})}
    assert claims.parse("we back up nightly").slot >= {"nightly"}  # it also names the thing


def test_not_yet_to_a_decision_and_a_deferral_are_open_questions():
    items = _items(
        ("assistant", "Did you decide whether Ines takes the violin lessons?"),
        ("user", "not yet, money is tight. we'll see after christmas"),
    )
    assert [i.kind for i in items] == ["question"]  # the deferral joins the question it defers
    assert items[0].text.endswith("not yet, money is tight. we'll see after christmas")


def test_a_no_after_a_concession_answers_the_question():
    items = _items(
        ("assistant", "The landlord offered a two-year lease; do you want to take it?"),
        ("user", "it's tempting but no, we keep the rolling contract."),
    )
    # the reply carries the question's subject, as a yes or no at its start does
    assert [i.kind for i in items] == ["decision"]
    assert items[0].text == "offered two-year lease take: it's tempting but no, we keep the rolling contract."


def test_answers_numbered_like_the_agents_questions_answer_those_questions():
    from clawmemory.formation.classifier import topic

    turns = [
        Utterance("user", "the pottery class changed", 0),
        Utterance("assistant", "Okay. 1. Which evening? 2. Still 2 hours? 3. Any fee?", 1),
        Utterance("user", "1. tuesdays now 2. yes, till 9.30 3. £5 a session from may", 2),
    ]
    items = Classifier().items(turns)
    assert [i.text for i in items] == [
        "evening: 1. tuesdays now",
        "2 hours: 2. yes, till 9.30",
        "fee: 3. £5 a session from may",
    ]
    # the exchange of an answer is its question, after the topic the user opened
    assert topic(turns, items[0]) == "the pottery class changed Which evening?"
    assert claims.parse(items[0].text).values == {"weekday": frozenset({"tue"})}  # the 1 is no value


def test_a_bare_yes_takes_the_value_the_agent_proposed():
    items = _items(
        ("user", "the dentist moved me"),
        ("assistant", "Noted. Should I put the new check-up in for Friday 12 June then?"),
        ("user", "yeah go for it"),
    )
    assert [(i.kind, i.role, i.text) for i in items] == [
        ("decision", "user", "yeah go for it: put the new check-up in for Friday 12 June")
    ]
    # a yes to a check of what the user said is no new item
    checked = _items(
        ("user", "the lease ends 30 june"),
        ("assistant", "Shall I keep 30 June as the end date?"),
        ("user", "yes"),
    )
    assert [i.seq for i in checked] == [0]
    assert not _items(("assistant", "Want me to book the 9:10 train?"), ("user", "nah"))


def test_an_option_picked_by_its_place_is_the_users_decision():
    items = _items(
        ("assistant", "For the team lunch I could book either Sora Sushi (Tue) or the Green Fork on Main St. Which?"),
        ("user", "the latter. thursday."),
    )
    assert [i.text for i in items] == ["the latter. thursday: the Green Fork on Main St"]
    numbered = _items(
        ("assistant", "How should I send the summary? 1. by email 2. as a PDF 3. not at all"),
        ("user", "2, as a pdf pls. weekly"),
    )
    assert [i.text for i in numbered] == ["send summary: 2, as a pdf pls. weekly"]


def test_a_setting_reads_its_whole_value_and_a_pasted_run_of_fields_is_an_object():
    items = _items(
        (
            "user",
            'my box:\n```\nos: Debian 12\ncpu: ryzen 5 5600\nname = "atlas"\n```\n'
            'and the manifest bits:\n```json\n"scripts": { "start": "node app.js" },\n"license": "MIT"\n```',
        )
    )
    texts = [i.text for i in items]
    assert {"os: Debian 12", "cpu: ryzen 5 5600", 'name = "atlas"'} <= set(texts)
    assert '"scripts": {"start": "node app.js"}' in texts and '"license": "MIT"' in texts


def test_clauses_each_naming_their_own_things_and_values_are_items_each():
    items = _items(("user", "ines swimming on tue, karl judo on thu"))
    assert [i.text for i in items] == ["ines swimming on tue", "karl judo on thu"]
    # a clause that only qualifies the one before stays with it
    kept = _items(("user", "Rosa is away 3–7 May, so if 2 May slips it's after the 7th"))
    assert len(kept) == 1


def test_a_deferral_joins_the_open_question_before_it():
    items = _items(
        ("assistant", "Did you decide about the allotment plot?"),
        ("user", "not yet, the waiting list is long. we'll see after easter"),
    )
    assert [i.kind for i in items] == ["question"] and items[0].text.endswith("we'll see after easter")


def test_a_number_with_a_unit_picks_no_option():
    asked = ("assistant", "For the move I could book either the blue van or the red van. Which?")
    assert not any("red van" in i.text for i in _items(asked, ("user", "2 of us can drive")))
    assert [i.text for i in _items(asked, ("user", "2, the cheaper one"))] == ["2, the cheaper one: the red van"]


def test_a_hesitation_or_a_question_accepts_nothing():
    asked = ("assistant", "Do you want me to book the 7:40 train on Friday 9 May?")
    for reply in ("hmm", "why that one", "no need", "idk"):
        assert not _items(asked, ("user", reply)), reply
    assert _items(asked, ("user", "sure go ahead"))[0].text == "sure go ahead: book the 7:40 train on Friday 9 May"


def test_a_proposal_asked_as_how_about_or_before_a_bare_should_i_is_accepted_too():
    how = _items(("assistant", "How about Wednesday at 7 for the rehearsal?"), ("user", "works"))
    assert [i.text for i in how] == ["works: Wednesday at 7 for the rehearsal"]
    before = _items(
        ("assistant", "I can shift the cleaner to Monday 2 June. Should I?"),
        ("user", "yes pls"),
    )
    assert [i.text for i in before] == ["yes pls: I can shift the cleaner to Monday 2 June"]
    named = _items(("assistant", "Want me to copy Marisol on the invoice?"), ("user", "yep"))
    assert [i.text for i in named] == ["yep: copy Marisol on the invoice"]


def test_every_answer_to_a_numbered_question_is_an_item():
    items = _items(
        ("assistant", "Two things: 1) which neighbourhood? 2) how many rooms?"),
        ("user", "1) somewhere quiet near the river 2) three"),
    )
    assert [i.text for i in items] == ["neighbourhood: 1) somewhere quiet near the river", "many rooms: 2) three"]


def test_questions_and_options_numbered_line_by_line_are_answered_and_picked_too():
    items = _items(
        ("assistant", "Three quick ones:\n1. Which day?\n2. What time?\n3. Who drives?"),
        ("user", "1. fridays\n2. quarter to eight\n3. me"),
    )
    assert [i.text for i in items] == ["day: 1. fridays", "time: 2. quarter to eight", "drives: 3. me"]
    picked = _items(("assistant", "Which hall?\n1. the Corn Exchange\n2. St Mary's"), ("user", "1 please"))
    assert [i.text for i in picked] == ["hall: 1 please: the Corn Exchange"]
    assert [
        i.text for i in _items(("assistant", "1. Is Ola still in? 2. Anything else?"), ("user", "1. yes 2. no"))
    ] == ["Ola: 1. yes"]


def test_text_written_in_capitals_is_read_as_ordinary_text():
    items = _items(
        ("user", "I WALK THE DOGS AT 6 EVERY MORNING ... THE VET IS ON HIGH STREET ... KIND REGARDS MAUREEN")
    )
    assert [i.text for i in items] == ["i walk the dogs at 6 every morning ..."]
    assert _items(("user", "OK"), ("assistant", "Fine."))[0:1] == []


def test_a_request_to_keep_notes_is_no_item_but_what_it_asks_to_keep_is():
    assert _items(("user", "garden notes, keep these for me pls")) == []
    assert _items(("user", "Please log the following as my allotment plan, as it now stands.")) == []
    kept = _items(("user", "remember that the shed code is 4471"))
    assert [i.text for i in kept] == ["remember that the shed code is 4471"]
    assert _items(("user", "please keep the nursery at 19 degrees for the baby"))


def test_titles_and_message_stamps_are_no_content():
    items = _items(("user", "## Sprint 14 2026-03-02\n- API rate limit raised to 600/min\nSubject: Invoice query 2291"))
    assert [i.text for i in items] == ["API rate limit raised to 600/min"]
    assert _items(("user", "pasted:\n[Omar, 2 Jun] Thanks!")) == []
    stamped = _items(("user", "pasted:\n[Omar, 2 Jun] The renewal fee is £80 from July."))
    assert [i.text for i in stamped] == ["[Omar, 2 Jun] The renewal fee is £80 from July."]


def test_a_value_given_to_a_label_in_prose_is_an_item():
    items = _items(("user", "the kiln fires on sundays. glaze supplier = potclays in stoke btw"))
    assert [i.text for i in items][-1] == "glaze supplier = potclays in stoke btw"
    assert _items(("user", "note: ask later")) == []  # a label of no value


def test_questions_kept_open_in_notes_and_announcements():
    notes = _items(("user", "trip notes\n## Booked\n- ferry: 08:40 from Oban\n## Open\n- hostel or campsite on Mull?"))
    assert [(i.kind, i.text) for i in notes][-1] == ("question", "hostel or campsite on Mull?")
    q = _items(("user", "open q: do we hire a second guide for the ridge?"))
    assert [i.kind for i in q] == ["question"]
    told = _items(("user", "A couple of things. The van is booked for 6 May."))
    assert [i.text for i in told] == ["The van is booked for 6 May."]


def test_a_shouted_line_is_read_in_lower_case_and_code_in_capitals_stays():
    mixed = _items(("user", "quick one for the flat\nTHE BOILER ENGINEER COMES ON 3 MARCH AT 9"))
    assert [i.text for i in mixed] == ["the boiler engineer comes on 3 march at 9"]
    env = "LOG_LEVEL=DEBUG\nMAX_CONNECTIONS=50\nREGION=EU_WEST"
    assert unshout(env) == env
    assert unshout("```\nSELECT NAME FROM USERS WHERE ID = 4\n```") == "```\nSELECT NAME FROM USERS WHERE ID = 4\n```"


def test_a_statement_that_settles_an_open_question_is_no_repeat_of_it():
    items = _items(
        ("user", "We have not decided whether the choir tours in two cities or three."),
        ("assistant", "Noted."),
        ("user", "The choir tours in three cities."),
        ("assistant", "Great."),
        ("user", "The choir tours in three cities."),  # said again: a repeat
    )
    assert [(i.seq, i.kind) for i in items] == [(0, "question"), (2, "fact")], items


def test_a_title_in_lower_case_chat_ends_no_sentence():
    assert sentences("thesis due in june, supervisor is dr. okafor. she's great") == [
        "thesis due in june, supervisor is dr. okafor.",
        "she's great",
    ]
    assert sentences("went to the dr. she said rest") == ["went to the dr.", "she said rest"]


def test_pasted_lines_are_the_lines_of_a_short_block_that_state_something():
    from clawmemory.formation.classifier import pasted_lines

    block = (
        '```yaml\nservices:\n  dns:\n    image: pihole/pihole:latest # ad blocking\n    ports:\n      - "53:53"\n```'
    )
    assert pasted_lines(block) == ["image: pihole/pihole:latest # ad blocking", '- "53:53"']
    assert pasted_lines("```\nrun(1)\n};\n```") == []  # a call, structure
    dump = "```\n" + "\n".join(f"row {n}" for n in range(13)) + "\n```"
    assert pasted_lines(dump) == []  # more than a short paste


def test_an_abbreviation_that_its_line_goes_on_after_ends_no_sentence():
    log = "RECORD 1901 census: thomas ashworth, b. abt 1871, wigan\nocc. coal hewer, pemberton colliery"
    assert sentences(log) == [
        "RECORD 1901 census: thomas ashworth, b. abt 1871, wigan",
        "occ. coal hewer, pemberton colliery",
    ]
    assert sentences("they moved me to no. 3 by the entrance") == ["they moved me to no. 3 by the entrance"]
    assert sentences("Contractor namin si Engr. Ramil Dimaculangan.") == [
        "Contractor namin si Engr. Ramil Dimaculangan."
    ]
    # the line breaks, or a new sentence starts in capitals: the dot ends a sentence
    assert sentences("richard ashworth, m.\nbetty unsworth") == ["richard ashworth, m.", "betty unsworth"]
    assert sentences("I said no. Then she left") == ["I said no.", "Then she left"]


def test_a_question_weighing_two_options_is_open_unless_asked_of_the_agent():
    items = _items(("user", "frame bag or just jersey pockets for the 180 k?"))
    assert [(i.kind, i.text) for i in items] == [("question", "frame bag or just jersey pockets for the 180 k?")]
    assert _items(("user", "would you pick the frame bag or jersey pockets for the 180 k?")) == []


def test_a_question_its_line_goes_on_after_is_one_open_question():
    items = _items(("user", "door entry: repair the old Videx panel or replace the system? no quotes yet"))
    assert [(i.kind, i.text) for i in items] == [
        ("question", "door entry: repair the old Videx panel or replace the system? no quotes yet")
    ]
    items = _items(("user", "Not a thing. who was the first husband? a hilton, that's all i have"))
    assert [(i.kind, i.text) for i in items] == [("question", "who was the first husband? a hilton, that's all i have")]
    # asked of the agent: no open question of the user's
    assert _items(("user", "can you check the ferry times? we land at 9 on the 14th")) == _items(
        ("user", "we land at 9 on the 14th")
    )


def test_the_lines_of_a_message_laid_out_one_record_a_line_are_list_members():
    log = (
        "SM notes, keep these for me pls\n"
        "RECORD 1911 census: colliery deputy at pemberton\n"
        "DNA: 812 matches over 20 cm on ancestry\n"
        "SOURCE marriage register: she was a widow when he married her, née fairhurst\n"
        "HYPOTHESIS father unknown, maybe a weaver of ince?"
    )
    items = {i.text: i.kind for i in _items(("user", log))}
    assert items == {
        "RECORD 1911 census: colliery deputy at pemberton": "fact",
        "DNA: 812 matches over 20 cm on ancestry": "fact",
        "SOURCE marriage register: she was a widow when he married her, née fairhurst": "fact",
        "HYPOTHESIS father unknown, maybe a weaver of ince?": "question",
    }
    # a table's rows are read as a table, not as records of a log
    table = "Totals so far:\n| site | planned | done |\nsite A planned 12 done 9\nsite B planned 8 done 8"
    assert all("|" not in i.text for i in _items(("user", table)))


def test_a_record_under_a_label_in_capitals_is_a_fact():
    items = _items(("user", "letter going out friday.\nZAIN — firmed durham instead, needs an a* there"))
    assert ("fact", "ZAIN — firmed durham instead, needs an a* there") in [(i.kind, i.text) for i in items]
    assert _items(("user", "PS — whatever works for everyone")) == []


def test_a_name_the_dialogue_used_makes_a_sentence_specific_wherever_it_stands():
    items = _items(
        ("user", "Lunch went well, Priya says hi."),
        ("assistant", "Lovely."),
        ("user", "then priya sorts the dessert table herself"),
    )
    assert [i.text for i in items if i.seq == 2] == ["then priya sorts the dessert table herself"]
