"""What kind of answer a question wants, and whether a text gives one.

An e-mail, a phone number, a figure, a date, a duration, the expansion of an acronym, a person's name or who
may apply: a question asking for one is answered only by a quote that holds one (for the right role and the
right acronym). A 'which X' question is answered by a quote that names an X, not one that only says 'X'.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.evidence import Unit
from assistant.question.references import ITEM_RE
from assistant.retrieve.acronyms import spells_out
from assistant.retrieve.query import (
    DETERMINERS,
    NEED_WORDS,
    Question,
    asked_after_what,
    asked_as_the,
)
from assistant.text import (
    ASKED_ACRONYM_RE,
    EMAIL_RE,
    YEAR_RE,
    content_lemmas,
    english_lemmas,
    is_stop,
    only_a_verb,
)

# Numbers as English and French write them in words ('ten members', 'dix membres'); 'un'/'une' are articles.
# The first run of each language counts up from one (English) or two (French), so a word's value is its place.
_EN_COUNTING = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                "seventeen eighteen nineteen twenty").split()
_FR_COUNTING = "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize".split()
# 'five' in a question is the '5' of a text: a figure the question gives is no answer in either spelling.
NUMBER_VALUES = {w: str(n) for n, w in enumerate(_EN_COUNTING, start=1)} | {
    w: str(n) for n, w in enumerate(_FR_COUNTING, start=2)}
_EN_LARGER = "thirty forty fifty sixty seventy eighty ninety hundred thousand million billion dozen".split()
_FR_LARGER = "vingt trente quarante cinquante soixante cents? mille millions? milliards? douzaine".split()  # regex
_NUMBER_WORDS = "|".join([*_EN_COUNTING, *_EN_LARGER, *(w for w in _FR_COUNTING if w not in _EN_COUNTING),
                          *_FR_LARGER])
# Singular forms: the patterns below allow a plural 's' ('centurie' is there for 'centuries').
_TIME_UNITS = r"hour|day|week|month|year|decade|century|centurie|heure|jour|semaine|mois|ans|année|siècle"

_MONTHS = (r"January|February|March|April|May|June|July|August|September|October|November|December|"
           r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre")

NEED_PATTERNS = {
    "email": EMAIL_RE,
    "phone": re.compile(r"\+?\d[\d ().-]{7,}\d"),
    "number": re.compile(rf"(?<![\w.-])\d[\d,.]*(?![\w-])|\b({_NUMBER_WORDS})\b", re.I),
    # A year, a day and month ('3 October', '31st March', '1^er janvier') or a month and day ('October 3').
    "date": re.compile(rf"\b(1[5-9]\d\d|20\d\d)\b|\b\d{{1,2}}(?:\^?er|st|nd|rd|th)? ({_MONTHS})\b|"
                       rf"\b({_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?\b(?![.,]?\d)", re.I),
    # a unit counted in words may take one word between ('two full days'); after 'a' it may not ('a given day'
    # is no duration), nor after digits ('in 1960 the year …')
    "duration": re.compile(rf"\b\d+\s*-?\s*({_TIME_UNITS})s?\b|"
                           rf"\b({_NUMBER_WORDS})[ -](?:[^\W\d_]+ )?({_TIME_UNITS})s?\b|\b(an?|une?)[ -]({_TIME_UNITS})s?\b|"
                           # a span between two units: 'days to weeks', 'de quelques heures à plusieurs jours'
                           rf"\b({_TIME_UNITS})s? (?:to|or|à) (?:\w+ )?({_TIME_UNITS})s?\b",
                           re.I),
    # 'ISO (International Organization …)', '… (ISO)', or a glossary entry opening the text: 'ISO: International …'.
    "expansion": re.compile(r"\b[A-Z][A-Za-z-]{1,9}\s*\([A-Z][^)]{3,}\)|\([A-Z]{2,}[a-z]?(?:-[A-Z0-9]+)*\)|^[A-Z][A-Z0-9-]{1,9}[a-z]?:\s+\S"),
    "eligibility": re.compile(
        r"\bapplications? (are|is) (welcome|invited|open|accepted|encouraged)\b|\b(applicants|candidates) (must|should|need)"
        r"\b|\bel+igib(le|ility)\b|\bopen to\b|\b(are|is) (welcome|invited|encouraged) to apply\b|"
        r"\bmust be (an? )?(employee|member|staff)", re.I),
    # A title and a name ('Dr Doe', 'Dr J.-K. Doe'), or a name with its role: 'Jane Doe, Director', 'Ann Lee
    # (convener)', 'P. Wong (convenor', 'J.-K. Doe, Chair' ('convener' and 'convenor' are both in use).
    "person": re.compile(r"\b(Dr|Mr|Mrs|Ms|Prof|Professor)\.? (?:[A-Z]\.(?:-?[A-Z]\.)? ?)?[A-Z][a-z]+|"
                         r"(?:(?<![\w.])[A-Z]\.(?:-?[A-Z]\.)? ?[A-Z][a-z]{2,}|"
                         r"\b[A-Z][a-z]+ [A-Z][a-z]+)(?:, | \()(?i:director|head|chair|chairman|chairperson|conven[eo]r|"
                         r"president|secretary)\b"),
}
ROLE_OF_RE = re.compile(r"\b(director|head|chair|chairman|chairperson|president|secretary|manager|coordinator)s?"
                        r"\s+of\s+(?:the\s+)?([^?.,;()]+)", re.I)
ROLE_POSSESSIVE_RE = re.compile(r"\b(\w+)['’]s\s+(director|head|chair|chairman|chairperson|"
                                r"president|secretary|manager|coordinator)\b", re.I)


# 'What did the review conclude?', 'What was the outcome of the trial?': the question asks what a piece of
# work found. A quote that only sets the work ('Office to circulate a survey', 'charged a group … to
# draft') does not say what it found.
OUTCOME_ASKED_RE = re.compile(
    r"^\W*what\s+(?:did|does|do|has|have|had)\b[^?]*\b(conclude|reveal|find|show)\b|"
    r"^\W*what\s+(?:was|were|is|are)\s+the\s+(?:main\s+)?(results?|conclusions?|findings?|outcomes?)\b", re.I)
ASSIGNMENT_RE = re.compile(
    r"^\W*(?:(?:\(?[A-Z][\w.'’/-]*\)?,?\s+(?:and\s+)?){1,6}(?:is\s+|are\s+)?)?to\s+(?!the\b|a\b|an\b|be\b)[a-z]+\b|"
    r"\b(?:charged|asked|requested|invited|mandated|tasked)\b[^.;]{0,120}\bto\s+[a-z]+|\bgive the mandate\b|"
    # work one takes on ('ABC has volunteered to identify a museum'): as set as work given
    r"\b(?:volunteered|offered|undertook|promised)\s+to\s+[a-z]+")
# The same in a resolution's present tense ('requests the committee to …', 'requests that …', 'invites … to …'),
# as a plan ('the Chair will contact …') or as a body set up ('agreed to establish a group'): read as setting work
# only when the question asks for a fact (`FACT_ASKED_RE`).
PRESENT_ASSIGNMENT_RE = re.compile(
    r"\b(?:charges|asks|requests|invites|mandates|tasks|encourages|urges)\b[^.;]{0,120}\bto\s+[a-z]+|"
    r"\bwill\s+(?:contact|examine|consider|study|review|prepare|propose)\b|"
    r"\b(?:agreed|decided|decides)\s+to\s+(?:establish|set up|create|form)\b|"
    r"\b(?:requests|proposes|asks|invites)\s+that\b", re.I)
# Verbs that ask, decide or plan: a question with one asks about the work set, not about what it produced.
DIRECTIVE_VERB_RE = re.compile(
    r"\b(?:ask|request|invite|charge|encourage|urge|recommend|decide|propose|plan|want|call|instruct|task|"
    r"mandate|expect|intend|agree|say|state|note|establish|set up|create|form|appoint|found|volunteer|offer|"
    r"undertake|promise)(?:s|es|d|ed|ing)?\b|"
    r"\b(?:said|planned|planning)\b", re.I)
# 'Who chaired …?', 'Which site held …?', 'How large was the gap …?': a question for a fact.
FACT_ASKED_RE = re.compile(r"^\W*(?:who|which|what|when|where|how (?:large|much|big|many|long))\b", re.I)
# 'When was the group (…) to present …?', 'Who should the chairs contact?': a duty asked, which the setting gives.
DUTY_ASKED_RE = re.compile(rf"\b(?:was|were|is|are)\s+[^?.;]{{0,100}}?\bto\s+(?!(?:{'|'.join(sorted(DETERMINERS))})\b)[a-z]+|"
                           r"\b(?:should|must|shall|ought)\b", re.I)


def outcome_unreported(question: str, units: list[Unit]) -> bool:
    """Does ``question`` ask what a piece of work found, or a fact it would produce, while the leading quote
    only sets that work? A question that asks about the setting itself or a duty ('What did the board ask the
    office to do?', 'Who is to circulate it?', 'Whom should I contact?') is not one."""
    if not units:
        return False
    if OUTCOME_ASKED_RE.search(question):
        return bool(ASSIGNMENT_RE.search(units[0].text)) or _imperative(units[0].text)
    if not FACT_ASKED_RE.search(question) or DIRECTIVE_VERB_RE.search(question) or DUTY_ASKED_RE.search(question):
        return False
    return bool(ASSIGNMENT_RE.search(units[0].text) or PRESENT_ASSIGNMENT_RE.search(units[0].text))


def _imperative(text: str) -> bool:
    """Does ``text`` open with a verb in its base form that can be nothing else: an action set as an order
    ('Distribute the survey to all members.'), not one reported ('Distributed …') nor a noun ('Review of …')?"""
    first = re.match(r"\W*([A-Za-z]+)\b", text)
    if first is None:
        return False
    word = first.group(1).lower()
    return only_a_verb(word) and word in english_lemmas(word)["VERB"]


def unnamed(classes: tuple[str, ...], units: list[Unit], given: frozenset[str] = frozenset()) -> str | None:
    """The class noun of a 'which X' question, when the quotes mention X only generically, naming none: in the
    plural, a set without its members ('the nearby airports are within reach'), or after an indefinite article
    ('a local widget supplier'). The definite singular with its modifiers is the one thing asked about ('the 2019
    audit period', 'the ABC drafting team'). ``given``: the question's own words (lower case), which name nothing new."""
    if not classes:
        return None
    mentioned = None
    for unit in units:
        for found in re.finditer(r"[\w'-]+", unit.text):
            lemmas = content_lemmas(found.group())
            if lemmas and lemmas[0] in classes:
                if _names_one(unit.text, found.start(), found.end(), given):
                    return None
                word = found.group()
                # 'airports' (lemma 'airport'); 'NMIs', whose lemma keeps its 's'
                plural = (word.lower() != lemmas[0] and word.endswith(("s", "x"))) or (
                    len(word) > 2 and word.endswith("s") and word[:-1].isupper())
                article = ARTICLE_BEFORE_RE.search(unit.text[:found.start()])
                if plural or (article is not None and article.group(1).lower() in INDEFINITE):
                    mentioned = word
    return mentioned


# The article of the noun phrase a noun ends ('an airport', 'a local widget supplier', 'the 2019 audit period').
ARTICLE_BEFORE_RE = re.compile(r"\b(an?|the|une?|les?|la|l'|des)\s+(?:[\w'.-]+\s+){0,3}$", re.I)
INDEFINITE = frozenset({"a", "an", "un", "une", "des"})


# 'What change to the opening hours did the board approve?', 'What exactly was changed?': the content of a change.
CHANGE_ASKED_RE = re.compile(
    r"^\W*what\s+(?:exactly\s+)?(?:(?:was|were)\s+)?(?:the\s+)?(?:changes?|amendments?|modifications?|revisions?)\b|"
    r"^\W*what\s+exactly\s+(?:was\s+|were\s+)?changed\b", re.I)
# 'approved the proposed amendment of Rule 14.5', 'approved the modification to Regulation 10.2': a change named by
# the text it changes, its content left out (a colon, 'to read', 'so that' or 'from … to' would give it).
CHANGE_NAMED_RE = re.compile(
    r"\b(?:approved|adopted|endorsed|agreed|accepted|noted)\s+(?:the\s+)?(?:proposed\s+|draft\s+)?"
    r"(?:amendments?|modifications?|changes?|revisions?|updates?)\s+(?:of|to)\b(?![^.;]*(?::|\bto read\b|\bso that\b|"
    r"\bfrom\b[^.;]*\bto\b|\bin order\b))", re.I)


def change_unstated(question: str, units: list[Unit]) -> bool:
    """Does ``question`` ask what a change was, while the leading quote only names the text it changed?"""
    return bool(units) and bool(CHANGE_ASKED_RE.search(question)) and bool(CHANGE_NAMED_RE.search(units[0].text))


# 'What does the policy require?', 'What do the two bodies commit to under the MoU?', 'What are the document's
# objectives?': the content of a text.
CONTENT_ASKED_RE = re.compile(
    r"^\W*what\b[^?]*\b(?:say|says|said|require|requires|required|state|states|stated|commit|commits|committed|"
    r"contain|contains|specify|specifies|set out|sets out|provide for|provides for)\b|"
    r"^\W*what\s+(?:are|were|is|was)\s+(?:the|its|their)\b[^?]*\b(?:objectives?|requirements?|terms|commitments?|"
    r"provisions?|contents?|aims?)\b", re.I)
# 'approved the proposed policy on guest laboratories', 'endorsed the text of the … document': a text named as
# approved, its content left out (a colon, or 'which states …', would give it).
TEXT_APPROVED_RE = re.compile(
    r"\b(?:approved?|endorsed?|adopted?|signed?|welcomed|noted|agreed|accepted|confirmed)\b[^.;:]*"
    r"\b(?:polic(?:y|ies)|documents?|text|MoU|memorand(?:um|a)|agreements?|reports?|guidelines?|proposals?|"
    r"procedures?|rules)\b(?![^.;]*(?::|\b(?:which|that)\s+(?:states?|requires?|says|provides?|sets? out|commits?)\b))",
    re.I)


def content_unstated(question: str, units: list[Unit]) -> bool:
    """Does ``question`` ask what a text says, while the leading quote is one sentence that only says the text
    was approved, endorsed or signed?"""
    return (len(units) == 1 and bool(CONTENT_ASKED_RE.search(question))
            and bool(TEXT_APPROVED_RE.search(units[0].text)))


YEAR_ROLE_WORDS = 2  # words either side of a year that may say what it dates ('the 2012 audited financial statements')
MONTH_RE = re.compile(rf"(?:{_MONTHS})", re.I)
FULL_DATE_RE = re.compile(rf"\b(\d{{1,2}})(?:\^?er|st|nd|rd|th)? ({_MONTHS}),? (1[5-9]\d\d|20\d\d)\b", re.I)


def other_year(question: str, units: list[Unit]) -> tuple[str, str] | None:
    """(asked year, quoted year) when the leading quote dates what the question dates, with another year, and no
    quote gives the asked one: 'the 2013 financial statements' asked, 'the 2012 audited financial statements'
    quoted. What a year dates is read from the content words beside it (a month is part of the date)."""
    asked = {m.group(): _year_role(question, m.start(), m.end()) for m in YEAR_RE.finditer(question)}
    if not units or not asked:
        return None
    # A full date asked ('on 1 March 2022') and the same day of another year quoted ('on 1 March 2023'), the asked
    # one nowhere: another year's event of that sort, though the asked year may be mentioned in passing.
    quoted_dates = [[(d, m.lower(), y) for d, m, y in FULL_DATE_RE.findall(unit.text)] for unit in units]
    for day, month, year in FULL_DATE_RE.findall(question):
        years = [[y for d, m, y in dates if (d, m) == (day, month.lower())] for dates in quoted_dates]
        if years[0] and year not in {y for found in years for y in found}:
            return year, years[0][0]
    if any(year in unit.text for unit in units for year in asked):
        return None
    text = units[0].text
    for found in YEAR_RE.finditer(text):
        role = _year_role(text, found.start(), found.end())
        for year, asked_role in asked.items():
            if role & asked_role:
                return year, found.group()
    return None


def _year_role(text: str, start: int, end: int) -> set[str]:
    """The content lemmas of the `YEAR_ROLE_WORDS` words either side of text[start:end], months left out."""
    before = text[:start].split()[-YEAR_ROLE_WORDS:]
    after = text[end:].split()[:YEAR_ROLE_WORDS]
    return {lemma for lemma in content_lemmas(" ".join([*before, *after])) if not MONTH_RE.fullmatch(lemma)}


# A capitalised word after the opening words of a quote, and the word after it (if any).
NAME_AFTER_RE = re.compile(r"(?<=[\w,;:)] )([A-Z][\w'-]*)(?:\s+([a-z][\w-]*))?")
OPENING_WORDS = 3  # 'The ABC congratulated …': the actor named first is not what it acted on


def names_new(question: str, units: list[Unit], other_kind: Callable[[str], bool] | None = None) -> bool:
    """Do the quotes name something the question does not: a figure, or a name standing on its own past the
    quote's opening words ('Which laboratory …?' → '… to help the NIS (Egypt) with …')? A name that qualifies
    the noun after it ('the Kelvin medal') names a thing of that noun's kind, which may not be the one asked;
    nor does a name ``other_kind`` says is of another kind than the one asked."""
    asked = {w.lower() for w in re.findall(r"[\w'-]+", question)}
    for unit in units:
        opening = len(" ".join(unit.text.split()[:OPENING_WORDS]))
        for found in NAME_AFTER_RE.finditer(unit.text):
            name, after = found.group(1), found.group(2)
            if found.start() < opening or name.lower() in asked or (after and not is_stop(after)):
                continue
            if _capitalised_word(unit.text, found.start(), found.end(1)):
                continue
            if other_kind is not None and other_kind(name):
                continue
            return True
        if _new_figure(question, unit.text):
            return True
    return False


def _capitalised_word(text: str, start: int, end: int) -> bool:
    """Is text[start:end] a dictionary word in capitals standing alone ('the Director of …', 'a Decision'): a
    title, not a name? Capitalised words side by side name something ('Supplementary Information for …');
    an acronym is a name."""
    word = text[start:end]
    if word.isupper() or not english_lemmas(word.lower()):
        return False
    before = re.search(r"(\S+)\s+$", text[:start])
    after = re.match(r"\s+(\S+)", text[end:])
    return not any(m and m.group(1)[:1].isupper() for m in (before, after))


def _names_one(text: str, start: int, end: int, given: frozenset[str] = frozenset()) -> bool:
    """Is the noun at text[start:end] given a name: 'Time Department', 'airports such as …', 'X (ABC)', 'are ILAC …'?
    A name among ``given`` (the question's words) is the thing asked about, not an answer to it."""
    before = re.search(r"([\w-]+)\)?\s+$", text[:start])  # 'Time Department', '(CBKT) programme'
    sentence_start = re.search(r"(^|[.!?]\s+)\S+\s+$", text[:start])
    if before and before.group(1)[:1].isupper() and not sentence_start:
        return True
    clause = re.split(r"[;!?]|\.(?!\w|,)", text[end:], maxsplit=1)[0]  # 'e.g.,' does not end it
    # 'paintings of river scenes': an 'of' phrase with no determiner says which kind ('the
    # airports of the region' says whose).
    kind = re.match(r"\s+of\s+([a-z][\w-]*)", clause)
    if kind and kind.group(1) not in DETERMINERS:
        return True
    # A bracket, a colon or quotation marks right after it ('le mot « gadget »', 'the name "widget"') name it.
    return bool(re.match(r"\s*[(:«“\"]", clause) or re.search(r"\b(such as|including|namely|like|e\.g\.,?)\s", clause)
                or any(w[:1].isupper() and w.lower() not in given for w in re.findall(r"[\w-]+", clause))
                or NEED_PATTERNS["number"].search(clause))  # 'an uncertainty of two parts'



# 'How many member states …': the question counts a noun; the key terms right after 'how many' (past any
# adjective) end with the noun counted ('key comparisons' → 'comparison').
COUNT_RE = re.compile(r"\bhow many\s+", re.I)
COUNT_WINDOW = 5  # words either side of a figure that may name what it counts ('35 instances of travel')

Counts = Callable[[str], bool]  # does this stretch of text name the noun the question counts?


def counted(q: Question) -> str | None:
    """The lemma of the noun a 'how many' question counts ('How many key comparisons …' → 'comparison'),
    or None: not a count question, or no key term follows 'how many'."""
    found = COUNT_RE.search(q.text)
    if not found or q.need != "number":
        return None
    by_word = {t.word.lower(): t for t in q.terms}
    head = None
    for word in re.findall(r"[\w'-]+", q.text[found.end():]):
        term = by_word.get(word.lower())
        if term is None or term.lemma in NEED_WORDS["number"]:  # 'how many times …' asks a ratio, counts no noun
            break
        if not term.key:  # an adjective before the noun ('regional directors'), or the verb after it
            if head is None:
                continue
            break
        head = term.lemma
    return head


# 'How much did the campaign cost?', 'What was the budget …?', 'Quel montant …?': a sum of money is asked ('how
# much staff time … spend' is not).
MONEY_ASKED_RE = re.compile(
    r"\bhow much\b[^?]*\b(?:cost|costs|pay|paid|charge|charged)\b|"
    # 'How much money …', 'How much extra funding …': a noun of money after 'how much'.
    r"\bhow much (?:\w+ )?(?:money|funding|budget)\b|"
    # 'How much does it spend …?' names no measure, so it asks for money ('how much time … spend' names one).
    r"\bhow much (?:does|did|do|will|would|has|have|had)\b[^?]*\b(?:spend|spent|earn|earned)\b|"
    # 'What did each wing cost?', 'What will the office spend on …?': the verb asks the sum.
    r"\bwhat (?:does|did|do|will|would)\b[^?]*\b(?:cost|spend|pay)\b|"
    + asked_as_the("cost|price|budget|fee|dotation") + "|" + asked_after_what("cost|price|budget|fee|salary|dotation|subscription")
    + "|"
    r"\bcombien\b[^?]*\bco[uû]t|\bquel(?:le)? (?:est |était )?(?:le |la )?(?:montant|budget|co[uû]t|dotation|somme)\b",
    re.I)
# A currency beside a sum: '€ 2 million', '1 910 000 francs-or', '5.3 kEUR'.
CURRENCY_RE = re.compile(r"[€$£]|\b(?:euros?|EUR|kEUR|MEUR|francs?(?:-or)?|CHF|USD|dollars?)\b", re.I)


def has_need(q: Question, text: str, counts: Counts | None = None) -> bool:
    """Does ``text`` hold the kind of answer asked for: an e-mail, a date, the expansion of *this* acronym …
    A figure asked for is one the question does not already give, and not part of a date; for a count
    question, with ``counts`` given, one that ``counts`` finds its counted noun beside; for a sum of money,
    one with a currency."""
    if not q.need or not NEED_PATTERNS[q.need].search(text):
        return False
    if q.need == "number" and not _new_figure(q.text, text, counts):
        return False
    if q.need == "number" and MONEY_ASKED_RE.search(q.text) and not CURRENCY_RE.search(text):
        return False
    if q.need == "expansion":
        asked = asked_acronyms(q)
        return not asked or any(spells_out(a, text) for a in asked)
    return role_fits(q.text, text)


def asked_acronyms(q: Question) -> tuple[str, ...]:
    """The acronyms whose expansion ``q`` asks for ('What is the GCC short for?' → GCC); () for other questions."""
    return tuple(ASKED_ACRONYM_RE.findall(q.text)) if q.need == "expansion" else ()


EXPONENT_RE = re.compile(r"\^[−-]?\d+")  # a power as the documents write it: 'm^2', 's^−1'
# A time unit right after a figure ('5 or more years'): the figure spans that time.
SPAN_AFTER_RE = re.compile(rf"\s*(?:or more\s+|or less\s+)?({_TIME_UNITS})s?\b", re.I)
# '… by 5.3 %', 'cinq pour cent': a figure that is a share of something, not a count of it.
SHARE_WORDS_RE = re.compile(r"\b(?:per|pour) ?cent\b", re.I)  # read as '%' (its 'cent' is no figure)
SHARE_AFTER_RE = re.compile(r"\s*%")
SHARE_ASKED_RE = re.compile(r"%|\bper ?cent|\bpercentage|\bpour ?cent|\bpourcentage", re.I)


def _new_figure(question: str, text: str, counts: Counts | None = None) -> bool:
    """Does ``text`` give a figure other than a date ('14 October 2015', '2019'), a power ('m^2'), an item's
    number ('Recommendation 1') or a figure the question itself gives ('How many members did the 2011 meeting
    elect?' is not answered by '2011')?
    With ``counts``, only a figure whose `COUNT_WINDOW` words either side it accepts."""
    given = {_value(m.group()) for m in NEED_PATTERNS["number"].finditer(question)}
    undated = EXPONENT_RE.sub(" ", NEED_PATTERNS["date"].sub(" ", text))  # 'kg·m^2·s^−1' gives no figure
    undated = ITEM_RE.sub(" ", SHARE_WORDS_RE.sub("%", undated))
    for m in NEED_PATTERNS["number"].finditer(undated):
        if _value(m.group()) in given:
            continue
        if counts is None:
            return True
        if not _measure_unasked(question, undated, m.end()) and counts(_around(undated, m.start(), m.end())):
            return True
    return False


def _value(figure: str) -> str:
    """A figure as compared with another: a number word as its digits ('Five' → '5'), else in lower case."""
    return NUMBER_VALUES.get(figure.lower(), figure.lower())


def _measure_unasked(question: str, text: str, end: int) -> bool:
    """Is the figure ending at text[end] a measure the question does not count: a span of time ('5 or more
    years ago', unless it asks how many years) or a share ('by 5.3 %', unless it asks for a percentage)?"""
    if (unit := SPAN_AFTER_RE.match(text, end)) and not re.search(rf"\b{re.escape(unit.group(1))}", question, re.I):
        return True
    return bool(SHARE_AFTER_RE.match(text, end)) and not SHARE_ASKED_RE.search(question)


def _around(text: str, start: int, end: int) -> str:
    """text[start:end] with `COUNT_WINDOW` words either side."""
    before = text[:start].split()[-COUNT_WINDOW:]
    after = text[end:].split()[:COUNT_WINDOW]
    return " ".join([*before, text[start:end], *after])


def role_fits(question: str, text: str) -> bool:
    """'the Head of the Agency' is not 'the Head of the Agency's … Unit' nor 'the Unit Head'.

    False when ``text`` names the asked-for role only for another organization: a different head noun, or
    names that neither contains the other ('Physical Metrology Department' / 'Liaison … Department').
    """
    if asked := ROLE_OF_RE.search(question):
        role, owner = asked.group(1).lower(), _noun_phrase(_before_verb(asked.group(2)))
    elif asked := ROLE_POSSESSIVE_RE.search(question):  # 'the BIPM's Director'
        role, owner = asked.group(2).lower(), _noun_phrase(asked.group(1))
    else:
        return True
    fits = other = False
    pattern = rf"(?:(\w+)\s+)?\b{role}s?\b(?:\s+of\s+(?:the\s+)?([^?.,;()]+))?"
    for found in re.finditer(pattern, text, re.I):
        before, complement = found.group(1), found.group(2)
        if complement:
            named = _noun_phrase(complement)  # 'Head of the Agency's Audit Unit'
        elif before and before.lower() not in DETERMINERS:
            named = _noun_phrase(before)  # 'the Department Director'
        else:
            continue
        same = named[0] == owner[0] and (set(named[1]) <= set(owner[1]) or set(owner[1]) <= set(named[1]))
        fits, other = fits or same, other or not same
    return fits or not other


def _before_verb(phrase: str) -> str:
    """The words of ``phrase`` before the first one that can only be a verb: in a question, the owner named
    after 'President of' ends where the clause's verb begins ('… the Committee for Units begin, …')."""
    kept: list[str] = []
    for word in phrase.split():
        kinds = english_lemmas(word.strip("'’"))
        if kept and ("VERB" in kinds or "AUX" in kinds) and "NOUN" not in kinds:
            break
        kept.append(word)
    return " ".join(kept)


def _noun_phrase(phrase: str) -> tuple[str, list[str]]:
    """(head lemma, content lemmas) of a noun phrase: 'the BIPM's … Department' → ('department', [...]).

    The head comes before any 'of': 'the department of metrology' → 'department'.
    """
    lemmas = content_lemmas(phrase)
    before_of = content_lemmas(re.split(r"\s+of\s+", phrase, maxsplit=1)[0])
    return (before_of[-1] if before_of else "", lemmas)
