"""Offline transcript and thread splitting (ai.extract): the customer's side, classified, merged, filler dropped."""

from __future__ import annotations

from ai.extract import classify, extract_offline, turns, vendor_speakers

CALL = """[00:00:05] Sam (AE): Thanks for joining today. How is the rollout going so far?
[00:00:12] Dana Lee: Yeah, good. Honestly we love the latency of Mistral Small, it's been really fast for our bot.
[00:00:30] Sam (AE): Great to hear. What would you love us to add next?
[00:00:41] Dana Lee: The price is too high for our volume. Our CFO keeps asking about it.
[00:00:55] Sam (AE): Understood. Are you looking at other vendors?
[00:01:02] Dana Lee: We're also evaluating Claude from Anthropic for the same use case.
[00:01:10] Sam (AE): Okay. Anything missing in the platform?
[00:01:15] Dana Lee: We need SSO with Okta for the admin console. It is a hard requirement from IT.
[00:01:30] Dana Lee: Sounds good.
"""


def kinds_and_words(text: str) -> list[tuple[str, str]]:
    return [(piece.kind, piece.text) for piece in extract_offline(text)]


def test_given_a_sales_call_then_only_the_customers_requests_objections_praise_and_competitors_are_kept():
    pieces = extract_offline(CALL)

    assert [(p.kind, p.text) for p in pieces] == [
        ("praise", "Honestly we love the latency of Mistral Small, it's been really fast for our bot."),
        ("objection", "The price is too high for our volume. Our CFO keeps asking about it."),
        ("competitor", "We're also evaluating Claude from Anthropic for the same use case."),
        ("request", "We need SSO with Okta for the admin console. It is a hard requirement from IT."),
    ]
    # the AE's "What would you love us to add next?" is a request cue, but the AE is the vendor's side
    assert all("Sam" not in p.text and "?" not in p.text for p in pieces)
    praise = pieces[0]
    assert CALL[praise.start : praise.end] == praise.text


def test_given_unlabelled_speakers_then_the_one_asking_most_questions_is_taken_for_the_interviewer():
    text = (
        "Priya: Can you walk me through your workflow? What do you use today? Would you love an export?\n"
        "Alex: We run batch jobs every night.\n"
        "Alex: It would be great if the batch API sent a webhook when a job finishes. Right now we poll.\n"
        "Priya: How often does that fail?\n"
        "Alex: The docs are not great for batch either.\n"
    )

    assert vendor_speakers(text, turns(text)) == {"Priya"}
    assert kinds_and_words(text) == [
        ("request", "It would be great if the batch API sent a webhook when a job finishes. Right now we poll."),
    ]  # the negated praise ("not great") is not praise


def test_given_a_slack_export_with_header_lines_then_each_message_belongs_to_its_author():
    text = (
        "Marie Dubois  10:32 AM\n"
        "We are impressed by Codestral's completions in our IDE.\n"
        "Is there a way to pin the model version per workspace?\n"
        "Tom (CSM)  10:40 AM\n"
        "Thanks Marie, I'll raise it with product. Would you like a call to discuss the roadmap?\n"
    )

    assert kinds_and_words(text) == [
        ("praise", "We are impressed by Codestral's completions in our IDE."),
        ("request", "Is there a way to pin the model version per workspace?"),
    ]


def test_given_adjacent_pieces_of_the_same_kind_then_they_are_merged_across_one_filler():
    text = (
        "Customer: We need audit logs for every API key. Okay. We also need per-key spending limits.\n"
        "Customer: I love the playground.\n"
    )

    pieces = extract_offline(text)

    assert [(p.kind, p.text) for p in pieces] == [
        ("request", "We need audit logs for every API key. We also need per-key spending limits."),
        ("praise", "I love the playground."),
    ]
    assert (
        text[pieces[0].start : pieces[0].end]
        == "We need audit logs for every API key. Okay. We also need per-key spending limits."
    )


def test_given_a_vendor_turn_between_two_requests_then_they_stay_apart():
    text = "Dana: We need SSO.\nSam (AE): Noted, we need to check.\nDana: We need SCIM provisioning too.\n"

    assert [p.text for p in extract_offline(text)] == ["We need SSO.", "We need SCIM provisioning too."]


def test_given_plain_long_text_then_it_is_one_customers_words():
    text = "The export keeps failing since Tuesday. We need a way to export to Parquet. Thanks for the great support."

    assert kinds_and_words(text) == [
        ("request", "We need a way to export to Parquet."),
        ("praise", "Thanks for the great support."),
    ]


def test_given_only_filler_or_nothing_then_there_is_no_piece():
    assert extract_offline("") == []
    assert extract_offline("Dana: Yeah. Okay, sounds good.\nSam (AE): Great, thanks!\n") == []


def test_given_sentences_then_each_cue_gives_its_kind_and_the_competitor_wins():
    assert classify("We switched half our traffic to GPT-4o because it is cheaper.") == "competitor"
    assert classify("Security review will block us unless you have SOC 2.") == "objection"
    assert classify("Could you add a Go SDK?") == "request"
    assert classify("The new dashboard works really well.") == "praise"
    assert classify("The dashboard is not great.") == ""
    assert classify("We deployed it on Tuesday.") == ""


def test_given_markdown_names_and_numbered_speakers_with_timestamps_then_turns_are_still_found():
    notes = (
        "**Sarah (Mistral CSM):** How are things going with Codestral?\n"
        "**Ben:** Honestly the team is really happy with it.\n"
        "**Ben:** GitHub Copilot already offers self-hosting, so leadership asks why we don't just switch.\n"
    )
    call = (
        "Speaker 1 (00:00:03): What are you using today? What does it cost?\n"
        "Speaker 2 (00:00:09): Rate limits are a blocker for our batch jobs at month end.\n"
        "Speaker 1 (00:00:20): Anything you'd love us to change?\n"
    )

    assert [p.kind for p in extract_offline(notes)] == ["praise", "competitor"]
    assert kinds_and_words(call) == [("objection", "Rate limits are a blocker for our batch jobs at month end.")]


def test_given_the_offline_provider_then_its_extract_is_the_offline_splitter():
    from ai.providers import get_provider

    assert get_provider("offline").extract(CALL) == extract_offline(CALL)
