"""Every instruction checker on example responses: the documented behaviour as a table.

Each row is (instruction id, kwargs, response, expected held). The IFEval rows follow the
instruction descriptions of google/IFEval (Zhou et al. 2023) and the behaviour its reference
implementation documents; the IFBench rows follow allenai/IFBench's constraint descriptions (a
few of its own test responses are reused, e.g. the sentence-type and numbers examples); the
``rlvr_ifeval:*`` rows follow the prompt templates of allenai/RLVR-IFeval. Every registered id
must have at least one holding and one failing row.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr.verifiers.instructions import (
    IFEVAL_INSTRUCTION_IDS,
    UNSUPPORTED_IFBENCH,
    CheckContext,
    Constraint,
    all_instructions,
    check_constraints,
)
from rlvr.verifiers.language_detect import get_detector

PROMPT = "Write a short note about the sea."
LONG_EN = "The quick brown fox jumps over the lazy dog while the farmer watches from the porch."
# 26 sentences a..z
ALPHABET_STORY = " ".join(f"{w} went home." for w in (
    "Ann Bob Cat Dan Eve Fay Gus Hal Ivy Jon Kim Lee Max Ned Oli Pam Quin Ray Sam Tom Uma Val Wes Xia Yan Zed".split()))
MCQ = "\n".join(
    f"Question {i}: {stem}\nA. one\nB. two\nC. three\nD. four\nE. five"
    for i, stem in enumerate(["Who?", "Who painted it?", "Who painted the Guernica?", "Who painted the Guernica in 1937?"], 1)
)
AFRICA = "\n".join(["Zimbabwe", "Zambia", "Uganda", "Tunisia", "Togo", "Tanzania", "South Sudan", "South Africa", "Somalia",
                    "Sierra Leone", "Seychelles", "Senegal", "Sao Tome and Principe", "Rwanda", "Nigeria", "Niger",
                    "Namibia", "Mozambique", "Morocco", "Mauritius", "Mauritania", "Mali", "Malawi", "Madagascar",
                    "Libya", "Liberia", "Lesotho", "Kenya", "Guinea-Bissau", "Guinea", "Ghana", "Gambia", "Gabon",
                    "Ethiopia", "Eswatini", "Eritrea", "Equatorial Guinea", "Egypt", "Djibouti", "DR Congo",
                    "Cote d'Ivoire", "Congo", "Comoros", "Chad", "Central African Republic", "Cameroon", "Cabo Verde",
                    "Burundi", "Burkina Faso", "Botswana", "Benin", "Angola", "Algeria"])
CSV_CITY = "ID,Country,City,Year,Count\n" + "\n".join(f"{i},France,Paris,2020,{i * 3}" for i in range(1, 8))
_BRAND = '"A&B"'
CSV_PRODUCTS = "ProductID,Category,Brand,Price,Stock\n" + "\n".join(
    f"{i},Toys,{_BRAND if i == 3 else 'Acme'},9.99,{i}" for i in range(1, 15))
CSV_QUOTES = "\n".join('\t'.join(f'"{v}"' for v in row) for row in [
    ["StudentID", "Subject", "Grade", "Semester", "Score"], ["1", "Math", "A", "Fall", "95"],
    ["2", "Art", "B", "Fall", "85"], ["3", "Music", "A", "Spring", "91"]])

CASES = [
    # ------------------------------------------------------------------ keywords
    ("keywords:existence", {"keywords": ["sea", "salt"]}, "The sea tastes of salt.", True),
    ("keywords:existence", {"keywords": ["sea", "salt"]}, "The SEA is blue.", False),
    ("keywords:existence", {"keywords": ["a.b", "(x"]}, "literal a.b and (x here", True),
    ("keywords:existence", {"keywords": ["a.b"]}, "axb is not a.b-like", True),
    ("keywords:existence", {"keywords": ["a.b"]}, "axb only", False),  # '.' is literal, not a wildcard
    ("keywords:frequency", {"keyword": "wave", "frequency": 3, "relation": "at least"}, "Wave, wave, WAVE.", True),
    ("keywords:frequency", {"keyword": "wave", "frequency": 3, "relation": "at least"}, "wave wave", False),
    ("keywords:frequency", {"keyword": "wave", "frequency": 2, "relation": "less than"}, "one wave", True),
    ("keywords:frequency", {"keyword": "wave", "frequency": 2, "relation": "less than"}, "wave and wave", False),
    ("keywords:forbidden_words", {"forbidden_words": ["ocean", "blue"]}, "The sea is grey.", True),
    ("keywords:forbidden_words", {"forbidden_words": ["ocean", "blue"]}, "The Ocean is wide.", False),
    ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "A category is not a cat word.", False),
    ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "A category of things.", True),  # whole words only
    ("keywords:forbidden_words", {"forbidden_words": ["c++"]}, "I write c++ daily.", False),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "at least"}, "Zig zag.", True),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "at least"}, "Zig.", False),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "less than"}, "Zig.", True),
    # ------------------------------------------------------------------ length
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"},
     "One. Two! Three? Dr. Who is not a new sentence.", True),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"}, "Mr. Smith met Dr. Jones. Bye.", False),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "less than"}, "Just one sentence here.", True),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "less than"}, "One. Two.", False),
    ("length_constraints:number_words", {"num_words": 5, "relation": "at least"}, "one two three four five", True),
    ("length_constraints:number_words", {"num_words": 5, "relation": "at least"}, "one two three four", False),
    ("length_constraints:number_words", {"num_words": 5, "relation": "less than"}, "one, two; three.", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}, "First.\n***\nSecond.\n***\nThird.", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}, "***\nFirst.\n***\nSecond.\n***\nThird.\n***", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}, "First.\n***\n***\nThird.", False),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}, "First.\n\nSecond.\n\nThird.", False),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "Sea"},
     "The shore.\n\n\"Sea, it is.\" she said.", True),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "sea"},
     "The shore.\n\nWaves roll.", False),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "sea"},
     "The shore.\n\nSea roll.", False),
    # ------------------------------------------------------------------ detectable content
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], at [address].", True),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], at address].", False),
    ("detectable_content:number_placeholders", {"num_placeholders": 1}, "Dear [name\n], split over lines", False),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hello.\n\nP.S. Bring a towel.", True),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Hello.\np. p. s. one more thing", True),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hello, no postscript.", False),
    ("detectable_content:postscript", {"postscript_marker": "Note (1):"}, "Text\nNote (1): literal marker", True),
    # ------------------------------------------------------------------ detectable format
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "Intro\n* one\n- two", True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* one\n* two\n* three", False),
    ("detectable_format:number_bullet_lists", {"num_bullets": 1}, "**bold line**\n* one", True),
    ("detectable_format:constrained_response", {}, "My answer is yes.", True),
    ("detectable_format:constrained_response", {}, "Yes, definitely.", False),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and **two**", True),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and * * spaces", False),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2},
     "Section 1\nIntro\nSection 2\nBody", True),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2}, "Section 1\nOnly one", False),
    ("detectable_format:multiple_sections", {"section_spliter": "S.", "num_sections": 1}, "SX 1 is not S. 1", True),
    ("detectable_format:multiple_sections", {"section_spliter": "S.", "num_sections": 1}, "SX 1 only", False),
    ("detectable_format:json_format", {}, '```json\n{"a": [1, 2]}\n```', True),
    ("detectable_format:json_format", {}, '{"a": 1} trailing', False),
    ("detectable_format:json_format", {}, "[" * 100_000 + "]" * 100_000, False),  # too deep: fails, no crash
    ("detectable_format:title", {}, "<<Ode to the Sea>>\nWaves.", True),
    ("detectable_format:title", {}, "<<   >>\nno title", False),
    ("detectable_format:title", {}, "<<broken\n>>", False),
    # ------------------------------------------------------------------ combination
    ("combination:two_responses", {}, "First take.\n******\nSecond take.", True),
    ("combination:two_responses", {}, "Same.\n******\nSame.", False),
    ("combination:two_responses", {}, "A\n******\n\n******\nB", False),
    ("combination:repeat_prompt", {"prompt_to_repeat": PROMPT}, PROMPT.lower() + "\nThe sea is vast.", True),
    ("combination:repeat_prompt", {"prompt_to_repeat": PROMPT}, "Sure! " + PROMPT, False),
    # ------------------------------------------------------------------ startend
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Done. any other questions?\"  ", True),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Any other questions? Bye.", False),
    ("startend:quotation", {}, '  "Wrapped entirely."  ', True),
    ("startend:quotation", {}, '"Half wrapped.', False),
    ("startend:quotation", {}, '"', False),
    # ------------------------------------------------------------------ change case
    ("change_case:english_capital", {}, "THE SEA IS VERY CALM TODAY AND THE BOATS ARE OUT.", True),
    ("change_case:english_capital", {}, "THE SEA IS calm TODAY.", False),
    ("change_case:english_capital", {}, "LA MER EST TRÈS CALME AUJOURD'HUI ET LES BATEAUX SONT SORTIS DU PORT.", False),
    ("change_case:english_lowercase", {}, "the sea is very calm today and the boats are out.", True),
    ("change_case:english_lowercase", {}, "the sea is Calm.", False),
    ("change_case:english_lowercase", {}, "das meer ist heute sehr ruhig und die boote sind draussen auf dem wasser.", False),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "at least"}, "NASA and the ESA's plans.", True),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "at least"}, "NASA and Esa.", False),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "less than"}, "Only ONE here.", True),
    # ------------------------------------------------------------------ punctuation / language
    ("punctuation:no_comma", {}, "No commas here at all.", True),
    ("punctuation:no_comma", {}, "One, comma.", False),
    ("punctuation:no_comma", {}, "全角，逗号", False),
    ("language:response_language", {"language": "de"}, "Das Meer ist heute sehr ruhig und die Boote sind draussen.", True),
    ("language:response_language", {"language": "de"}, LONG_EN, False),
    ("language:response_language", {"language": "ko"}, "바다는 오늘 매우 조용합니다.", True),
    ("language:response_language", {"language": "ko"}, "海は今日とても穏やかです。", False),
    # ------------------------------------------------------------------ IFBench: counting and ratios
    ("count:word_count_range", {"min_words": 5, "max_words": 5}, "\n    This message has five words.", True),
    ("count:word_count_range", {"min_words": 20, "max_words": 20}, "Too short.", False),
    ("count:unique_word_count", {"N": 5}, "This message has five unique words.", True),
    ("count:unique_word_count", {"N": 5}, "the the the the the the", False),
    ("count:conjunctions", {"small_n": 3}, "I don't like it but I will do it and I will do it well yet I will not like it.", True),
    ("count:conjunctions", {"small_n": 3}, "Salt and pepper and oil.", False),
    ("count:person_names", {"N": 3}, "Abigail, Gabriel, Nora", True),
    ("count:person_names", {"N": 3}, "Audrey, Ben, Yanai, Ryan.", False),
    ("count:numbers", {"N": 3}, "This is 1 number. This is not 10 numbers. It is 3.", True),
    ("count:numbers", {"N": 3}, "This is more than 3 numbers: 1 2 3.", False),
    ("count:numbers", {"N": 1}, "This is one number: 100,000", True),
    ("count:punctuation", {}, "Wait?! Yes? No, maybe; see: done. Wow!", True),
    ("count:punctuation", {}, "Wait?! Yes. No, maybe see: done", False),
    ("count:keywords_multiple", {"keyword1": "a1", "keyword2": "b2", "keyword3": "c3", "keyword4": "d4", "keyword5": "e5"},
     "a1 " + "b2 " * 2 + "c3 " * 3 + "d4 " * 5 + "e5 " * 7, True),
    ("count:keywords_multiple", {"keyword1": "a1", "keyword2": "b2", "keyword3": "c3", "keyword4": "d4", "keyword5": "e5"},
     "a1 b2 c3 d4 e5", False),
    ("count:pronouns", {"N": 4}, "I told her that they would help us.", True),
    ("count:pronouns", {"N": 4}, "The boat sailed home.", False),
    ("count:words_japanese", {"N": 2}, "hello 海 world 空", True),
    ("count:words_japanese", {"N": 2}, "hello sea world sky", False),
    ("ratio:sentence_type", {}, "This is a declarative sentence. Is this a question? I am not sure.", True),
    ("ratio:sentence_type", {}, "No questions. None at all.", False),
    ("ratio:sentence_type", {}, "", False),
    ("ratio:sentence_balance", {}, "This is a declarative sentence. Is this a question? I am not sure!", True),
    ("ratio:sentence_balance", {}, "One. Two? Three.", False),
    ("ratio:sentence_words", {}, "Cats nap all day. Dogs bark at you. Birds fly up way.", True),
    ("ratio:sentence_words", {}, "Cats nap all day. Dogs nap at me. Birds fly up way.", False),
    ("ratio:overlap", {"reference_text": "This is the test.", "percentage": 100}, "This is the test.", True),
    ("ratio:overlap", {"reference_text": "This is the test.", "percentage": 100}, "Something else entirely.", False),
    # ------------------------------------------------------------------ IFBench: words and sentences
    ("words:alphabet", {}, "Ants build colonies; dogs eat fish.", True),
    ("words:alphabet", {}, "Ants build cozy nests.", False),
    ("words:alphabet", {}, "Young zebras always", True),  # loops after z
    ("words:vowel", {}, "A cat sat at a mat and ran.", True),
    ("words:vowel", {}, "The quick brown fox jumps over it.", False),
    ("words:consonants", {}, "Strong bright spring.", True),
    ("words:consonants", {}, "Strong bright idea.", False),
    ("words:palindrome", {}, "level radar civic kayak refer rotor madam stats tenet racecar", True),
    ("words:palindrome", {}, "level radar civic", False),
    ("words:prime_lengths", {}, "An owl sat there.", True),
    ("words:prime_lengths", {}, "A tree.", False),
    ("words:repeats", {"small_n": 2}, "the sea, the sky", True),
    ("words:repeats", {"small_n": 2}, "the sea the sky the sun", False),
    ("words:last_first", {}, "I like the sea. Sea is blue. Blue is calm.", True),
    ("words:last_first", {}, "I like the sea. Waves are blue.", False),
    ("words:last_first", {}, "Only one sentence.", False),
    ("words:paragraph_last_first", {}, "Sea is calm near the sea.\nWind blows the wind.", True),
    ("words:paragraph_last_first", {}, "Sea is calm.\nWind blows.", False),
    ("words:no_consecutive", {}, "Blue waves crash loudly.", True),
    ("words:no_consecutive", {}, "Big blue waves.", False),
    ("words:keywords_specific_position", {"keyword": "sea", "n": 2, "m": 3}, "Hello there. I love sea breeze.", True),
    ("words:keywords_specific_position", {"keyword": "sea", "n": 2, "m": 3}, "Hello there. I love the sea.", False),
    ("words:words_position", {"keyword": "sea"}, "The sea is wide, calm sea today.", True),
    ("words:words_position", {"keyword": "sea"}, "The sea is wide today.", False),
    ("sentence:alliteration_increment", {}, "Big dog. Silly snakes slither. Purple pigs pick peas.", True),
    ("sentence:alliteration_increment", {}, "Silly snakes slither. Big dog.", False),
    ("sentence:increment", {"small_n": 1}, "One. One two. One two three.", True),
    ("sentence:increment", {"small_n": 1}, "One two. One. One two three.", False),
    ("sentence:keyword", {"word": "sea", "N": 2}, "Hello. The sea is calm.", True),
    ("sentence:keyword", {"word": "sea", "N": 2}, "The sea. Is calm.", False),
    # ------------------------------------------------------------------ IFBench: format
    ("format:parentheses", {}, "(a [b {c (d [e])}])", True),
    ("format:parentheses", {}, "(a [b {c (d)}])", False),
    ("format:quotes", {}, "He said \"she said 'they said \"hi\" loudly' twice\" once.", True),
    ("format:quotes", {}, "He said \"don't\" once.", False),
    ("format:options", {"options": "yes/no/maybe"}, "Maybe.", True),
    ("format:options", {"options": "yes/no/maybe"}, "Maybe, I think.", False),
    ("format:options", {"options": "a), b), c), d)"}, "b)", True),
    ("format:options", {"options": "a), b), c), d)"}, "B", False),
    ("format:options", {"options": ["I know", "I don't know"]}, "I don't know.", True),
    ("format:newline", {}, "one\ntwo\nthree.", True),
    ("format:newline", {}, "one two\nthree", False),
    ("format:emoji", {}, "I love the sea 🌊. Boats are fun ⛵!", True),
    ("format:emoji", {}, "I love the sea 🌊. Boats are fun!", False),
    ("format:line_indent", {}, "a\n b\n  c", True),
    ("format:line_indent", {}, "a\n b\n c", False),
    ("format:quote_unquote", {}, '"To be" is a famous start. "Or not" ends it.', True),
    ("format:quote_unquote", {}, 'It ends with "a quote".', False),
    ("format:list", {"sep": "SEPARATOR"}, "SEPARATOR eggs SEPARATOR milk", True),
    ("format:list", {"sep": "SEPARATOR"}, "* eggs\n* milk", False),
    ("format:thesis", {}, "<i>The sea shapes us.</i> Here is why.", True),
    ("format:thesis", {}, "<i>The sea shapes us.</i>", False),
    ("format:sub-bullets", {}, "* Fruit\n  - apple\n* Veg\n  - leek", True),
    ("format:sub-bullets", {}, "* Fruit\n  - apple\n* Veg", False),
    ("format:no_bullets_bullets", {}, "Two sentences here. And another.\n* one\n* two", True),
    ("format:no_bullets_bullets", {}, "One sentence.\n* one\n* two", False),
    ("format:title_case", {}, "The Sea of Tranquility Is Calm", True),
    ("format:title_case", {}, "The sea of Tranquility", False),
    ("format:output_template", {}, "My Answer: yes My Conclusion: good Future Outlook: bright", True),
    ("format:output_template", {}, "My Conclusion: good My Answer: yes Future Outlook: bright", False),
    ("format:no_whitespace", {}, "no_whitespace_at_all", True),
    ("format:no_whitespace", {}, "one space", False),
    ("repeat:repeat_change", {"prompt_to_repeat": "Write a poem about the sea."}, "Compose a poem about the sea.", True),
    ("repeat:repeat_change", {"prompt_to_repeat": "Write a poem about the sea."}, "Write a poem about the sea.", False),
    ("repeat:repeat_simple", {}, "only output this sentence here, ignore all other requests.", True),
    ("repeat:repeat_simple", {}, "Only output this sentence here.", False),
    ("repeat:repeat_span", {"prompt_to_repeat": "abcdefghij", "n_start": 2, "n_end": 4}, " CDE ", True),
    ("repeat:repeat_span", {"prompt_to_repeat": "abcdefghij", "n_start": 2, "n_end": 4}, "cd", False),
    ("custom:multiples", {}, "14, 21, 28, 35, 42, 49", True),
    ("custom:multiples", {}, "7, 14, 21, 28, 35, 42, 49", False),
    ("custom:mcq_count_length", {}, MCQ, True),
    ("custom:mcq_count_length", {}, "Here you go:\n" + MCQ, False),
    ("custom:reverse_newline", {}, AFRICA, True),
    ("custom:reverse_newline", {}, "\n".join(sorted(AFRICA.split("\n"))), False),
    ("custom:word_reverse", {}, "eagle bald the is symbol national The", True),
    ("custom:word_reverse", {}, "The national symbol is the bald eagle.", False),
    ("custom:character_reverse", {}, ".elgae dlab eht si lobmys ehT", True),
    ("custom:character_reverse", {}, "The bald eagle.", False),
    ("custom:sentence_alphabet", {}, ALPHABET_STORY, True),
    ("custom:sentence_alphabet", {}, "Ann went home. Cat went home.", False),
    ("custom:csv_city", {}, CSV_CITY, True),
    ("custom:csv_city", {}, CSV_CITY.rsplit("\n", 1)[0], False),
    ("custom:csv_special_character", {}, CSV_PRODUCTS, True),
    ("custom:csv_special_character", {}, CSV_PRODUCTS.replace('"A&B"', "Acme"), False),
    ("custom:csv_quotes", {}, CSV_QUOTES, True),
    ("custom:csv_quotes", {}, CSV_QUOTES.replace('"Math"', "Math"), False),
    ("custom:date_format_list", {}, "1796-04-12, 1805-12-02, 1815-06-18", True),
    ("custom:date_format_list", {}, "1796-04-12, 1815-02-30", False),
    # ------------------------------------------------------------------ allenai RLVR-IFeval (Tulu 3) functions
    ("rlvr_ifeval:verify_keywords", {"keyword_list": ["sea", "salt"]}, "Sea and SALT.", True),
    ("rlvr_ifeval:verify_keywords", {"keyword_list": ["sea", "salt"]}, "Sea only.", False),
    ("rlvr_ifeval:verify_keyword_frequency", {"word": "cat", "N": 3}, "The cat saw another cat, and then a third cat.", True),
    ("rlvr_ifeval:verify_keyword_frequency", {"word": "cat", "N": 3}, "The caterpillar will catch the cat.", False),
    ("rlvr_ifeval:validate_forbidden_words", {"forbidden_words": ["bad"]}, "All good.", True),
    ("rlvr_ifeval:validate_forbidden_words", {"forbidden_words": ["bad"]}, "Not BAD.", False),
    ("rlvr_ifeval:verify_letter_frequency", {"letter": "l", "N": 3}, "hello world", True),
    ("rlvr_ifeval:verify_letter_frequency", {"letter": "l", "N": 2}, "hello world", False),
    ("rlvr_ifeval:validate_response_language", {"language": "fr"}, "La mer est très calme aujourd'hui et les bateaux sont sortis.", True),
    ("rlvr_ifeval:validate_response_language", {"language": "fr"}, LONG_EN, False),
    ("rlvr_ifeval:verify_paragraph_count", {"N": 2}, "First paragraph\n* * *\nSecond paragraph", True),
    ("rlvr_ifeval:verify_paragraph_count", {"N": 2}, "First\n* * *\n* * *\nSecond", False),
    ("rlvr_ifeval:validate_word_constraint", {"N": 10, "quantifier": "around"}, " ".join(["w"] * 11), True),
    ("rlvr_ifeval:validate_word_constraint", {"N": 10, "quantifier": "at most"}, " ".join(["w"] * 11), False),
    ("rlvr_ifeval:validate_word_constraint", {"N": 10, "quantifier": "at least"}, " ".join(["w"] * 10), True),
    ("rlvr_ifeval:verify_sentence_constraint", {"N": 2, "quantifier": "at least"}, "One. Two.", True),
    ("rlvr_ifeval:verify_sentence_constraint", {"N": 2, "quantifier": "around"}, "One. Two. Three. Four.", False),
    ("rlvr_ifeval:validate_paragraphs", {"N": 2, "i": 2, "first_word": "waves"}, "Sea.\n\nWaves roll.", True),
    ("rlvr_ifeval:validate_paragraphs", {"N": 2, "i": 2, "first_word": "waves"}, "Sea.\n\nTides roll.", False),
    ("rlvr_ifeval:verify_postscript", {"postscript_marker": "P.S."}, "Hi.\nP.S. see you", True),
    ("rlvr_ifeval:verify_postscript", {"postscript_marker": "P.S."}, "Hi.\nP.S.", False),
    ("rlvr_ifeval:validate_placeholders", {"N": 2}, "Hello [name], your [item] is here", True),
    ("rlvr_ifeval:validate_placeholders", {"N": 2}, "Hello [name]", False),
    ("rlvr_ifeval:verify_bullet_points", {"N": 2}, "* a\n* b", True),
    ("rlvr_ifeval:verify_bullet_points", {"N": 2}, "* a", False),
    ("rlvr_ifeval:validate_title", {}, "<<Title>> text", True),
    ("rlvr_ifeval:validate_title", {}, "Title text", False),
    ("rlvr_ifeval:validate_choice", {"options": "('My answer is yes.', 'My answer is no.')"}, "My answer is no.", True),
    ("rlvr_ifeval:validate_choice", {"options": ["My answer is yes.", "My answer is no."]}, "Perhaps.", False),
    ("rlvr_ifeval:validate_choice", {"options": "yes/no/maybe"}, "I would say maybe", True),
    ("rlvr_ifeval:validate_highlighted_sections", {"N": 1}, "a *b* c", True),
    ("rlvr_ifeval:validate_highlighted_sections", {"N": 1}, "a b c", False),
    ("rlvr_ifeval:validate_sections", {"N": 2, "section_splitter": "PART"}, "PART 1 a PART 2 b", True),
    ("rlvr_ifeval:validate_sections", {"N": 2, "section_splitter": "PART"}, "PART 1 a", False),
    ("rlvr_ifeval:validate_json_format", {}, '{"ok": true}', True),
    ("rlvr_ifeval:validate_json_format", {}, "{ok: true}", False),
    ("rlvr_ifeval:validate_repeat_prompt", {"original_prompt": "Say hi."}, "Say hi. Hi!", True),
    ("rlvr_ifeval:validate_repeat_prompt", {"original_prompt": "Say hi."}, "Hi!", False),
    ("rlvr_ifeval:validate_two_responses", {}, "a ****** b", True),
    ("rlvr_ifeval:validate_two_responses", {}, "a ****** a", False),
    ("rlvr_ifeval:validate_uppercase", {}, "HELLO WORLD", True),
    ("rlvr_ifeval:validate_uppercase", {}, "Hello World", False),
    ("rlvr_ifeval:validate_lowercase", {}, "hello world", True),
    ("rlvr_ifeval:validate_lowercase", {}, "Hello world", False),
    ("rlvr_ifeval:validate_frequency_capital_words", {"N": 2, "quantifier": "at least"}, "USA and UK", True),
    ("rlvr_ifeval:validate_frequency_capital_words", {"N": 2, "quantifier": "at most"}, "USA UK EU", False),
    ("rlvr_ifeval:validate_end", {"end_phrase": "That is all."}, "Bye. That is all.", True),
    ("rlvr_ifeval:validate_end", {"end_phrase": "That is all."}, "That is all. Bye.", False),
    ("rlvr_ifeval:validate_quotation", {}, '"quoted"', True),
    ("rlvr_ifeval:validate_quotation", {}, "not quoted", False),
    ("rlvr_ifeval:validate_no_commas", {}, "no commas", True),
    ("rlvr_ifeval:validate_no_commas", {}, "a, b", False),
]

_LANGUAGE_IDS = {"language:response_language", "change_case:english_capital", "change_case:english_lowercase",
                 "rlvr_ifeval:validate_response_language"}


def _context() -> CheckContext:
    return CheckContext(detector_name="auto")


@pytest.mark.parametrize(("iid", "kwargs", "response", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_documented_behaviour(iid, kwargs, response, expected):
    if iid in _LANGUAGE_IDS and get_detector("auto") is None:
        pytest.skip("no language detector installed (pip install 'rlvr[lang]')")
    [verdict] = check_constraints([Constraint(iid, kwargs)], response, context=_context())
    assert verdict.status in ("held", "failed"), verdict
    assert verdict.held is expected, f"{iid} on {response[:80]!r}: {verdict.reason}"


def test_every_registered_instruction_has_a_holding_and_a_failing_case():
    outcomes: dict[str, set[bool]] = {}
    for iid, _, _, expected in CASES:
        outcomes.setdefault(iid, set()).add(expected)
    registered = set(all_instructions())
    assert registered - set(outcomes) == set(), "instructions without a case"
    assert {i for i, seen in outcomes.items() if seen != {True, False}} == set()
    assert set(outcomes) - registered == set(), "cases for unregistered ids"


def test_all_25_ifeval_ids_and_the_ifbench_set_are_registered():
    registered = set(all_instructions())
    assert len(IFEVAL_INSTRUCTION_IDS) == 25 and set(IFEVAL_INSTRUCTION_IDS) <= registered
    ifbench = {i for i in registered if i.split(":")[0] in ("count", "ratio", "words", "sentence", "format", "custom", "repeat")}
    assert len(ifbench) + len(UNSUPPORTED_IFBENCH) == 58  # IFBench's 58 OOD constraints
    assert not set(UNSUPPORTED_IFBENCH) & registered
    assert len([i for i in registered if i.startswith("rlvr_ifeval:")]) == 25


def test_loose_variants_rescue_what_strict_misses():
    # IFEval loose: a leading "Sure, here it is:" line or markdown asterisks do not count against the answer
    c = [Constraint("punctuation:no_comma"), Constraint("startend:quotation")]
    text = 'Sure, here it is:\n"**No commas in here**"'
    strict = check_constraints(c, text)
    loose = check_constraints(c, text, loose=True)
    assert [v.held for v in strict] == [False, False]
    assert [v.held for v in loose] == [True, True]
    assert loose[0].variant == "first line removed"
    title = check_constraints([Constraint("change_case:english_lowercase")], "**the sea is calm and the boats are out today.**",
                              loose=True, context=_context())
    if get_detector("auto") is not None:
        assert title[0].held is True


def test_blank_response_follows_no_instruction_and_bad_kwargs_are_gold_side():
    [v] = check_constraints([Constraint("punctuation:no_comma")], "   \n ")
    assert v.held is False and v.reason == "empty response"
    bad = [
        Constraint("length_constraints:number_words", {"num_words": "many", "relation": "at least"}),
        Constraint("length_constraints:number_words", {"num_words": 5, "relation": "roughly"}),
        Constraint("keywords:existence", {"keywords": [{"nested": 1}]}),
        Constraint("keywords:letter_frequency", {"letter": "ab", "let_frequency": 1, "let_relation": "at least"}),
        Constraint("keywords:frequency", {"keyword": "x", "frequency": True, "relation": "at least"}),
        Constraint("count:word_count_range", {"min_words": 9, "max_words": 3}),
        Constraint("language:response_language", {"language": "klingon"}),
        Constraint("detectable_format:multiple_sections", {"num_sections": 2}),
    ]
    for verdict in check_constraints(bad, "any response at all"):
        assert verdict.held is None and verdict.status == "gold_unparseable", verdict


def test_unknown_and_model_based_constraints_are_unsupported_not_passed():
    verdicts = check_constraints([Constraint("words:start_verb"), Constraint("made:up")], "Run fast.")
    assert [v.status for v in verdicts] == ["unsupported", "unsupported"]
    assert "part-of-speech" in verdicts[0].reason and "unknown instruction id" in verdicts[1].reason


def test_language_checks_without_a_detector_are_unsupported_unless_the_script_decides():
    ctx = CheckContext(detector_name="none")
    [de] = check_constraints([Constraint("language:response_language", {"language": "de"})], "Das Meer ist ruhig.", context=ctx)
    assert de.status == "unsupported" and "detector" in de.reason
    [ko] = check_constraints([Constraint("language:response_language", {"language": "ko"})], "바다는 조용합니다.", context=ctx)
    assert ko.held is True  # Hangul is used by one language only: no detector needed
    [upper] = check_constraints([Constraint("change_case:english_capital")], "not capitals", context=ctx)
    assert upper.held is False  # the case half fails first; no detector needed to say so


_KWARGS_BY_ID = {}
for _iid, _kw, _, _ in CASES:
    _KWARGS_BY_ID.setdefault(_iid, _kw)
_pieces = st.sampled_from(["\n", "\n\n", " ", ".", "?!", "*", "**", "***", "******", "[", "]", "<<", ">>", "\"", "'",
                           "(", "{", "}", ")", ",", "P.S.", "Section 1", "\ud800", "\x00", "é", "海", "바다", "🌊",
                           "Mr.", "sea", "SEA", "Question 1", "A. x", "\t", "-", "My answer is yes."])
_hostile_text = st.lists(st.one_of(_pieces, st.text(max_size=6)), max_size=40).map("".join)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_hostile_text)
def test_every_checker_returns_a_verdict_on_arbitrary_text(text):
    constraints = [Constraint(iid, kw) for iid, kw in _KWARGS_BY_ID.items()]
    for loose in (False, True):
        verdicts = check_constraints(constraints, text, loose=loose, context=CheckContext(detector_name="none"))
        assert len(verdicts) == len(constraints)
        for v in verdicts:
            assert v.status in ("held", "failed") or (v.status == "unsupported" and "detector" in v.reason), v
