"""Question analysis: language, what kind of answer is wanted, and the focus terms to look for.

Nothing here knows any particular question: it reads general English/French question patterns.
Key terms are the nouns of the question (the thing asked about); verbs, adjectives and adverbs are
often paraphrased by the documents, so they guide ranking but are not required to appear.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from assistant.retrieve.translate import glossary
from assistant.text import (
    ASKED_ACRONYM_RE,
    EN_STOP,
    QUESTION_WORDS,
    YEAR_RE,
    detect_language,
    dictionary_lemma,
    english_lemmas,
    fold,
    french_infinitive,
    greek_spelled,
    is_known,
    is_stop,
    lemma,
    words,
)

# Words that describe the asking, not the thing asked about.
META_WORDS = frozenset(
    """info information detail details thing things way kind type exactly actually document documents
    page say says mention mentioned according state states stated regarding concerning anything
    something possible question answer bit lot some more exist exists available currently
    find know tell show mean means involve involved involves step steps procedure process
    enquiry enquiries inquiry inquiries query queries role roles purpose problem problems issue issues matter
    topic topics title titles
    ok okay hi hello hey thanks thank yes yeah walk around approximately roughly nearly almost circa
    étape étapes démarche démarches procédure""".split()
)
# Words that name the kind of answer wanted: the answer type covers them, not the text.
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten both several".split())
NEED_WORDS: dict[str, frozenset[str]] = {
    "email": frozenset("email e-mail mail address adress adresse courriel".split()),
    "phone": frozenset("phone telephone tel fax number".split()),
    "number": frozenset("number numbers amount figure sum many much total time count".split()),
    "date": frozenset("date dates year years day days month months deadline".split()),
    "duration": frozenset("long duration day days week weeks month months year years time".split()),
    "person": frozenset("person name contact talk speak write ask email e-mail call turn touch".split()),
    "expansion": frozenset("""stand stands acronym abbreviation full name form meaning means mean definition
                            sigle sigles acronyme abréviation abréviations""".split()),
    # 'eligible' is often misspelt, and a misspelt need word must not become a focus term
    "eligibility": frozenset("""eligibility eligible elegible eligable elligible elegibility qualify qualified
                             apply applying application applications allowed entitled requirement requirements
                             criteria criterion éligible éligibilité postuler candidater""".split()),
}
# Words a passage answering that kind of question tends to use: added to the lexical query only.
NEED_HINTS: dict[str, tuple[str, ...]] = {
    "eligibility": ("application", "welcome", "employee", "eligible", "open"),
}
# Words that open or glue a noun phrase, and prepositions; then French adverbs, prepositions and pronouns
# ('alors', 'malgré', 'celui'). Only a question's words are read against this list: with the French ones in
# FR_STOP too (read on the documents' side as well), French passages' scores moved: +15 −10 against +7 −2 (README).
DETERMINERS = frozenset(
    """the a an another my your his her its our their this that these those any some no each every of for with
    whose whole per there in on at about from by into within without between among
    despite though although unless whereas besides upon toward towards via throughout beyond
    alors ainsi aussi donc puis ensuite encore déjà toujours jamais très trop tant ici là
    lors lorsque avant après depuis pendant selon sous vers chez parmi malgré envers devant derrière auprès
    jusqu jusque quant afin sans entre contre cette cet cela ceci celui celle celles ceux dont chaque quelque
    quelques leurs tout tous toute toutes""".split()
)
REASON_RE = re.compile(r"(?:^\W*|[,;:]\s+)(why|pourquoi)\b", re.I)  # opening the question or its main clause
PRESENT_RE = re.compile(r"\b(currently|right now|now|at present|at the moment|nowadays|today|actuellement|en ce moment)\b", re.I)
# 'Who chaired …?': one person holds the role, whatever plural nouns name the body ('… the working group
# on quality systems').
ROLE_RE = re.compile(r"^\s*who (chairs|heads|leads|runs|directs|manages|presides|chaired|headed|led|ran|directed|"
                     r"managed|presided|convened)\b", re.I)
# Nouns that are figures themselves ('what entry fee will …', 'what rate had …'); not 'value' or 'number',
# which may be a formula or a document's number.
_FIGURE_NOUNS = r"amount|sum|percentage|rate|cost|price|uncertainty|budget|fee|salary|subscription"


def asked_after_what(nouns: str) -> str:
    """The pattern of a noun of the alternation ``nouns`` asked for right after 'what', before the clause's
    verb, the noun perhaps followed by what it is of, for or in: 'What entry fee will the club ask?', 'What rate
    had the fund used?', 'What price for one gizmo did the shop quote?', 'What sums in francs were …?'. Up to two
    words may qualify the noun ('What net monthly salary …'); a function word does not ('What sort of fee …'
    asks a sort, 'What range of prices …' a range)."""
    qualifier = r"(?!(?:and|or|of|in|for|on|per|to|at|by|with)\b)[a-z-]+ "
    # 'What stipend or wage is …', 'What fee or allowance …': one noun of two asked in the alternative
    either = r"(?:[a-z-]+ or )?"
    other = r"(?: or [a-z-]+)?"
    return (rf"\bwhat (?:{qualifier}){{0,2}}{either}(?:{nouns})s?{other} (?:(?:for|of|on|per|in) [^?,;]{{1,60}}? )?"
            rf"(?:did|does|do|was|were|is|are|has|have|had|will|would)\b")


def asked_as_the(nouns: str, *, owner_required: bool = False) -> str:
    """The pattern of a noun of the alternation ``nouns`` asked for as 'what is the …': after an owner ('What
    is the club's entry fee?'; optional unless ``owner_required``), and one word of its own."""
    whose = r"(?:[\w-]+ )?[\w-]+['’]s? "
    return (rf"\bwhat(?:['’]s| (?:is|was|are|were)) the {whose if owner_required else f'(?:{whose})?'}"
            rf"(?:[a-z-]+ )?(?:{nouns})s?\b")


NEEDS: list[tuple[str, re.Pattern[str]]] = [
    # Who may apply: answered by a statement of who applications are welcome from, not by any sentence
    # that happens to mention the same nouns.
    ("eligibility", re.compile(
        r"\bel+[ei]g[ai]b(le|ility)\b|\béligib|\bqualif(y|ies)\b|\bwho (can|may|could|is allowed to|is entitled to)"
        r" (apply|be seconded|take part)\b|\b(can|may|could) (i|we|one|you|an?|employees?|staff|someone|anyone)\b"
        r"[^?.]{0,80}?\b(apply|be seconded)\b|\bhave to (work|be)\b[^?.]{0,80}?\bto (apply|be seconded)\b|"
        r"\bqui peut (postuler|candidater|être détaché)", re.I)),
    # 'e-mail' as a noun ('his e-mail', 'e-mail address'), not as a verb ('to email a form')
    ("email", re.compile(r"\b(the|his|her|their|an|your|whose|what|which|contact|mail|and)\s+e-?mail\b|"
                         r"\be-?mail\s+(add?ress?|of|for)\b|\be-?mail\s*\??\s*$|\bcourriel\b|"
                         r"\badresse (e-?mail|électronique|mail)\b|\bmail add?ress?\b", re.I)),
    ("phone", re.compile(r"\b(phone|telephone|tel|fax|téléphone)\b", re.I)),
    ("expansion", re.compile(r"\bstands? for\b|\bsignifie\b|\bfull (name|form)\b|"
                             r"^\s*(?-i:[A-Z][A-Za-z]*[A-Z](?:-[A-Z0-9]+)*)s?\s+(meaning|means|definition)\b|"
                             r"\bwhat does (?-i:[A-Z][A-Za-z]*[A-Z](?:-[A-Z0-9]+)*)s? (mean|stand)\b|"
                             # 'What is the ABC?': a bare acronym asked about is answered by its name first
                             r"^\W*what(?:'s| is| are) (?:the |an? )?(?-i:[A-Z][A-Za-z]*[A-Z])s?\W*$", re.I)),
    ("duration", re.compile(r"\bhow long\b|\bduration\b|\bcombien de temps\b|\bdurée\b|"
                            r"\bhow many (days|weeks|months|years)\b|\bcombien de (jours|semaines|mois|ans)\b|"
                            r"\b(span|period|length|amount) of time\b", re.I)),
    ("date", re.compile(
        r"^\s*(when|quand)\b|\b(what|which|in what|in which|quelle?) (date|year|day|month|année|jour)\b|"
        # 'What was the date of the meeting?' (and 'Quelle est la date de …?', read in English as 'which be the
        # date of …'): the date named as what is asked
        r"\b(?:what|which)(?:['’]s| is| was| are| were| be) the (date|year|day|month)s? (of|for|on)\b|"
        r"\bdeadline\b|\bdate limite\b|\bsince when\b|\bby when\b", re.I)),
    # 'what is the (exact) value', 'what's the fee': one word may qualify the quantity asked for
    ("number", re.compile(
        r"\bhow (much|many)\b|\bcombien\b|\bmontant\b|"
        r"\bwhat(?:['’]s| (?:is|was|are|were)) the (?:[a-z-]+ )?(amount|number|count|figure|sum|"
        r"percentage|rate|size|cost|price|uncertainty|accuracy|precision|value|weight|length|capacity|budget|fee)"
        # 'amount of substance' is the name of a quantity (the mole's), not a request for an amount
        r"s?\b|\b(amount|figure|sum) of\b(?! substance)|"
        # 'Number of member States in 2020?', 'the 2030 survey — number of regions covered?': a count asked
        # in a few words, the phrase opening the question or the part after a colon or a dash
        r"(?:^|[:—–]\s*)\W*(?:the\s+|total\s+)?number of\b|\bnumerical value\b|"
        # 'What number of shops joined?': 'how many' in other words
        r"\b(?:what|which) (?:total )?number of\b|\b(does|do|did|will|would) \w+( \w+)? cost\b|"
        r"\b(salary|allowance|pay|fee|price) (figure|amount|level|rate)\b|"
        # 'What is the club's entry fee?', 'What entry fee will the club ask?': the noun after an owner, or
        # right after 'what' before the verb
        + asked_as_the(_FIGURE_NOUNS, owner_required=True) + "|" + asked_after_what(_FIGURE_NOUNS), re.I)),
    # (the question proper may follow a statement and a dash or colon: 'The ABC has a board — who is the …?')
    ("person", re.compile(r"(?:^|[—–:;]\s*)\s*(who|qui)\s+(is|was|'s|est)\s+(the\b|a\b|an\b|le\b|la\b|l'|(?-i:[A-Z]))|"
                          # 'Who was president of …': a role named without an article
                          r"^\s*who\s+(is|was)\s+(director|head|chair|chairman|chairperson|president|secretary)\b|"
                          + ROLE_RE.pattern + "|"
                          # 'What is the name of the board's secretary?', 'Name the person who …': a name asked
                          r"\bwhat(?:['’]s| is| was) the name of (?:the|its|their|his|her) (?:[\w'’-]+ ){0,3}?"
                          r"(?:director|head|chair\w*|president|secretary|representative|advis[eo]r|officer|convenor|"
                          r"rapporteur|treasurer|manager|coordinator|person|individual)\b|\bname the (?:person|individual)\b|\b(?:which|what) person\b|"
                          r"\bwho (should|could|can|do|may|might|would) (i|we|one|you) (contact|talk|speak|write|"
                          r"ask|e-?mail|call|turn|get in touch)\b|\bwho to (contact|ask|talk to|write to)\b", re.I)),
    # The word for an acronym, asked about with no other cue ('The acronym ABC?', 'Le sigle ABC ?'): an asking
    # word says more ('In which year was the abbreviation adopted?' asks a year).
    ("expansion", re.compile(r"\bacronyme?s?\b|\babbreviations?\b|\babréviations?\b|\bsigles?\b", re.I)),
]
# Set phrases whose nouns are not what is asked about: 'Why … in the first place?'
IDIOM_RE = re.compile(r"\b(in the first place|at all|by the way|of course|in general|for example|for instance|"
                      r"in particular|to be honest|if possible|in advance|in return|in charge of|on behalf of|"
                      r"walk me through|take part in|in terms of|in person|(?:take|takes|took|taken|taking) place|"
                      r"in the capacity of|in line with|(?:carry|carries|carried|carrying) out|"
                      # hedges on the asking: 'done in practice', 'how many, at minimum, …'
                      r"in practice|in theory|at (?:a )?minimum|at most|at least|"
                      # French ones: 'en matière de peinture' is 'as regards paint', 'faute de' 'for lack of'
                      r"en matière d(?:e|')|faute d(?:e|')|à la tête d(?:e|u|es|')|(?:mettre|mis|mise) en évidence|"
                      r"à quel titre|en attendant|à la suite d(?:e|u|es|')|en effet|de (?:façon|manière))\b", re.I)
# 'I work for X rather than an NMI': the contrasted words describe what the asker is not. 'Besides X, what …?'
# and 'Apart from X, …': X is what the asker already has, set aside, so the answer need not name it.
CONTRAST_RE = re.compile(r"\b(?:rather than|instead of|other than|as opposed to|apart from|aside from|besides|"
                         r"except|plutôt que|au lieu de|à part|hormis|en dehors de|outre)\b[^?.,;]*", re.I)
# 'May I write X, e.g. 0.5 Q?', 'for example a megawidget': an example illustrates the rule asked about; the
# quote that states the rule need not repeat it.
EXAMPLE_RE = re.compile(r"(?:\be\.g\.|\bfor (?:example|instance)\b|\bpar exemple\b)[^?,;]*|"
                        # 'gadgets like the spinner', 'councils such as the WCC': the one noun given to illustrate
                        r"(?<=\w)\s+(?:like|such as)\s+(?:the\s+|an?\s+)?[\w-]+", re.I)
STEPS_RE = re.compile(r"\b(steps?|procedure|process|étapes?|démarches?|procédure)\b|\bwalk me through\b|"
                      r"\bwhat (do|should|must) (i|we) (need to |have to )?do\b|\bwhat i (need|have) to do\b", re.I)
HOW_I_RE = re.compile(r"^\s*(how (do|can|should|would|could|might) (i|we|one|you)|how to|comment)\b", re.I)
# A document heading that introduces a procedure ('How to apply'): where a how-to question's steps are.
STEPS_HEADING_RE = re.compile(r"^(how to|how do|how can|application|apply|procedure|steps|comment|démarche)", re.I)
LIST_RE = re.compile(r"\b(list|all|every|each|tous|toutes|liste)\b", re.I)
# 'added to the approved widget list': the list is where the thing asked went, not a list asked for ('in
# its list of …' says where to look, and the list shown there answers).
LIST_AS_PLACE_RE = re.compile(r"\b(?:to|into|onto)\s+(?:the|its|their|this|that|a)\s+(?:[\w-]+\s+){0,3}list\b",
                              re.I)
WH_RE = re.compile(r"\b(what|which|who|name|quels?|quelles?)\b", re.I)


@dataclass(frozen=True)
class Term:
    """A focus term: surface word, lemma (spell-corrected when the corpus agrees), weight, and key-ness."""

    word: str
    lemma: str
    weight: float
    key: bool = True  # a noun: the documents must mention it for an answer
    known: bool = False  # the corpus uses this word: then only the word itself (not a synonym) covers it
    # A French term's English source lemma ('recommendation' for 'recommandation'): French records keep
    # English labels ('Recommendation 1: …'), which cover it too.
    english: str = ""


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    need: str | None
    wants_steps: bool
    wants_list: bool
    present: bool
    terms: tuple[Term, ...]
    either: tuple[frozenset[str], frozenset[str]] | None = None  # 'X or Y?': lemmas only one side names
    # 'the WCC and the GCC': lemmas of names joined by 'and', which separate quotes may each answer for one
    conjuncts: frozenset[str] = frozenset()
    names: tuple[tuple[str, ...], ...] = ()  # proper names of 3+ words: their words, then the head's lemma
    soft: tuple[str, ...] = ()  # class nouns of a list question ('which organizations'): the answer's type
    # Lemmas of the phrase naming where to look ('In the uncertainty report for …, which …?', '…, per the FAQ?'):
    # they name the document, which the answering quote need not repeat.
    source: frozenset[str] = frozenset()
    # A translated question's own words ('retraite', not the glossary's 'retirement'): what a quote in the
    # question's language must cover. Same answer type; None for a question asked in English.
    own: Question | None = None

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.terms]

    @property
    def search_lemmas(self) -> list[str]:
        """The lexical query: the focus terms plus the words its answer type tends to use."""
        return self.lemmas + list(NEED_HINTS.get(self.need or "", ()))

    @property
    def hard_terms(self) -> tuple[Term, ...]:
        """Terms the quoted evidence must cover: the key nouns, else every term."""
        keys = tuple(t for t in self.terms if t.key and t.lemma not in self.soft)
        return keys or tuple(t for t in self.terms if t.key) or self.terms

    def strict(self) -> Question:
        """The same question with its list class nouns required too (when no list answers it)."""
        return replace(self, soft=())

    def with_own(self, terms: tuple[Term, ...], lang: str = "fr") -> Question:
        """This (translated) question, checked in its own words ``terms`` against documents in ``lang``."""
        # A class noun stays one in its own words ('organisations' for 'organizations').
        soft = tuple(dict.fromkeys(t.lemma for t in terms
                                   if (t.english or t.lemma) in self.soft or t.lemma in self.soft))
        own = replace(self, lang=lang, terms=terms, names=(), either=None, soft=soft, own=None,
                      source=frozenset(t.lemma for t in terms if (t.english or t.lemma) in self.source))
        return replace(self, own=own)

    def for_language(self, lang: str) -> Question:
        """The question whose words a quote in ``lang`` must cover."""
        return self.own if self.own is not None and self.own.lang == lang else self

    def inherit(self, other: Question) -> Question:
        """An elliptical follow-up ('And the museum?') keeps the earlier question's answer type."""
        return replace(
            self, need=self.need or other.need, wants_list=self.wants_list or other.wants_list,
            wants_steps=self.wants_steps or other.wants_steps,
        )


Idf = Callable[[str], float]


# The words that open a question proper, English and French (the patterns below add what each also reads).
WH_ALTERNATION = "what|which|who|whom|whose|how|where|why|when|quel|quelle|quels|quelles|qui|comment|combien|où|pourquoi"

# An opening subordinate clause ('When …,', 'If …,') before the question proper (a question word or an
# auxiliary after a comma). The clause may hold commas of its own ('When a value is used as an adjective, like
# a rating, do I …?'): it ends at the first comma the question proper follows, which may open with a
# preposition ('over what span', 'sur quelle base') and an adverb in -ly ('When …, at approximately which depth …?').
SUBORDINATE_RE = re.compile(
    r"^\s*(when|whenever|if|once|after|before|while|lorsque|quand|si)\b[^?]*?,\s*"
    r"(?=(?:(?:to|for|from|with|by|of|in|on|at|under|during|after|before|over|between|within|across|into|"
    r"about|around|through|among|beyond|below|above|up\s+to|à|de|pour|par|avec|sous|selon|sur|dans|entre|"
    r"parmi|vers|jusqu'à)\s+)?"
    r"(?:[a-z]+ly\s+)?"
    rf"({WH_ALTERNATION}|did|does|do|is|are|was|were|can|could|should|shall|may|might|must|will|would|has|have|had|"
    r"que|est-ce)\b)", re.I)

# A question asked inside a frame ('Would you know when …?', 'Can you tell me which …?', 'Savez-vous quand …?'):
# the embedded question's word says what is asked.
FRAME_RE = re.compile(
    r"^\s*(?:(?:do|does|did|can|could|would|will)\s+(?:you|anyone|someone)\s+(?:(?:please\s+)?(?:know|tell\s+me|say|"
    r"remember|confirm))|(?:sait-on|savez-vous|sais-tu|pouvez-vous\s+me\s+dire|pourriez-vous\s+me\s+dire))\s+"
    rf"(?=(?:{WH_ALTERNATION}|quand)\b)", re.I)

# 'What kind of X …?', 'Quel type de X …?': the noun that names the kind asked for (read in `analyse`).
KIND_RE = re.compile(r"\b(?:what|which|quel(?:le)?s?)\s+(?:kinds?|types?|sorts?|genres?|sortes?)\s+"
                     r"(?:of\s+|d[e'’]\s*)([\w-]+)", re.I)


# The answer type of a question text (e.g. the fitted classifier of `assistant.question.answer_types`).
AnswerTyper = Callable[[str], str | None]


# 'Which gizmo kept a set numerical value …?': a question opening with 'which' and a noun asks for one
# of those things; a figure or a date its clause goes on to mention describes the thing, and is not asked.
WHICH_OPENER_RE = re.compile(r"^\W*(?:which|quel(?:le)?s?)\s+([\w-]+)", re.I)
DESCRIBED_NEEDS = frozenset({"number", "date", "duration"})
ASKING_RE = re.compile(r"\W*(?:what|which|how|when|since|by|in|quel(?:le)?s?|combien|quand|depuis|en)\b", re.I)


def pattern_type(text: str) -> str | None:
    """The answer type the first matching question pattern of `NEEDS` names; a figure, date or span that a
    'which X' question mentions after its noun, other than by a question word, names none."""
    opener = WHICH_OPENER_RE.match(text)
    opener = opener if opener and not is_stop(opener.group(1)) else None  # 'Which is …', 'Quelle est …'
    for name, rx in NEEDS:
        found = rx.search(text)
        if found is None:
            continue
        if opener and name in DESCRIBED_NEEDS and found.start() >= opener.end() and not ASKING_RE.match(
                found.group()):
            continue
        return name
    return None


def analyse(text: str, vocab: set[str], idf: Idf, today: date | None = None,
            answer_type: AnswerTyper | None = None) -> Question:
    """Read a (condensed) question: its language, answer type and weighted focus terms.

    ``answer_type`` reads the answer type; without one, the question patterns of `NEEDS` do.
    """
    lang = "fr" if detect_language(text) == "fr" and _has_french_cue(text) else "en"
    # 'Is μ_0 still exact?': a Greek letter by its name, as the quotes' Greek letters are read (`greek_lemmas`).
    resolved = greek_spelled(_resolve_relative_years(text, today or date.today()))
    # 'When the unit was redefined, what …?': the answer type is the main clause's, not the opening clause's.
    main = FRAME_RE.sub("", SUBORDINATE_RE.sub("", resolved))
    # 'Why …?' asks for a reason, whatever kind of answer its words name ('Why is the abbreviation ab confusing?').
    need = None if REASON_RE.search(main) else (answer_type or pattern_type)(main)
    claimed = _claimed_numbers(resolved)
    need = "number" if claimed and need is None else need
    if need == "expansion" and ASKED_ACRONYM_RE.search(main) and not ASKED_ACRONYM_RE.search(SOURCE_RE.sub(" ", main)):
        need = None  # 'What does the § mark mean, according to the ABC guide?': the acronym says where to look
    if need == "eligibility" and (PRESENT_RE.search(text) or resolved != text):
        need = None  # 'Can I apply right now / this year?' asks whether there are openings, not who may apply
    # Read before IDIOM_RE drops the words that open an example ('for example'); one that opens the question
    # ('For instance what is …?') is a way of asking, not an example of anything.
    examples = {w.lower() for m in EXAMPLE_RE.finditer(resolved) if resolved[:m.start()].strip()
                for w in words(m.group())}
    plain = VERIFY_RE.sub(" ", IDIOM_RE.sub(" ", PRESENT_RE.sub(" ", resolved))).strip()
    background = _background(plain) | _framing(plain, lang, vocab)
    terms = _terms(plain, lang, vocab, idf, need, background | claimed | examples)
    if not any(t.key for t in terms):  # 'I work for an RMO. May I apply?': the statement holds the topic
        terms = _terms(plain, lang, vocab, idf, need, claimed | examples)
    # 'What kind of varnish …?' is answered by a description of one ('a quick-drying lacquer'), seldom in the
    # noun that names the kind.
    kind = {m.group(1).lower() for m in KIND_RE.finditer(plain)}
    terms = tuple(replace(t, key=False) if t.word.lower() in kind else t for t in terms)
    if need == "expansion" and (asked := set(ASKED_ACRONYM_RE.findall(plain))) & {t.word for t in terms}:
        # 'I came across ABC-9 in an old report: what is it short for?': the acronym is all a glossary entry
        # names, even in a statement read as background; the rest says where the asker met it. A figure is
        # still asked about ('Which ABC prefix stands for 10^9?').
        terms = tuple(replace(t, key=t.word in asked or (t.key and any(c.isdigit() for c in t.word)))
                      for t in terms)
    classes = _class_noun(text, terms)
    # A class noun read as a verb elsewhere ('which law firm …') is the noun the answer must name.
    terms = tuple(next((c for c in classes if c.lemma == t.lemma), t) for t in terms)
    terms = _demote_verb_after(text, classes, terms)
    if lang == "en":
        terms = _demote_do_support_verb(words(plain), terms)
    plural = [t for t in terms if is_plural(t)]
    wants_list = bool(LIST_RE.search(LIST_AS_PLACE_RE.sub(" ", text))) or bool(re.match(r"^\s*(who|what) (are|were)\b", text, re.I)) or (
        bool(WH_RE.search(text)) and any(is_plural(t) for t in classes))
    plural += classes
    return Question(
        text=text,
        lang=lang,
        need=need if not (need == "person" and plural and not ROLE_RE.search(text)) else None,
        wants_steps=bool(STEPS_RE.search(text)) or bool(HOW_I_RE.search(text)),
        wants_list=wants_list,
        present=bool(PRESENT_RE.search(text)),
        terms=terms,
        names=_names(text, terms),
        source=_source(text, terms),
        either=_either(plain, terms),
        conjuncts=_conjuncts(plain, terms),
        soft=tuple(t.lemma for t in (plural if wants_list else classes)),
    )


# 'that report', 'the same rule', 'the corresponding fee': in a follow-up, the noun a pointing word
# introduces stands for what the earlier turn named, in the asker's words; the quote may name it otherwise.
POINTER_RE = re.compile(r"\b(?P<pointer>(?i:that|this|those|these|such|same|corresponding))\s+(?P<first>[a-z][\w-]*)"
                        r"(?:\s+(?P<second>[a-z][\w-]*))?")


def pointed_back(q: Question) -> Question:
    """``q``, a follow-up, with the words that a pointing word introduces no longer key (an adjective's noun
    too: 'the corresponding fee'), nor the pointing word itself when it is a word of the question ('same',
    'corresponding': they say how the thing relates to the earlier turn, which a quote has no reason to say)."""
    pointed: set[str] = set()
    # A year names which one was meant, not a noun of its own: 'that same 2019 handbook' points like 'that same handbook'.
    for found in POINTER_RE.finditer(YEAR_RE.sub(" ", q.text)):
        first, second = found["first"].lower(), found["second"]
        pointed.update((first, found["pointer"].lower()))
        if second and "NOUN" not in english_lemmas(first):
            pointed.add(second.lower())
    if not pointed & {t.word.lower() for t in q.terms if t.key}:
        return q
    return replace(q, terms=tuple(replace(t, key=False) if t.word.lower() in pointed else t for t in q.terms))


# 'which' or 'what' and the (up to three) words after it, past a partitive 'of the' ('which of its gadgets').
CLASS_PHRASE_RE = re.compile(r"\b(which|what|quels?|quelles?)\s+(?:of\s+(?:the|his|her|its|their|these|those|our|your)\s+)?"
                             r"((?:\S+\s+){0,2}\S+)", re.I)


def _class_noun(text: str, terms: tuple[Term, ...]) -> list[Term]:
    """'Which organization …', 'With which international bodies …', 'Which of the gadgets …': the noun names the
    answer's type."""
    match = CLASS_PHRASE_RE.search(text)
    if not match:
        return []
    by_word = {t.word.lower(): t for t in terms}
    head: list[Term] = []
    following = [w.lower() for w in words(match.group(2))]
    after = [w.lower() for w in words(text[match.end(2):])][:1]
    if following and following[0] in AUXILIARIES:
        return []  # 'What does the department do?' asks about the department, not for a kind of thing
    for word, nxt in zip(following, [*following[1:], *after, ""], strict=False):
        term = by_word.get(word)
        if term is None:
            break  # 'what part does the committee play': the phrase after 'what' ends at a function word
        before_verb = _opens_predicate(nxt)
        if head and "VERB" in english_lemmas(word) and nxt and not before_verb:
            break  # 'which organization covers Africa' (but 'which time scales does …', '… institute hosted …')
        if term.key:
            head = [term]  # the last noun of the phrase is its head: 'regional metrology organizations'
        elif "NOUN" in english_lemmas(word) and before_verb:
            head = [replace(term, key=True)]  # 'which law firm drafted …': a noun right before the verb
        elif head:
            break

    return head


def _opens_predicate(word: str) -> bool:
    """Can ``word`` (lower case) only open the clause's predicate: an auxiliary, a verb form that is no noun
    ('hosted', 'sent'), or an adverb before one ('currently lend')?"""
    tags = english_lemmas(word)
    return word in AUXILIARIES or (bool(tags) and "NOUN" not in tags and ("VERB" in tags or set(tags) == {"ADV"}))


def _names(text: str, terms: tuple[Term, ...]) -> tuple[tuple[str, ...], ...]:
    """Capitalised names of three or more words after the first word: ('Physical', 'Metrology', 'department')."""
    lemma_of = {t.word: t.lemma for t in terms}
    out = []
    for match in re.finditer(r"(?<=\w )((?:[A-Z][\w-]+ ){2,}[A-Z][\w-]+)", text):
        parts = match.group(1).split()
        if parts[-1] in lemma_of:
            out.append((*parts[:-1], lemma_of[parts[-1]]))
    return tuple(out)


def _demote_verb_after(text: str, classes: list[Term], terms: tuple[Term, ...]) -> tuple[Term, ...]:
    """'Which organization covers Africa?': the word after the class noun is its verb, not a noun."""
    if not classes:
        return terms
    match = re.search(rf"\b{re.escape(classes[0].word)}\s+(\w+)", text)
    verb = match.group(1) if match else ""
    if "VERB" not in english_lemmas(verb.lower()):
        return terms
    return tuple(replace(t, key=False) if t.word == verb else t for t in terms)


DO_AUXILIARIES = frozenset({"do", "does", "did"})


def _bare_verb(word: str) -> bool:
    """Can ``word`` be a verb's base form ('regard', 'work'; not 'regarded', not 'calibration')?"""
    return word.lower() in english_lemmas(word.lower()).get("VERB", ())


def _demote_do_support_verb(tokens: list[str], terms: tuple[Term, ...]) -> tuple[Term, ...]:
    """'Did the Conference regard calibration as …?', 'What did the recommendation concern?': after 'do' and
    its subject comes the main verb in its base form, not a noun. The subject is read as a noun phrase (a
    word after a determiner, preposition, adjective, figure, name or possessive is part of it); of two
    noun-or-verb words in a row the second is the verb ('does the isotope mix matter')."""
    start = next((i for i, w in enumerate(tokens) if w.lower() in DO_AUXILIARIES), None)
    if start is None:
        return terms
    rest = tokens[start + 1:]
    for i, word in enumerate(rest):
        if i == 0 or word[:1].isupper() or any(ch.isdigit() for ch in word) or not _bare_verb(word):
            continue
        prev = rest[i - 1]
        # A possessive's 's' ('the CIPM's finance …') is a token of its own: `words` splits at the apostrophe.
        if (prev.lower() in DETERMINERS or prev.lower() in PREPOSITIONS or prev == "s"
                or any(ch.isdigit() for ch in prev) or set(english_lemmas(prev.lower())) == {"ADJ"}):
            continue  # inside the subject: 'the primary field', 'on clock comparison'
        if "NOUN" not in english_lemmas(word.lower()):
            return terms  # 'reimburse': the verb, which the other rules already read as one
        if i + 1 < len(rest) and _bare_verb(rest[i + 1]) and not rest[i + 1][:1].isupper():
            continue  # 'mix matter': of two noun-or-verb words, the second is the verb
        return tuple(replace(t, key=False) if t.word == word else t for t in terms)
    return terms


def is_plural(term: Term) -> bool:
    """A key noun written in the plural ('laboratories')."""
    return term.word.lower().endswith("s") and term.lemma != fold(term.word) and term.key


def _has_french_cue(text: str) -> bool:
    return bool(re.search(r"[éèêàùçôî]|\b(est|sont|les|des|une|pour|quel|quelle|comment|qui|où)\b", text, re.I))


def _resolve_relative_years(text: str, today: date) -> str:
    """'this year' → '2026' (from the clock), so dated sections can match. 'the last year before the reform' and
    'the next year' count from something else."""
    for pattern, delta in ((r"\b(this|the current) year\b|\bcette année\b", 0),
                           (r"(?<!\bthe )\bnext year\b|\bl'année prochaine\b", 1),
                           (r"(?<!\bthe )\blast year\b|\bl'année dernière\b", -1)):
        text = re.sub(pattern, str(today.year + delta), text, flags=re.I)
    return text


VERIFY_RE = re.compile(r"\b(right|correct|true|isn't it|doesn't it|don't they|aren't they|is that so)\s*\?\s*$|"
                       r"^\s*(is it (true|correct|right) that|am i right that|can you confirm that)\b", re.I)


def _claimed_numbers(text: str) -> set[str]:
    """'The office has about 40 desks, right?': a figure being checked is the answer sought, not a term."""
    if not VERIFY_RE.search(text):
        return set()
    return {w for w in words(text) if re.fullmatch(r"[\d][\d,.]*", w)}


def _background(text: str) -> set[str]:
    """Words only in the statements around the question: 'I work in the mass lab of an NMI. Could I …?'"""
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    questions = [p for p in parts if p.endswith("?")]
    if len(parts) < 2 or not questions:
        return set()
    asked = {w.lower() for p in questions for w in words(p)}
    return {w.lower() for p in parts if not p.endswith("?") for w in words(p)} - asked


# 'Thermo homework: symbol for …?': a short label before a colon, then the question proper.
FRAMING_RE = re.compile(r"^\s*([^:?.!]{3,60}?)\s*:\s+(?=\S)")


def _framing(text: str, lang: str, vocab: set[str]) -> set[str]:
    """Words of a label opening the question before a colon that the collection never uses ('Thermo homework:
    …', 'Audio engineer question: …'): they say who asks or why, and no quote can cover them. A label's
    words the collection does use ('13th CGPM Resolution 11: …') name the topic and stay."""
    found = FRAMING_RE.match(text)
    if not found:
        return set()
    return {w.lower() for w in words(found.group(1)) if lemma(w, lang) not in vocab}


# The phrase of a question that names where the answer is written: an opening 'In / Under / According to / For the …,'
# before the question proper, or a closing ', according to / per / as given in …?' or '(…)?'.
# French: 'Dans la mise en pratique de 1983, …', 'Selon la 9e CGPM, …', '…, d'après la Brochure ?'.
SOURCE_RE = re.compile(
    # ('In which year …?', 'Dans quel cas …?' open a question: a question word after the preposition names no text)
    r"^\s*(?:in|under|according to|per|as per|for(?=\s+the\b)|dans|selon|d['’]après|sous|aux termes de)\s+"
    r"(?!(?:which|what|whose|how|quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|combien|quoi)\b)"
    r"(?P<opening>[^,?]{3,120}?),\s*(?=\S)|"
    # (', in the Brochure?' names a text; ', in metres?' asks for a unit: 'in' / 'dans' only before an article)
    r"(?:,\s*|\s+(?=according to\b|selon\b|d['’]après\b))"  # these three name a text with or without a comma
    r"(?:according to|per|as (?:given|stated|defined|set out) in|selon|d['’]après|"
    r"(?:in|dans)(?=\s+(?:the|its|their|la|le|les|l['’]|sa|son|ses)\b))\s+"
    r"(?P<closing>[^,?]{3,80}?)\s*\?\s*$|"
    r"\((?P<bracket>[^()]{3,80})\)\s*\?\s*$", re.I)


def source_words(text: str) -> set[str]:
    """The lower-case words of the phrase that names the question's source (`SOURCE_RE`)."""
    found: set[str] = set()
    for match in SOURCE_RE.finditer(text):
        found |= {w.lower() for w in words(next(g for g in match.groups() if g))}
    return found


def _source(text: str, terms: tuple[Term, ...]) -> frozenset[str]:
    """The lemmas of the question's terms written in the phrase that names its source."""
    named = source_words(text)
    return frozenset(t.lemma for t in terms if t.word.lower() in named)


def _either(text: str, terms: tuple[Term, ...]) -> tuple[frozenset[str], frozenset[str]] | None:
    """'Do I sign a contract with the BIPM or stay on my institute's payroll?': lemmas of each alternative."""
    sides = re.split(r"\s+or\s+", text.rstrip(" ?"), maxsplit=1)
    if len(sides) < 2:
        return None
    lemma_of = {t.word.lower(): t.lemma for t in terms}
    left, right = ({lemma_of[w.lower()] for w in words(side) if w.lower() in lemma_of} for side in sides)
    left, right = left - right, right - left
    return (frozenset(left), frozenset(right)) if left and right else None


# Names written in capitals ('WCC', 'GCC', 'EUROWID'), two or more joined by 'and' / 'et' (and commas):
# 'the WCC, the GCC and the XYZ', 'du WCC et du GCC'.
_NAME = r"(?:the |of the |la |le |l'|du |des |de la )?[A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*"
CONJUNCTS_RE = re.compile(rf"\b{_NAME}(?:,\s+{_NAME})*,?\s+(?:and|et)\s+(?:of\s+|de\s+)?{_NAME}")


def _conjuncts(text: str, terms: tuple[Term, ...]) -> frozenset[str]:
    """'Who chairs the WCC and the GCC?': the lemmas of the names joined by 'and'."""
    lemma_of = {t.word.lower(): t.lemma for t in terms}
    out: set[str] = set()
    for match in CONJUNCTS_RE.finditer(text):
        out |= {lemma_of[w.lower()] for w in words(match.group(0)) if w.lower() in lemma_of and any(
            c.isupper() for c in w[1:])}
    return frozenset(out) if len(out) >= 2 else frozenset()


def _terms(text: str, lang: str, vocab: set[str], idf: Idf, need: str | None,
           background: set[str] = frozenset()) -> tuple[Term, ...]:
    out: dict[str, Term] = {}
    contrasted = {w.lower() for m in CONTRAST_RE.finditer(text) for w in words(m.group())} | background
    tokens = words(text)
    keywords = _keyword_query(text, tokens)
    openers = {m.group(1) for m in SENTENCE_OPENER_RE.finditer(text)}
    for i, word in enumerate(tokens):
        low = word.lower()
        # A word about the asking written with a capital inside the question is a name ('How many States …').
        meta = (low in META_WORDS or lemma(word, lang) in META_WORDS) and not (
            word not in openers and word[:1].isupper() and not word.isupper())
        # 'what page number …': the number of a word about the asking is that word's ('p. 12' names no number)
        meta = meta or (low in ("number", "numbers") and i > 0 and tokens[i - 1].lower() in META_WORDS)
        if is_stop(word) or low in DETERMINERS or low in QUESTION_WORDS or meta or (need and low in NEED_WORDS[need]):
            continue
        base = correct(lemma(word, lang), vocab, lang)
        if base not in out:
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            key = low not in contrasted and (
                (keywords and "NOUN" in english_lemmas(low)) or
                is_key(word, tokens[i - 1] if i else "", first=i == 0, lang=lang, following=following,
                       known=base in vocab))
            out[base] = Term(word, base, float(idf(base)), key, base in vocab)
    return tuple(out.values())


# The first word of each sentence (of the question, or of a statement before it), capitalised as any is.
SENTENCE_OPENER_RE = re.compile(r"(?:^|[.!?:;]\s+)\W*([\w'-]+)")


def _keyword_query(text: str, tokens: list[str]) -> bool:
    """'museum ticket prices': no question word, verb or article, so every noun-like word counts."""
    function = AUXILIARIES | SUBJECTS | DETERMINERS | QUESTION_WORDS
    return "?" not in text and len(tokens) <= 6 and not any(t.lower() in function for t in tokens)


ARTICLES = frozenset("the a an this that these those its their his her our my your".split())
PREPOSITIONS = frozenset("in for of at on to with from by about during under over into".split())
AUXILIARIES = frozenset("is are was were be been do does did can could will would should shall may might must has have had".split())
SUBJECTS = frozenset("i you he she it we they who what which that there this these those".split())
# Question words that open a verb's object ('equals how many …', 'means what'); unlike 'who' or 'which' they
# seldom open a relative clause after a noun ('people who …').
OBJECT_WH = frozenset({"how", "what"})
# The adverb particles of phrasal verbs ('make up', 'go out'): a noun-or-verb word before one is the verb.
PARTICLES = frozenset("up out off down".split())


def is_key(word: str, previous: str, first: bool = False, lang: str = "en", following: str = "",
           known: bool = False) -> bool:
    """Is ``word`` a noun here? Names, numbers and corpus words count; unknown lower-case words (typos) do not."""
    if any(ch.isdigit() for ch in word) or (word[:1].isupper() and not first):
        return True
    low = word.lower()
    if lang != "en":
        return not french_adverb(low)  # 'respectivement', 'exactement': how, not what
    if low in NUMBER_WORDS:
        return False
    before = previous.lower()
    if len(before) > 4 and before.endswith(("thing", "body", "one")) and before in EN_STOP:
        return False  # after 'anything', 'someone' …: an adjective or a verb ('anything specific', 'someone leaves')
    tags = english_lemmas(low)
    if not tags:
        if french_verb_form(low) or (french_adverb(low) and not is_known(low, "en")):
            # a French verb or adverb the glossary left untranslated ('repoussé', 'respectivement'): not a noun
            # (an English word in -ment is none: 'secondment' is no 'secondly')
            return False
        return known or is_known(low, "en")  # 'bipm', 'secondmnets' → a corpus word
    if low.endswith("ing") and before in DETERMINERS and (
            before not in PREPOSITIONS or "NOUN" in tags or not following):
        # a gerund used as a noun: 'is there parking', 'a fee for parking?'; after a preposition, one that is no
        # noun in the dictionary and goes on is a verb ('about painting the gadget', 'for walking to …')
        return True
    if "NOUN" not in tags and "PROPN" not in tags:
        return False
    if set(tags) == {"NOUN"}:
        return True
    return _noun_in_context(tags, low, previous.lower(), following.lower())


def french_adverb(word: str) -> bool:
    """Is ``word`` (lower case) a French adverb in -ment: one the glossary renders only by English adverbs
    ('exactement' → 'exactly'), or, when it has no entry, whose English cognate in -ly is one ('respectivement' →
    'respectively', 'historiquement' → 'historically')? A noun in -ment ('gouvernement', 'règlement') is
    rendered by a noun, and has no adverb for a cognate."""
    folded = fold(word)
    if not folded.endswith("ment") or len(folded) < FRENCH_ADVERB_MIN:
        return False
    rendered = glossary()[0].get(dictionary_lemma(word, "fr"))
    if rendered:
        single = [e for e in rendered.split("|") if " " not in e]
        return bool(single) and all(set(english_lemmas(e)) == {"ADV"} for e in single)
    stem = folded[: -len("ment")]  # 'respective', 'precise', 'historique'
    cognates = [stem + "ly", stem[:-1] + "ly"] + ([stem[: -len("que")] + "cally"] if stem.endswith("ique") else [])
    return any(set(english_lemmas(c)) == {"ADV"} for c in cognates)


FRENCH_ADVERB_MIN = 7  # letters: shorter words in -ment are nouns ('ciment', 'moment')
FRENCH_INFINITIVE_ENDINGS = ("er", "ir", "re", "oir")
FRENCH_PARTICIPLE_ENDINGS = ("ée", "é")  # of the -er verbs, the largest class (plurals: by their singular)


def french_verb_form(word: str) -> bool:
    """Is ``word`` (lower case) an inflected French verb: a form whose dictionary lemma (or that lemma's)
    is an infinitive ('admis' → 'admettre', 'admise' → 'admis' → 'admettre'), or an -er verb's participle
    the dictionary lists by its infinitive only ('repoussé' → 'repousser')? A plural is judged by its
    singular ('secondes' by 'seconde', not by the verb 'seconder'); a noun in -é is not a participle unless
    an -er verb is spelled like it ('unité': there is no 'uniter')."""
    if french_infinitive(word):
        return True
    if word.endswith(("s", "x")) and is_known(word[:-1], "fr"):
        word = word[:-1]
    base = dictionary_lemma(dictionary_lemma(word, "fr"), "fr")
    if base != word and base.endswith(FRENCH_INFINITIVE_ENDINGS):
        return True
    ending = next((e for e in FRENCH_PARTICIPLE_ENDINGS if word.endswith(e)), None)
    return ending is not None and len(word) > len(ending) + 2 and is_known(
        word[: -len(ending)] + "er", "fr")


def _noun_in_context(tags: dict, word: str, prev: str, following: str) -> bool:
    """A word that can be a noun or a verb/adjective: decide from its neighbours."""
    if "ADJ" in tags and following and ("NOUN" in english_lemmas(following) or following[:1].isdigit()):
        return False  # 'a given State', 'the old 1990 handbook'
    if "ADJ" in tags and set(english_lemmas(following)) == {"ADJ"}:
        return False  # 'a spare electric motor': one of the adjectives before the noun
    if prev in DETERMINERS or prev.endswith("'s"):
        return True
    if prev in ("which", "what", "whose") and (following in AUXILIARIES or not following):
        return True  # 'which experience is …', 'what role does …' (but 'what comes after …' is a verb)
    if prev in SUBJECTS or prev in QUESTION_WORDS or (word.endswith("ing") and "VERB" in tags):
        return False  # 'what comes', 'a committee dealing with'
    if "ADV" in tags and following in PREPOSITIONS:
        return False  # 'thinking back to', 'the rules back in 1990', 'put back on the wall': an adverb
    prev_tags = english_lemmas(prev)
    if following in AUXILIARIES and "NOUN" in prev_tags:
        return True  # 'which time scales does …': the head of a compound noun
    if word.endswith("s") and "NOUN" in prev_tags and (following in PREPOSITIONS or following in AUXILIARIES
                                                       or not following):
        return True  # the head of a compound: 'travel costs for …' (but 'the organization covers Africa')
    if "VERB" in tags and (following in ARTICLES or following in OBJECT_WH):
        return False  # 'bodies takes the BIPM …', 'a hectare equals how many …': a verb before its object
    if "VERB" in tags and following in PARTICLES:
        return False  # 'how many cells make up a tissue', 'the notice must go out': a phrasal verb
    if "VERB" in tags and not word.endswith("s") and prev.endswith("s") and set(prev_tags) == {"NOUN"} \
            and fold(prev) not in english_lemmas(prev).get("NOUN", ()):
        return False  # 'laboratories feed into …': a plural noun is the subject, seldom a modifier
    if set(prev_tags) == {"VERB"} and prev not in AUXILIARIES:
        return True  # the object of a verb: 'reimburse travel', 'compare clocks'
    return bool(prev_tags) and "VERB" not in prev_tags and ("ADJ" in prev_tags or "NOUN" in prev_tags)


def correct(token: str, vocab: set[str], lang: str = "en") -> str:
    """Typo repair against the corpus vocabulary ('secondmnet' → 'secondment') for unknown words only."""
    if token in vocab or len(token) < 5 or not vocab or any(ch.isdigit() for ch in token):
        return token
    if _word(token, vocab, lang):
        return token
    if "-" in token and all(_word(part, vocab, lang) for part in token.split("-") if part):
        return token  # 'time-link': a compound of known words, not a misspelt 'timeline'
    close = difflib.get_close_matches(token, _spelling(vocab).candidates(token, TYPO_CUTOFF), n=TYPO_CHOICES,
                                      cutoff=TYPO_CUTOFF)
    # A misspelt word of the question's language is one of its words: in a bilingual collection the nearest
    # corpus word may be the other language's ('projcet' is nearer French 'projet' than 'project').
    own = [word for word in close if is_known(word, lang)]
    return (own or close or [token])[0]


def _word(token: str, vocab: set[str], lang: str) -> bool:
    """Is ``token`` a corpus word or a dictionary word?"""
    return token in vocab or is_known(token, lang) or is_known(token, "en")


TYPO_CUTOFF = 0.8  # difflib similarity a correction needs
TYPO_CHOICES = 3  # nearest corpus words weighed for a correction (the question language's first)
TYPO_LENGTH = 2  # a correction differs in length by at most this many characters
CHAR_SLOTS = 64  # characters are counted in this many buckets (collisions only loosen the bound below)
SPELLING_KEPT = 2  # vocabularies (index versions) whose character counts are kept


class _Spelling:
    """The words of a vocabulary with their character counts, to skip in one array operation the words that
    cannot reach difflib's cutoff: its ratio 2·M/(len a + len b) has M at most the characters the two share."""

    def __init__(self, vocab: set[str]) -> None:
        self.words = sorted(vocab)
        self.lengths = np.array([len(w) for w in self.words], dtype=np.int32)
        self.counts = np.zeros((len(self.words), CHAR_SLOTS), dtype=np.int32)
        for row, word in enumerate(self.words):
            for ch in word:
                self.counts[row, ord(ch) % CHAR_SLOTS] += 1

    def candidates(self, token: str, cutoff: float) -> list[str]:
        """The words that difflib could match to ``token`` at ``cutoff`` (a superset of its matches)."""
        counts = np.zeros(CHAR_SLOTS, dtype=np.int32)
        for ch in token:
            counts[ord(ch) % CHAR_SLOTS] += 1
        near = np.abs(self.lengths - len(token)) <= TYPO_LENGTH
        shared = np.minimum(self.counts[near], counts).sum(axis=1)
        rows = np.flatnonzero(near)[2.0 * shared >= cutoff * (self.lengths[near] + len(token))]
        return [self.words[i] for i in rows]


_SPELLINGS: list[tuple[set[str], _Spelling]] = []


def _spelling(vocab: set[str]) -> _Spelling:
    """Character counts of ``vocab``, built once per vocabulary object (one per index version)."""
    for known, spelling in _SPELLINGS:
        if known is vocab:
            return spelling
    spelling = _Spelling(vocab)
    _SPELLINGS.insert(0, (vocab, spelling))
    del _SPELLINGS[SPELLING_KEPT:]
    return spelling
