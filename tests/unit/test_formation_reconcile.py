"""The offline reconciliation rules on claims (slot, typed values, denied values) and the
dialogue structure that decides who may change what."""

from __future__ import annotations

import pytest

from clawmemory.formation import claims
from clawmemory.formation.reconcile import Candidate, Neighbour, decide

T_OLD, T_NEW = "2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z"


def cand(text: str, *, kind: str = "fact", role: str = "user", seq: int = 9, at: str = T_NEW, context: str = ""):
    return Candidate(kind, text, "ns", "s2", seq, at, 0.8, role, "offline", context)


def mem(mid: str, text: str, *, kind: str = "fact", role: str | None = "user", session: str = "s1", seq: int = 1):
    return Neighbour(mid, kind, text, T_OLD, role, session, seq)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("The office moves to Leiden in May.", "Correction: the office moves to Delft, not Leiden."),
        ("Deploys run on Node 18.", "We went from 18 to 22 for the deploys."),
        ("Table for 6 people at Osteria Nova.", "Table for ~~6~~ 8 people at Osteria Nova."),
        ("Worker pool size is 8.", "Worker pool 8 -> 12, the queue kept growing."),
    ],
)
def test_a_value_taken_back_is_superseded(old, new):
    assert decide(cand(new), [mem("m1", old)]).targets == ("m1",)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("My rent is 1,450 euros a month.", "The rent went up, it is now 1,520 euros a month."),
        ("The standup is at 09:30 on weekdays.", "Standup moved to 10:00 on weekdays."),
        ("The service runs Postgres 15.", "We upgraded the service to Postgres 16."),
        ("Our cat Miso weighs 4 kg.", "Miso is 5 kg now, the vet wants a diet."),
        ("The retreat is for 12 employees.", "The retreat is for 15 people after the new hires."),
        ("Invoices are due within 30 days.", "Invoices are now due within 2 weeks."),
    ],
)
def test_a_new_value_of_the_same_type_for_the_same_slot_supersedes(old, new):
    assert decide(cand(new), [mem("m1", old)]).action == "contradict"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("I'm writing `quill`, a small Rust crate for parsing logs.", "It needs Rust 1.80."),  # no version to replace
        ("Ask Priya about the lease next week.", "Priya said the garage is free tomorrow."),  # relative time words
        ("Our team has 6 engineers.", "The sprint is 2 weeks long."),  # other units, other slots
        ("We bought the house near Ghent last year.", "Tomas starts the roof in Ghent on May 5."),  # a shared name only
    ],
)
def test_no_supersede_without_a_conflict_of_like_values_in_one_slot(old, new):
    assert decide(cand(new), [mem("m1", old)]).action != "contradict"


def test_the_agent_never_supersedes_the_user_but_may_change_its_own_commitment():
    user_memory = mem("m1", "Remind me to renew the passport before June 10.")
    said = cand("I will remind you about the passport on June 3.", kind="commitment", role="assistant")
    assert decide(said, [user_memory]).action != "contradict"
    own = mem("m2", "I will send the draft contract on June 3.", kind="commitment", role="assistant")
    later = cand("I will send the draft contract on June 5 instead.", kind="commitment", role="assistant")
    assert decide(later, [own]).targets == ("m2",)


def test_two_sentences_of_one_message_never_supersede_each_other():
    same = mem("m1", "The budget is 2,000 euros.", session="s2", seq=9)
    assert decide(cand("Well, 2,500 euros if the roof is included."), [same]).action != "contradict"


def test_an_older_candidate_or_a_question_changes_nothing():
    old = mem("m1", "The budget is 2,000 euros.")
    assert decide(cand("The budget is now 2,500 euros.", at="2026-02-01T00:00:00Z"), [old]).action != "contradict"
    assert decide(cand("Is the budget now 2,500 euros?", kind="question"), [old]).action != "contradict"


def test_a_decision_settles_the_open_question_and_may_supersede_several_memories():
    question = mem("q", "Not sure whether to host the wiki on Notion or on Confluence.", kind="question")
    guess = mem("g", "Probably Notion for the wiki, the team knows it.")
    decision = cand("We host the wiki on Confluence, not Notion, IT wants one vendor.", kind="decision")
    assert set(decide(decision, [question, guess]).targets) == {"q", "g"}


def test_a_date_shift_moves_the_one_dated_plan_near_it():
    plan = mem("p", "I'll submit the grant proposal on March 14.", kind="commitment")
    shift = cand("Submission slips to March 21, the budget table is not ready.")
    assert decide(shift, [plan]).targets == ("p",)
    other = mem("o", "I'll book the venue on March 14.", kind="commitment")
    assert decide(shift, [plan, other]).action != "contradict"  # two dated plans: which one moved is unclear


def test_the_topic_before_a_terse_change_supports_the_slot():
    old = mem("m1", "The gym membership costs 35 euros.")
    terse = cand("45 euros now.", context="Gym membership.")
    assert decide(terse, [old]).targets == ("m1",)
    assert decide(cand("45 euros now."), [mem("m2", "Lunch was 12 euros.")]).action != "contradict"


def test_duplicates_and_refinements_come_before_contradictions():
    old = mem("m1", "The standup is at 09:30.")
    assert decide(cand("The standup is at 09:30."), [old]).action == "duplicate"
    short = mem("m2", "Dana leads the mobile team.")
    assert decide(cand("Dana leads the mobile team in Porto."), [short]).action == "refine"


def test_claims_type_values():
    c = claims.parse("Retention is 30 days, window sat 02:00-04:00, version 3.11, on-call Marta, `orders.v2`, B1")
    assert c.values["qty:duration"] == {"30"} and c.values["time"] == {"02:00", "04:00"}
    assert c.values["version"] == {"3.11"} and "marta" in c.values["name"]
    assert {"orders.v2", "b1"} <= c.values["code"] and "retention" in c.slot
    assert claims.parse("the 12th").values["date"] == {"-12"} and claims.same_date("-12", "sep-12")
    assert claims.parse("see you next week").values == {"when": frozenset({"next week"})}


def test_a_taken_back_value_is_typed():
    count = mem("m1", "He takes the antibiotic two times a day.")
    date = mem("m2", "The follow-up is on 2 May.")
    fix = cand("Sorry, not two times, it is three times a day.")
    assert decide(fix, [date, count]).targets == ("m1",)  # a count of times, never the date "2 May"
    weekday = mem("m3", "Football practice is on Friday.")
    rooms = mem("m4", "We need 5 rooms at the Alpenhof.")
    fewer = cand("Alpenhof: ~~5~~ 4 rooms, the Meyers cancelled.")
    assert decide(fewer, [weekday, rooms]).targets == ("m4",)  # a bare 5 is a count of rooms, not Friday
    assert decide(cand("The fee is 12 euros now, not 5."), [weekday]).action != "contradict"


def test_an_arrow_takes_back_the_value_next_to_it_not_the_setting_it_names():
    pool = mem("m1", "We keep `pool_size` at 20 for the 3 web nodes.")
    other = mem("m2", "The `pool_size` review is on March 20.")
    change = cand("3 nodes -> 5 nodes, so `pool_size` 20 -> 12.")
    assert decide(change, [pool, other]).targets == ("m1",)


def test_another_name_needs_more_than_a_shared_verb_and_names_only_match_names():
    tickets = mem("m1", "I'll book the museum tickets for the Louvre on May 3.")
    hotel = cand("We booked Hotel Lutetia for the Paris nights.")
    assert decide(hotel, [tickets]).action != "contradict"
    invoices = mem("m2", "I do the invoices in Word and hate it.")
    volume = cand("Correction: Acme Corp sends 40,000 words a month, I checked the invoices.")
    assert decide(volume, [invoices]).action != "contradict"  # "words" is not the product "Word"


def test_a_number_said_to_go_up_replaces_a_lower_one_of_like_type():
    mine = mem("m1", "My rate is 60 euros per hour.")
    quote = mem("m2", "My rate quote for the agency is 75 per hour.")
    assert decide(cand("My rate goes up to 70 per hour from June."), [quote, mine]).targets == ("m1",)


def test_several_memories_of_one_type_the_one_sharing_most_of_the_slot_is_replaced():
    checkup = mem("m1", "The dental check-up is on 4 June.")
    other = mem("m2", "Dental cleaning for Noor on 12 March at 09:00.")
    moved = cand("The June dental check-up is cancelled, the new date is 18 June.")
    assert decide(moved, [other, checkup]).targets == ("m1",)


def test_a_rule_relaxed_as_a_change_and_a_task_handed_to_someone_named():
    rule = mem("m1", "Never deploy the billing service on Fridays.", kind="preference")
    relaxed = cand("We may deploy the billing service on Fridays now, canaries catch regressions.")
    assert decide(relaxed, [rule]).targets == ("m1",)
    chore = mem("m2", "I walk the dog every morning before work.")
    handed = cand("From now on Jonas takes the morning walks with the dog, I start at 6:30.")
    assert decide(handed, [chore]).targets == ("m2",)
    also = cand("Jonas walks the dog on Sundays too.")
    assert decide(also, [chore]).action != "contradict"  # no change worded: both are true


def test_the_agent_never_rewrites_the_users_words():
    wish = mem("m1", "Book the Lisbon flat near Alfama.", kind="preference")
    said = cand("I'll book the Lisbon flat near Alfama by Friday.", kind="commitment", role="assistant")
    assert decide(said, [wish]).action == "add"


def test_settings_from_code_compare_with_prose_and_pins():
    prose = mem("m1", "The connection timeout is 30s for the payment API.")
    assert decide(cand("timeout: 30s -> 5s"), [prose]).targets == ("m1",)
    image = mem("m2", "FROM node:18-alpine")
    assert decide(cand("FROM node:20-alpine"), [image]).targets == ("m2",)
    c = claims.parse("15 2 * * 0 /opt/backup.sh")
    assert c.values["time"] == {"02:15"} and c.values["weekday"] == {"sun"}
    assert claims.parse("0.14 euros per word").values == {"qty:money/word": frozenset({"0.14"})}
    assert claims.like("qty:money/word", "qty:/word") and not claims.like("qty:money", "qty:/word")


def test_no_more_is_no_direction_and_a_drop_replaces_a_higher_number():
    team = mem("m1", "The reading group is 9 people.")
    assert decide(cand("The reading group is 6 people now, no more big sessions."), [team]).targets == ("m1",)
    assert decide(cand("The reading group went down to 7 people."), [team]).targets == ("m1",)
    assert decide(cand("The reading group went up to 7 people."), [team]).action != "contradict"


def test_a_value_taken_back_about_someone_else_leaves_the_memorys_own_value():
    hours = mem("m1", "Friday we close late, at 20:00.")
    start = mem("m2", "My niece Nadia starts in the office on Fridays from May.")
    fix = cand("Nadia starts not on Friday, she has exams, she comes Tuesday instead.")
    assert decide(fix, [hours, start]).targets == ("m2",)
    assert decide(
        cand("Scratch what I said about Nordlicht, they hired someone else."),
        [mem("m3", "A new client, Nordlicht, wants legal texts too!")],
    ).targets == ("m3",)


def test_another_name_replaces_one_only_when_worded_as_a_change():
    photographer = mem("m1", "The photographer for the wedding is Lena Vogt from Basel.")
    assert decide(cand("The wedding band is Blue Harbour, the photographer knows them."), [photographer]).action != (
        "contradict"
    )
    assert decide(cand("Change of photographer for the wedding: Marco Rossi now."), [photographer]).targets == ("m1",)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Ingrid has a workshop 16-20 March.", "Ingrid back on 23 March."),  # only the entity is shared
        ("The written exam is on 3 March.", "The oral exam is on 14 May now."),  # two kinds of exam
        ("Layout: 4 rooms, 2 beds each.", "3 rooms × 2 beds = 6 beds, so €540."),  # a computation
        ("I work four days a week, Fridays off.", "I reckon 5 days of work for the logo."),  # a rate, an amount
        ("Site visits: Arnhem 3 March.", "Zwolle visited 12 March, report sent 13 March."),  # each names another place
    ],
)
def test_what_looks_alike_but_is_not_the_same_slot_is_not_superseded(old, new):
    assert decide(cand(new), [mem("m1", old)]).action != "contradict"


def test_a_condition_states_nothing():
    c = claims.parse("Ana is away 3-7 June, so if the demo slips it moves after the 7th.")
    assert not c.shift and "demo" not in c.slot
    assert decide(
        cand("The written exam moved to 10 March."), [mem("m1", "The written exam is on 3 March.")]
    ).targets == ("m1",)


def test_clock_times_and_counted_head_nouns():
    assert claims.parse("open until 6 in the evening, calls at 2pm").values["time"] == {"18:00", "14:00"}
    assert claims.parse("a set of 24 app icons").values == {"qty:icon": frozenset({"24"})}
    assert claims.like(next(iter(claims.parse("3 wks").values)), "qty:duration")


def test_the_words_of_a_condition_are_no_slot_for_a_flipped_preference():
    flat = mem("m1", "We'd rather have a flat fee than an hourly one, if that works for you.", kind="preference")
    rush = cand("No more rush orders without 3 working days' notice.", kind="preference")
    assert decide(rush, [flat]).action != "contradict"


def test_the_antecedent_of_a_terse_value_is_the_latest_earlier_value_of_its_kind_about_it():
    earlier = ["Box: keep it as replica for 2 weeks.", "That was 3 people.", "Now I charge 189 euro.", "Part cost 95."]
    assert claims.antecedent("actually 3 wks.", earlier) == earlier[0]
    assert claims.antecedent("Okay I make 219 from next month.", earlier) == earlier[2]  # not the bare 95
    assert claims.antecedent("The café is mon thu sat now.", ["Okafor meets us on tuesdays."]) == ""
    assert claims.resolve(claims.parse("219 then"), claims.parse("189 euro")).values == {
        "qty:money": frozenset({"219"})
    }


def test_a_bare_number_taken_back_across_sessions_needs_a_shared_slot_word():
    # "instead of 3" in a later session is 3 days, not the bare 3 of an unrelated setting
    setting = mem("m1", "maxRetries: 3")
    later = cand("the trial is extended, we're doing 5 days instead of 3 because the vendor asked.")
    assert decide(later, [setting]).action != "contradict"
    # the same words in the exchange right after the setting correct it
    just_said = Neighbour("m1", "fact", "maxRetries: 3", T_OLD, "user", "s2", 1)
    assert decide(cand("ops changed their mind, retries need 5, not 3"), [just_said]).action == "contradict"
    # a bare number given instead compares with a bare number, in any session
    pin = mem("m2", "and node 18 -> 20 with it")
    assert decide(cand("so the runtime is 22 now, not 20"), [pin]).action == "contradict"


def test_a_date_with_only_an_identifier_in_common_supersedes_nothing():
    exam = mem("m1", "Sitting the AWS SAA-C03 exam in November.")
    deadline = cand("the SAA-C03 voucher expires june 30, I have to book before that")
    assert decide(deadline, [exam]).action != "contradict"


def test_another_name_joining_several_names_it_says_again_replaces_none():
    tour = mem("m1", "The tour is three days in Kyoto and three days in Osaka.")
    reordered = cand("Turns out the Tokyo connection is cheaper, so the tour is Osaka first then Kyoto.")
    assert decide(reordered, [tour]).action != "contradict"
    # one name said again in another role is still replaced
    duty = mem("m2", "front desk duty this week is Aiko.")
    assert decide(cand("front desk duty switched to Ren this week, Aiko is on leave."), [duty]).targets == ("m2",)


def test_a_change_below_the_bar_names_the_memory_it_revises():
    # a swap takes back what the memory asserts; it is added, with the memory's text to index it by
    floor = mem("m1", "Hallway floor will be oak, not tiles, the dog slips on tiles.")
    swap = decide(cand("Big change: we swapped the oak for a vinyl plank, half the price."), [floor])
    assert (swap.action, swap.revises) == ("add", floor.text)
    # a change of weekdays about a name both say
    coach = mem("m2", "Swimming coach is Bartek, Mondays and Wednesdays 45 min.")
    moved = decide(cand("Bartek changed the plan, now it's Tuesdays and Fridays"), [coach])
    assert moved.revises == coach.text
    # no change, or nothing in common: nothing revised
    assert decide(cand("Bartek is great with the kids."), [coach]).revises == ""
    assert decide(cand("we swapped the car for a cargo bike"), [floor]).revises == ""


def test_a_computation_holds_no_value_a_new_one_replaces():
    costs = mem("m1", "3 rooms × 2 nights × €90 = €540 for the team.")
    assert decide(cand("| Hotel Linde | 2 rooms | 4 nights ok |"), [costs]).action != "contradict"


def test_a_unit_outside_a_to_z_is_a_unit():
    assert claims.parse("dose down to 150 µg").values == {"qty:µg": frozenset({"150"})}


def test_a_correction_that_says_what_it_replaces_leaves_a_memory_without_that_value():
    # one long message with several facts; a later correction of a date it does not hold keeps it
    rambling = mem(
        "m1", "so the vet was fine and the cat's thyroid pill stays at 5 mg and the recheck is the 9th of june"
    )
    moved = cand("the groomer moved us, it's now the 14th instead of the 11th and the vet said that's fine")
    assert decide(moved, [rambling]).action != "contradict"
    # the memory that holds the replaced value is still superseded
    groomer = mem("m2", "groomer booked for the 11th at the vet's place")
    assert decide(moved, [groomer]).targets == ("m2",)
    # a number next to a time taken back is that time: "9 not 8:30" changes no other number
    guests = mem("m3", "Actually Rosa says we're at 64 now with her cousins")
    assert decide(cand("Rosa: the speeches start at 9 not 8:30, the venue moved it"), [guests]).action != "contradict"
    assert claims.parse("doors at 10 not 9:45.").denied == {("time", "9:45")}


def test_ordinals_and_instead_are_no_units():
    assert claims.parse("instead of the 3rd").denied == {("num", "3")}
    assert claims.parse("at 11 instead").values == {"num": frozenset({"11"})}


def test_a_value_the_memory_takes_back_itself_is_no_contradiction():
    row = mem("m1", "| Ortiz Legal | FR→ES | contracts, monthly |")
    line = cand("New client since Monday, Pavia Foods, FR→ES, menus and labels.")
    assert decide(line, [row]).action != "contradict"
    # an arrow's value taken back from a memory that asserts it is still taken back
    rate = mem("m2", "| Pavia Foods | 0.10 per word |")
    assert decide(cand("Pavia Foods: 0.10 → 0.12 per word"), [rate]).targets == ("m2",)


def test_a_name_said_to_join_as_well_replaces_none():
    media = mem("m1", "Moved Jellyfin off the old laptop onto the new Mini box, which got 10.0.0.7.")
    also = cand("And Pihole moved off the Router onto the Mini box as well, 10.0.0.7 port 53.")
    assert decide(also, [media]).action != "contradict"
    assert claims.parse("Ana joins the rota too.").adds and not claims.parse("too late now").adds


def test_capitalised_identifiers_name_different_things():
    part = mem("m1", "Part2 (methods): draft to Dr. Moreau by 12 March")
    assert decide(cand("Yes, Part4 draft by 3 July."), [part]).action != "contradict"
    # an identifier about a name both say is its value ("Spanish A2" / "Spanish B2")
    level = mem("m3", "Just a bit, my Spanish level is A2 now.")
    assert decide(cand("And my Spanish is now B2, passed the exam in May."), [level]).targets == ("m3",)
    # an identifier in backticks is a setting: another one of its shape replaces it
    table = mem("m2", "the job writes to `events_raw` every night")
    assert decide(cand("the job writes to `events_clean` now"), [table]).targets == ("m2",)


def test_a_date_shift_among_several_dated_plans_moves_the_one_it_names():
    plans = [
        mem("m1", "Unit3 (methods): draft by 4 May"),
        mem("m2", "Unit6 draft by 20 September", seq=2),
        mem("m3", "Unit1 went to Halvorsen on 2 Feb", seq=3),
    ]
    assert decide(cand("Unit3 slips to 1 June, the lab move ate April."), plans).targets == ("m1",)
    # naming none of them, several dated plans stay
    assert decide(cand("Everything slips to 1 June, the lab move ate April."), plans).action != "contradict"


def test_when_a_value_starts_is_no_value_of_its_slot():
    fee = mem("m1", "Ayla agreed the new membership fee with the club: from March it's €60.")
    bank = cand("Also from June Ayla wants the fees into the Bunq account, not Revolut any more.")
    assert decide(bank, [fee]).action != "contradict"
    assert "since" in claims.parse("from March it's €60").values
    assert claims.parse("the course starts from March").values == {"date": frozenset({"mar"})}  # the date itself
    # a name taken back is what the correction replaces: the memory naming it goes
    account = mem("m2", "Ayla wants all fees paid into the Revolut account ending 0912.")
    assert decide(bank, [account]).targets == ("m2",)


def test_a_date_taken_back_belongs_to_whatever_happens_on_it():
    walk = mem("m1", "15 june Ben Ledi, 10 km.")
    rule = cand("the rut's over by june so muzzles only for the 1st, not the 15th")
    assert decide(rule, [walk]).action != "contradict"
    # a quantity taken back names its attribute: the memory about it goes, named or not
    supplier = mem("m2", "Screens come from a trader in Porto, Ecrãs24, they ship in 3 days.")
    assert decide(cand("Now they ship in 5 days, not 3."), [supplier]).targets == ("m2",)


def test_a_date_that_had_passed_is_not_moved_by_the_next_one():
    spring = Neighbour("m1", "fact", "dates: 1. opens 8 jan, closes 26 march", "2026-01-04T10:00:00Z", "user", "s1", 2)
    autumn = cand("autumn season: opens 14 sept, closes 10 dec.", at="2026-06-01T10:00:00Z")
    assert decide(autumn, [spring]).action != "contradict"
    # before it has passed, a new date of the same slot still replaces it
    assert decide(cand("opens 15 jan now, closes 26 march", at="2026-01-06T10:00:00Z"), [spring]).action == "contradict"
    assert claims.parse("break: 2. 9-13 feb").values == {
        "date": frozenset({"feb-9", "feb-13"})
    }  # the 2 numbers the answer


def test_the_same_time_holds_no_value_to_replace():
    meet = mem("m1", "we gather at the east car park instead, same time")
    moved = cand("we gather at the east car park at 7:45 now")
    assert decide(moved, [meet]).action != "contradict"


def test_a_terse_date_correction_still_takes_back_the_date_it_names():
    gig = mem("m1", "next show: Bar Lento, ghent, march 14.")
    assert decide(cand("march 21 now, not 14."), [gig]).targets == ("m1",)


def test_a_removal_for_good_takes_back_what_it_removes():
    row = mem("m1", "412,Ana Brandt,kiln repairs,2026-05-02,booked")
    assert claims.parse("We're cancelling 412 altogether, 415 gets its date.").denied == {("num", "412")}
    assert decide(cand("We're cancelling 412 altogether, 415 gets its date."), [row]).targets == ("m1",)
    assert not claims.parse("dropping the twins at 8 then the gym").denied  # no removal said for good


def test_words_that_are_no_units():
    assert claims.parse("415 gets its date").values == {"num": frozenset({"415"})}  # a verb before "its"
    assert claims.parse("4 nights their hotel").values == {"qty:duration": frozenset({"4"})}
    assert claims.parse("cancel 412 altogether").values == {"num": frozenset({"412"})}  # an adverb
    assert "num" not in claims.parse("the Leeds one only for spares now").values  # a pronoun
    assert claims.parse("one week off").values == {"qty:duration": frozenset({"1"})}


def test_records_that_name_their_own_reference_number_are_different_things():
    shipped = mem("m1", "Order #5521 | State: shipped | Courier: DPD")
    assert decide(cand("Order #5530 | State: pending | Courier: UPS"), [shipped]).action != "contradict"


def test_a_pasted_message_stamp_and_an_increment_are_no_values():
    plan = mem("m1", "We want 4 more licences for the design team from April.")
    assert claims.parse("[Priya, 3 Mar] The 4 licences have been added.").values == {}
    assert decide(cand("[Priya, 3 Mar] The 4 licences have been added."), [plan]).action != "contradict"
    assert claims.parse("add 3 desks, and 2 extra chairs").values == {}
    assert claims.parse("we have 12 desks").values == {"qty:desk": frozenset({"12"})}


def test_a_weekday_beside_its_date_is_that_date_not_a_recurring_day():
    assert claims.parse("choir concert Fri 12 June 19:30").values == {
        "date": frozenset({"jun-12"}),
        "time": frozenset({"19:30"}),
    }
    weekly = mem("m1", "choir practice moves from Tuesday to Thursday")
    assert decide(cand("choir concert Fri 12 June, practice Sat the 13th"), [weekly]).action != "contradict"


def test_a_change_named_as_an_event_and_a_hypothetical_state_no_change():
    assert not claims.parse("Logins fail for everyone since the database migration").change
    order = mem("m1", "we order 20 boxes of paper a month")
    assert decide(cand("12 boxes of paper would be £60"), [order]).action != "contradict"


def test_a_list_of_values_for_several_things_keeps_those_the_candidate_does_not_name():
    terms = mem("m1", "venue fee £900, deposit due 3 March, final payment by 1 June")
    assert decide(cand("deposit paid 28 Feb, £270"), [terms]).action != "contradict"
    assert decide(cand("venue fee now £950"), [terms]).action == "contradict"  # the one it names


def test_a_name_that_is_what_changed_replaces_no_name():
    tier = mem("m1", "We're on the Premium tier (5 users) from May.")
    assert decide(cand("The login URL changed with the Premium tier."), [tier]).action != "contradict"
    rota = mem("m2", "dish rota this week is Aisha.")
    assert decide(cand("dish rota switched to Kemal this week, Aisha is away."), [rota]).targets == ("m2",)


def test_clock_times_written_with_a_dot_or_o_clock_and_light_stems():
    assert claims.parse("the club meets at 6.45").values == {"time": frozenset({"06:45"})}
    assert claims.parse("doors open 8 o'clock").values == {"time": frozenset({"08:00"})}
    assert claims.parse("release 2.45 is out").values == {"version": frozenset({"2.45"})}
    assert claims.stem("using") == claims.stem("use") == claims.stem("used")
    assert "off" not in claims.parse("the landlord signed off the repairs").slot


def test_a_change_of_a_measure_both_give_revises_without_a_shared_word():
    lease = mem("m1", "and my lease on the van goes up to 1,800 km a month from spring")
    cut = cand("update: cutting back to 1,200 km a month from june, the fuel was killing me")
    assert decide(cut, [lease]).revises == lease.text  # indexed with it and read by the order, never superseded
    assert decide(cand("update: the dog now weighs 12 kg"), [lease]).revises == ""


def test_a_count_of_someone_elses_things_is_not_the_users():
    sister = mem("m1", "my sister Ola has 3 cats and fosters kittens")
    assert decide(cand("we have 2 cats now, Miso passed away"), [sister]).action != "contradict"
    assert decide(cand("the 2 cats need their jabs in May"), [sister]).action != "contradict"
    mine = mem("m2", "I have 3 cats, all indoor")
    assert decide(cand("we have 2 cats now, Miso passed away"), [mine]).targets == ("m2",)


def meaning(*pairs: tuple[str, str, float]):
    """A similarity by meaning that knows the cosines of the given text pairs (0 for any other pair)."""
    known = {frozenset((a, b)): cosine for a, b, cosine in pairs}
    return lambda a, b: known.get(frozenset((a, b)), 0.0)


def test_a_value_near_in_meaning_revises_the_same_slot_without_shared_words():
    # the embedder says the two are about one thing; the structure says another amount of one unit
    tyres = mem("m1", "The gravel bike's tyres run at 45 psi.")
    lower = cand("Dropping to 38 psi made the washboard bearable.")
    found = decide(lower, [tyres], meaning((lower.text, tyres.text, 0.9)))
    assert (found.action, found.revised, found.revises) == ("add", ("m1",), "")  # linked, not superseded
    # no vectors (lexical only), or not near enough in meaning: nothing linked
    assert decide(lower, [tyres]).revised == ()
    assert decide(lower, [tyres], meaning((lower.text, tyres.text, 0.7))).revised == ()


def test_a_near_memory_is_revised_only_by_another_value_of_a_kind_it_gives():
    choir = mem("m1", "The choir rehearses on Thursdays at 19:30 in the parish hall.")
    close = lambda a, b: 0.92  # noqa: E731  (every pair near in meaning: the structure decides)
    assert decide(cand("Rehearsals start at 20:15 from next week."), [choir], close).revised == ("m1",)
    # a name or no value of a kind the memory gives is no new value for its slot
    assert decide(cand("Ottoline leads the warm-up."), [choir], close).revised == ()
    assert decide(cand("The parish hall is cold in winter."), [choir], close).revised == ()


def test_a_near_memory_about_another_named_thing_or_someone_else_s_is_not_revised():
    concert = mem("m1", "The Brahms concert with Marguerite is on 12 May.")
    close = lambda a, b: 0.93  # noqa: E731
    assert decide(cand("The Fauré concert with Osvaldo is on 19 May."), [concert], close).revised == ()
    assert decide(cand("Marguerite and I play the Brahms on 19 May."), [concert], close).revised == ("m1",)
    agents = mem("m1", "I will remind you on 12 May.", role="assistant")
    assert decide(cand("The Brahms concert is on 19 May."), [agents], close).revised == ()
    assert decide(cand("I will remind you on 19 May.", role="assistant"), [concert], close).revised == ()


def test_of_several_near_memories_the_nearest_in_meaning_is_revised():
    bisque = mem("m1", "Bisque firing on 3 June.")
    glaze = mem("m2", "The glaze kiln gets loaded on 10 June.")
    later = cand("That one goes in on 14 June.")
    pairs = [(later.text, bisque.text, 0.9), (later.text, glaze.text, 0.93)]
    assert decide(later, [bisque, glaze], meaning(*pairs)).revised == ("m2",)
    assert decide(later, [bisque, glaze], meaning(pairs[0])).revised == ("m1",)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "PURCHASE ORDER PO-5512   Harlow Timber Ltd   03/03/2026",
            "PURCHASE ORDER PO-5630   Brant Fixings   12/04/2026",
        ),
        ("MONTH 3 budget sheet", "MONTH 4 budget sheet"),
        ("KM 41,200 | oil change at Fastfit", "KM 43,950 | wipers replaced, moved to Bosch blades"),
        (
            "CF-031,Ethiopian Yirgacheffe,Lantern Roasters,7.40,12.00,2",
            "CF-044,Colombian Huila,Lantern Roasters,6.20,11.50,3",
        ),
        ("19:45 Brahms Requiem mvt 1, bars 1-40", "20:30 SECTIONAL tenors: Brahms mvt 2, bars 12-60"),
        ("Desk 12: Amira and Joe, 2 monitors", "Desk 9: new starter Li, 1 monitor"),
    ],
)
def test_a_record_of_a_series_does_not_revise_another_led_by_its_own_key(old, new):
    assert decide(cand(new), [mem("m1", old)]).action != "contradict"


def test_a_record_is_revised_by_a_record_with_its_own_key():
    row = mem("m1", "CF-031,Ethiopian Yirgacheffe,Lantern Roasters,7.40,12.00,2")
    assert decide(cand("CF-031,Ethiopian Yirgacheffe,Lantern Roasters,8.10,12.00,2"), [row]).targets == ("m1",)
    assert claims.record("Goal pace 5:10 per km") is None  # a label's value is no record's key
    assert claims.record("Plot 14B by the gate") is None


def test_a_record_of_a_day_that_is_over_is_history():
    # a result line said after its day; a later change of the team is news, it does not rewrite the result
    said = "2026-10-14T10:00:00Z"
    result = Neighbour("m1", "fact", "12 Oct h v Leeds 3-1 (Bd1 Amir 1-0, Bd2 Patel 1-0)", said, "user", "s1", 1)
    later = cand("Patel has moved to Leeds (!), board 2 goes to young Sam Reed (1850).", at="2026-11-02T10:00:00Z")
    assert decide(later, [result]).action != "contradict"
    fixture = Neighbour("m2", "fact", "12 Oct a v Leeds", "2026-09-01T10:00:00Z", "user", "s1", 1)
    moved = cand("Leeds match postponed to 9 Nov, their hall flooded", at="2026-10-14T10:00:00Z")
    assert decide(moved, [fixture]).targets == ("m2",)  # a postponement still moves the fixture


def test_arithmetic_typed_with_an_x_restates_values():
    drop = mem("m1", "10 mm² cable at 40 m is about 4.4 mV/A/m x 30 A x 40 m = 5.3 V, fine for the garage")
    assert claims.parse(drop.text).derived
    assert decide(cand("Garage feed: 16 mm² cable on a 40 A breaker."), [drop]).action != "contradict"


def test_before_and_back_name_no_slot():
    rota = mem("m1", "sam's doing the wed collections now, jo stepped back for good")
    assert decide(cand("from 3 feb just mon am, ali wants his thu back"), [rota]).action != "contradict"
    count = mem("m2", "I'll do the till count every Friday evening before closing.")
    assert decide(cand("From May we close Mondays too, weekdays as before."), [count]).action != "contradict"


def test_a_c_constant_is_the_setting_its_name_labels():
    """ "#define NAME value" reads as "NAME = value": a new value of the same name supersedes, another name
    sharing a word of it ("SENSOR_TYPE" / "SOIL_SENSOR_PIN") or the "#define" itself does not."""
    assert decide(cand("#define HEATER_RELAY_PIN 27"), [mem("m1", "#define HEATER_RELAY_PIN 26")]).targets == ("m1",)
    for old, new in [
        ("#define SENSOR_TYPE BME280", "#define SOIL_SENSOR_PIN 34   // adc1"),
        ("#define VENT_OPEN_C 24.0", "#define VENT_CLOSE_C 21.5"),
    ]:
        assert decide(cand(new), [mem("m1", old)]).action == "add", (old, new)
