"""Small language helpers shared by ingest, retrieval and answering: tokens, lemmas, sentences, language."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import marisa_trie
import simplemma
import Stemmer
from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy
from simplemma.strategies.dictionaries import TrieDictionaryFactory
from simplemma.utils import normalize_token

from assistant.index.paths import user_cache

# A number with thousands separators ('3,550') is one word; otherwise letters, digits and e-mail characters.
# An acronym as written: 'ILAC', 'NMIs', 'INetQI' (group 1 without a plural 's').
ACRONYM_RE = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])s?\b")
# An acronym asked about, with its hyphenated part: part of the name a glossary spells out ('ITS-90: …').
ASKED_ACRONYM_RE = re.compile(r"\b([A-Z][A-Za-z]*[A-Z](?:-[A-Z0-9]+)*)s?\b")
# Small words an expansion spells no letter for: 'Joint Committee *for* Guides *in* Metrology'.
NAME_GLUE = frozenset("of for and the on in a an de des du et la le".split())
WORD_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|[A-Za-zÀ-ÖØ-öø-ÿœŒ0-9@._%+-]*[A-Za-zÀ-ÖØ-öø-ÿœŒ0-9]",
                     re.UNICODE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")

# English function words: articles, pronouns (the indefinite ones too: 'anyone', 'something'), conjunctions,
# prepositions, auxiliaries and contractions. None names anything to look for in the documents.
EN_STOP = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
    let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves
    out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the
    their theirs them themselves then there there's these they they'd they'll they're they've this those
    through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves also may might must shall will can please tell give
    does anything something any much many get got let us one ones others ve re ll vs versus
    anyone anybody everyone everybody everything nothing nobody someone somebody whether
    across along alongside amid among amongst around behind beneath beside besides beyond despite except inside
    near onto outside throughout toward towards underneath upon via within without
    still already yet ever even just
    i.e e.g etc cf viz""".split()  # the prepositions the classic list lacks ('behind', 'within'; 'per' and 'since'
    # carry a unit or a time), adverbs of time and degree that a statement of the fact leaves out ('Is it still
    # valid?' → 'It is valid'), and the Latin abbreviations that introduce examples ('i.e.', 'e.g.') as the words
    # cut them
)
FR_STOP = frozenset(
    """au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi
    mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos
    votre vous c d j l à m n s t y été étée étées étés étant suis es est sommes êtes sont serai sera
    seront serais serait étais était étions étiez étaient fus fut ai as avons avez ont aurai aura avais
    avait eu quel quelle quels quelles comment combien quand où pourquoi est-ce qu'il qu'elle y-a-t-il
    il y a t-il faut peut peux pouvez dois doit""".split()
)
# Question words and politeness carry no content to look for in the documents.
QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how is are do does did can could would should tell "
    "know want need like please explain describe list name give show find kindly".split()
)


# C1 control characters (U+0080–U+009F) never stand for themselves in a text: they are Windows-1252 bytes read as
# Latin-1 ('mise en \x9cuvre' for 'mise en œuvre'). Read back as Windows-1252; its five unassigned bytes stay.
C1_AS_CP1252 = {code: ch for code in range(0x80, 0xA0)
                if (ch := bytes([code]).decode("cp1252", errors="replace")) != "\ufffd"}


ZERO_WIDTH = dict.fromkeys(map(ord, "\ufeff\u200b\u200c"))


def normalize(text: str) -> str:
    """NFC-normalize, read C1 control characters as the Windows-1252 characters they stand for, turn
    non-breaking and odd spaces into plain spaces, and drop zero-width characters (a byte-order mark, a
    zero-width space or non-joiner), which split a word or a symbol ('^28 Si') without being seen."""
    text = unicodedata.normalize("NFC", text.translate(C1_AS_CP1252))
    return text.replace("\u00a0", " ").replace("\u2009", " ").replace("\u202f", " ").translate(ZERO_WIDTH)


@lru_cache(maxsize=200_000)
def table_head(text: str, start: int) -> str:
    """For a position in a markdown table past its first row: the paragraph the table follows (its caption) and
    the table's first row, which names its columns; '' anywhere else. A piece cut from the middle of a table
    ('| G-2 | 14.0 mm |') is read with them, as a reader of the table reads a row."""
    line = text.rfind("\n", 0, start) + 1
    if not text.startswith("|", line):
        return ""
    first = line
    while first > 0 and text.startswith("|", above := text.rfind("\n", 0, first - 1) + 1):
        first = above
    if first == line:
        return ""
    row = text[first:text.find("\n", first)]
    caption = text[text.rfind("\n", 0, first - 2) + 1:first - 2] if text[first - 2:first] == "\n\n" else ""
    return f"{caption}\n{row}".strip()


def fold(word: str) -> str:
    """Lower-case and strip accents: 'Sèvres' -> 'sevres'."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# An ordinal with its suffix in superscript markup, as the documents write it ('11^e réunion',
# '21^eConférence', '1^er^'): read as the plain ordinal a question types ('11e').
SUPERSCRIPT_ORDINAL_RE = re.compile(r"(\d)\^(ème|ère|er|re|e|st|nd|rd|th)\^?")


def _trie_folder(library: str, library_version: str) -> Path:
    return user_cache(library, library_version)


# simplemma's dictionaries as MARISA tries (its own `marisa-trie` extra) instead of its default dicts: the
# default decodes each language's stream in Python on first use (~0.35 s per language on an AVX2-only
# Zen 3; English and French both load for most questions), a sixth of a cold `assistant ask`. A trie is
# built once per machine and simplemma version (~0.8 s per language) and then loads in a few ms. Same
# entries, so the same lemmas; a lookup is slower (~5 µs), and `lemma` caches them.
@lru_cache(maxsize=1)
def _dictionaries() -> tuple[Lemmatizer, DictionaryLookupStrategy]:
    """simplemma's lemmatizer and dictionary lookup over the tries in the user cache (built on first use)."""
    tries = TrieDictionaryFactory(disk_cache_dir=str(_trie_folder("simplemma", simplemma.__version__)))
    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=tries)), DictionaryLookupStrategy(tries)


def dictionary_lemma(word: str, lang: str) -> str:
    """simplemma's lemma of ``word`` in ``lang``: what ``simplemma.lemmatize`` gives, read from the tries."""
    return _dictionaries()[0].lemmatize(word, lang)


def is_known(word: str, lang: str) -> bool:
    """Is ``word`` an entry of simplemma's ``lang`` dictionary (what ``simplemma.is_known`` says)?"""
    return _dictionaries()[1].get_lemma(normalize_token(word), lang) is not None


# lemminflect's English lookup tables (word → part of speech → lemmas; lemma → tag → inflected forms) the same
# way: lemminflect parses each gzipped CSV (70,000 and 110,000 lines) in Python on first use (~0.4 s each), the
# largest single costs of a cold answer after the imports. A trie holds the same entries and is handed to
# lemminflect, which keeps its own overrides and capitalization rules.
_UPOS_SEP, _FORM_SEP, _ENTRY_SEP = "\x1e", "\x1f", "\x1d"


class _FormsTable(Mapping[str, dict[str, tuple[str, ...]]]):
    """A lemminflect ``{word: {tag: forms}}`` table, read from a trie."""

    def __init__(self, trie: marisa_trie.BytesTrie) -> None:
        self._trie = trie

    def __getitem__(self, word: str) -> dict[str, tuple[str, ...]]:
        found = self._trie.get(word)
        if not found:
            raise KeyError(word)
        entries = (entry.split(_UPOS_SEP) for entry in found[0].decode().split(_ENTRY_SEP))
        return {upos: tuple(forms.split(_FORM_SEP)) for upos, forms in entries}

    def __iter__(self) -> Iterator[str]:
        return iter(self._trie.keys())

    def __len__(self) -> int:
        return len(self._trie)


def _forms_table(name: str, parse: Callable[[], dict[str, dict[str, tuple[str, ...]]]]) -> _FormsTable:
    """lemminflect's table ``name`` from its trie in the user cache; parsed with ``parse`` and saved the first time
    (or when a crash cut the saved trie short)."""
    from importlib.metadata import version

    path = _trie_folder("lemminflect", version("lemminflect")) / f"{name}.marisa"
    try:
        trie = marisa_trie.BytesTrie().load(str(path))
    except Exception:  # absent, or cut short by a crash: marisa raises its own error types
        trie = marisa_trie.BytesTrie(
            (word, _ENTRY_SEP.join(upos + _UPOS_SEP + _FORM_SEP.join(forms) for upos, forms in tags.items()).encode())
            for word, tags in parse().items())
        _save_trie(trie, path)
    return _FormsTable(trie)


@lru_cache(maxsize=1)
def _lemma_table() -> Callable[[str], dict[str, tuple[str, ...]]]:
    """lemminflect's ``getAllLemmas``, its lemmatizer given the table from the trie in the user cache (built,
    then saved, once). lemminflect is imported here, by the first question, not by every importer of text."""
    from lemminflect import config, getAllLemmas
    from lemminflect.codecs.LemmaLUCodec import LemmaLUCodec
    from lemminflect.core.Lemmatizer import Lemmatizer as LemminflectLemmatizer

    table = _forms_table("lemma_lu", lambda: LemmaLUCodec.load(config.lemma_lu_fn))
    LemminflectLemmatizer().lemma_dict = table  # a singleton: lemminflect reads this attribute
    return getAllLemmas


@lru_cache(maxsize=1)
def _inflection_table() -> Callable[[str, str], tuple[str, ...] | None]:
    """lemminflect's ``getInflection``, its inflector given the table from the trie in the user cache, as
    `_lemma_table` does for the lemmatizer."""
    from lemminflect import config, getInflection
    from lemminflect.codecs.InflectionLUCodec import InflectionLUCodec
    from lemminflect.core.Inflections import Inflections

    table = _forms_table("inflection_lu", lambda: InflectionLUCodec.load(config.inflection_lu_fn))
    Inflections().infl_dict = table  # a singleton: lemminflect reads this attribute
    return getInflection


def _save_trie(trie: marisa_trie.BytesTrie, path: Path) -> None:
    """Write to a temporary file, then rename: another process never reads half a trie."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        trie.save(str(tmp))
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache only costs the next process a rebuild
        tmp.unlink(missing_ok=True)


def english_lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """lemminflect's ``getAllLemmas(word)``: each part of speech ``word`` can be, with its lemmas."""
    return _lemma_table()(word)


def only_a_verb(word: str) -> bool:
    """Can ``word`` (lower case) be nothing but a verb, by lemminflect's table ('distribute', 'happened'; not
    'review', which may be a noun, nor a word the table does not know)?"""
    return set(english_lemmas(word)) == {"VERB"}


def english_inflection(lemma: str, tag: str) -> tuple[str, ...] | None:
    """lemminflect's ``getInflection(lemma, tag)``: the spellings of ``lemma`` as the Penn tag ``tag`` ('VBN'),
    or None when it has none."""
    return _inflection_table()(lemma, tag)


# Greek letters (the micro sign too) with their sub- or superscript markup: 'μ_0', 'ε_0', 'Δν_Cs', 'α'.
GREEK_RE = re.compile(r"([\u0391-\u03a9\u03b1-\u03c9\u00b5]+)((?:[_^][^\W_]+)*)")


def greek_names(letters: str) -> list[str]:
    """Each Greek letter of ``letters`` by its Unicode name, as one types it in Latin letters: 'Δν' → ['delta', 'nu']."""
    # NFKC makes the micro sign 'µ' the letter 'μ' (GREEK SMALL LETTER MU): the name's last word is the letter's.
    return [unicodedata.name(unicodedata.normalize("NFKC", ch)).split()[-1].lower() for ch in letters]


def greek_spelled(text: str) -> str:
    """``text`` with its Greek letters spelled by name, as `words` can read them: 'μ_0' → 'mu_0', 'Δν_Cs' →
    'deltanu_Cs' (the word pattern has no Greek letters: 'μ_0' would be read as '_0')."""
    if text.isascii():
        return text
    def spelled(m: re.Match[str]) -> str:
        # '4π' is a figure and a letter: two words, as the documents' '4 π'
        gap = " " if m.start() and text[m.start() - 1].isdigit() else ""
        return gap + "".join(greek_names(m.group(1))) + m.group(2)
    return GREEK_RE.sub(spelled, text)


def words(text: str) -> list[str]:
    """Word tokens in order (keeps e-mail addresses and numbers whole; '11^e' is the ordinal '11e')."""
    return list(_words(text))


# Texts whose word tokens are kept: answering reads a unit's or context's words for its lemmas, its vocabulary
# and its initials, one after the other.
TOKENIZED_TEXTS_KEPT = 4096


@lru_cache(maxsize=TOKENIZED_TEXTS_KEPT)
def _words(text: str) -> tuple[str, ...]:
    if "^" in text:
        text = SUPERSCRIPT_ORDINAL_RE.sub(r"\1\2 ", text)
    tokens = tuple(token for w in WORD_RE.findall(text) if (token := w.strip(".-")))
    if DOTTED_LETTERS_RE.search(text):  # (rare: the common text is not read token by token again)
        return tuple(t.replace(".", "") if DOTTED_ACRONYM_RE.fullmatch(t) else t for t in tokens)
    return tokens


# An acronym written with dots ('A.B.C.', 'X.Y.Z.'), as older texts do: one word with the letters alone.
DOTTED_ACRONYM_RE = re.compile(r"[A-Z](?:\.[A-Z])+")
DOTTED_LETTERS_RE = re.compile(r"\.[A-Z]\.")  # what any such acronym holds: a quick test of a whole text


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str = "en") -> str:
    """Accent-folded lemma of one word ('paid' -> 'pay', 'secondments' -> 'secondment')."""
    low = word.lower()
    if "@" in low or any(ch.isdigit() for ch in low):
        return low
    try:
        base = dictionary_lemma(low, lang)
    except ValueError:
        base = low
    return fold(base)


@lru_cache(maxsize=100_000)
def is_stop(word: str) -> bool:
    """A word that carries no content: a stop word, a one-letter token, or a token that the word pattern cut out
    of a stop word ('didn' of "didn't", split at the apostrophe; French inversions 'est-il', 'a-t-elle')."""
    low = word.lower()
    if low in EN_STOP or low in FR_STOP or len(low) < 2 or f"{low}'t" in EN_STOP:
        return True
    parts = low.split("-")
    return len(parts) > 1 and all(p in EN_STOP or p in FR_STOP or len(p) < 2 for p in parts)


def content_lemmas(text: str, lang: str = "en") -> list[str]:
    """Lemmas of the content words of ``text``, in order, without stop words (a new list on every call)."""
    return list(_content_lemmas(text, lang))


# Texts whose lemmas are kept: answering reads the same chunk and unit texts for every question about their
# document (a few per question are new), and ingest's texts pass once; an entry is a text and its lemmas.
LEMMATIZED_TEXTS_KEPT = 4096


@lru_cache(maxsize=LEMMATIZED_TEXTS_KEPT)
def _content_lemmas(text: str, lang: str) -> tuple[str, ...]:
    return tuple(token for w in _words(text) if (token := _content_lemma(w, lang)) is not None)


@lru_cache(maxsize=200_000)
def _content_lemma(word: str, lang: str) -> str | None:
    """``lemma(word, lang)``, or None for a stop word: one cache lookup per word of a text instead of two."""
    return None if is_stop(word) else lemma(word, lang)


def detect_language(text: str) -> str:
    """'en' or 'fr' by stop-word counts: enough for the two languages of the BIPM's documents."""
    tokens = [w.lower() for w in words(text[:20_000])]
    en = sum(1 for t in tokens if t in _EN_MARKERS)
    fr = sum(1 for t in tokens if t in _FR_MARKERS)
    return "fr" if fr > en else "en"


_EN_MARKERS = frozenset("the of and to is are which with for that this be by an on as at from".split())
_FR_MARKERS = frozenset("le la les des du et est sont une pour dans que qui au aux avec sur par".split())

# Abbreviations that end with a period without ending a sentence.
_ABBREV = frozenset(
    "dr mr mrs ms prof st no nos vol fig figs eq eqs e.g i.e etc cf approx dept ref refs resp al vs p pp art "
    "mm mme mlle m".split()
)
_OPENERS = "\"'“‘«(["  # quotation marks and brackets that may open a numbered title
# An initial or a name's initials ('A.B. Smith', 'J.-K. Doe'): dotted single letters, perhaps hyphenated, end no
# sentence.
_INITIALS = re.compile(r"(?:[^\W\d_]\.-?)*[^\W\d_]")
_SENT_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s+|$)")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of a paragraph; abbreviation- and initial-aware."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENT_END.finditer(text):
        end = match.end()
        before = text[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        # A letter after a number is a unit's symbol, which may end a sentence ('… up to 500 K. Then …', '… 10 m.').
        symbol = len(last) == 1 and len(before) > 1 and before[-2][-1:].isdigit()
        if (last in _ABBREV or _INITIALS.fullmatch(last)) and not symbol:
            continue
        if len(last) > 1 and last[0] in _OPENERS and last[1:].isdigit():
            continue  # 'the new Section "12. Greying-out …"': a number opening a quotation numbers it
        nxt = text[end:].lstrip()
        if nxt and not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"'(«[–-•"):
            continue
        if text[start:end].strip():
            spans.append(_trim(text, start, end))
        start = end
    if text[start:].strip():
        spans.append(_trim(text, start, len(text)))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def is_acronym(text: str) -> bool:
    """'ILAC', 'CIPM', 'JCGM', 'IUPAP', 'CCTF-K001'-like tokens: mostly capitals, short."""
    return bool(re.fullmatch(r"[A-Z][A-Za-z]{0,2}[A-Z][A-Za-z0-9-]{0,6}", text)) and sum(
        ch.isupper() for ch in text
    ) >= 2


def expands(acronym: str, phrase: str) -> bool:
    """Does ``phrase`` plausibly spell out ``acronym``? (letters mostly among the word initials)."""
    if not is_acronym(acronym) or is_acronym(phrase) or len(phrase.split()) < 2:
        return False
    initials = {w[0].upper() for w in re.split(r"[\s\-/]+", phrase) if w}
    letters = [ch for ch in acronym.upper() if ch.isalpha()]
    hits = sum(ch in initials for ch in letters)
    return hits * 3 >= len(letters) * 2


_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def french_infinitive(word: str) -> bool:
    """Is ``word`` a French infinitive: its own lemma, and the lemma of a present- or imperfect-tense form
    ('utiliser' ← 'utilise', 'étaler' ← 'étalait', 'finir' ← 'finissons', 'entendre' ← 'entendons',
    'recevoir' ← 'recevons'; not 'laser', 'désir', 'papier' or 'lettre')? Several forms are tried because
    some of a verb's forms are also nouns ('étalons' is the plural of 'étalon')."""
    low = word.lower()
    if len(low) <= 4 or not low.endswith(("er", "ir", "re")) or dictionary_lemma(low, "fr") != low:
        return False
    stem = low[:-2]
    if low.endswith("oir"):
        forms: tuple[str, ...] = (low[:-3] + "ons",)
    elif low.endswith("ir"):
        forms = (low[:-1], stem + "ons", stem + "issons", stem + "issait")
    elif low.endswith("re"):
        forms = (stem + "ons", stem + "s")
    else:
        forms = (low[:-1], stem + "ons", stem + "ez", stem + "ait")
    return any(dictionary_lemma(form, "fr") == low for form in forms)


@lru_cache(maxsize=100_000)
def stem(token: str) -> str:
    """Snowball (Porter 2) stem of an English token."""
    return _STEMMER.stemWord(token)


# English spells a verb's final 't' or 'd' as 's' before -ion and -ive ('submit' → 'submission', 'decide' →
# 'decision', 'extend' → 'extension'): Snowball leaves 'submiss' and 'decis', so roots undo that spelling.
ALTERNATION_MIN = 5  # shorter stems ('mass', 'pass', 'gas') are left alone


@lru_cache(maxsize=100_000)
def stem_root(stemmed: str) -> str:
    """The root of a stem, shared by a word's derivations: 'appli' (apply) and 'applic' → 'appl';
    'submiss' → 'submit', 'decis' → 'decid' (the verb's spelling)."""
    root = stemmed.rstrip("yie")
    if len(root) >= ALTERNATION_MIN + 1 and root.endswith("ss"):
        return root[:-2] + "t"
    if len(root) >= ALTERNATION_MIN and root.endswith("s") and not root.endswith("ss"):
        return root[:-1] + "d"
    return root


@lru_cache(maxsize=100_000)
def derivational_root(token: str) -> str:
    """``stem_root`` of a token's stem."""
    return stem_root(stem(token))
