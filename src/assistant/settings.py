"""One typed settings object: environment variables prefixed ``ASSISTANT_``, overridable by CLI flags.

Build it once at the entry point and pass it to constructors explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import SettingsError


def _default_index_dir() -> Path:
    return Path(user_data_dir("bipm-assistant", appauthor=False)) / "index"


class Settings(BaseSettings):
    """Every knob of the assistant. Environment: ``ASSISTANT_<FIELD>`` (e.g. ``ASSISTANT_INDEX_DIR``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", frozen=True)

    # --- index -------------------------------------------------------------
    index_dir: Path = Field(
        default_factory=_default_index_dir,
        description="Where the index lives (Chroma files, manifest). Default: the per-user data dir.",
    )
    collection: str = Field("bipm", description="Chroma collection name.")
    corpus_dir: Path = Field(Path("corpus"), description="Default documents folder for `ingest`.")
    chroma_url: str | None = Field(
        None, description="http://HOST:PORT of a `chroma run` server; unset = embedded Chroma."
    )
    # --- ingest ------------------------------------------------------------
    chunk_size: int = Field(800, ge=100, le=8000, description="Max characters per chunk.")
    chunk_overlap: int = Field(100, ge=0, le=2000, description="Characters shared by neighbour chunks.")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped.")
    batch_size: int = Field(64, ge=1, le=4096, description="Chunks embedded and written per batch.")
    # --- embedding ---------------------------------------------------------
    embed_precision: Literal["auto", "fp32", "bf16", "onnx", "onnx-int8"] = Field(
        "auto",
        description="auto = the fastest backend that agrees with torch fp32, measured once per machine and "
        "model on a probe batch and cached (see `assistant info`). fp32/bf16 = torch; onnx/onnx-int8 = ONNX "
        "Runtime. See docs/benchmark.md.",
    )
    embed_min_cosine: float = Field(
        0.98, ge=0.5, le=1.0,
        description="For auto: a backend agrees with torch fp32 when every probe text's vector has at least this "
        "cosine to fp32's (ONNX int8 measures ≥ 0.984 on corpus chunks and keeps gold scores within one point).",
    )
    threads: int = Field(0, ge=0, le=256, description="Torch threads; 0 = number of cores.")
    blas_threads: int = Field(
        1, ge=0, le=256,
        description="Threads of numpy's BLAS in a process that answers (set when the Assistant is built; 0 = "
        "leave the library's default, one per core). Its products here are small (a question's vector against "
        "the stored chunk and unit vectors), and OpenBLAS's idle threads spin: with 2 threads a warm answer "
        "used twice its wall time in CPU on 2 cores (README, thirteenth session).",
    )
    # --- retrieval ---------------------------------------------------------
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved per question.")
    fetch_k: int = Field(30, ge=1, le=500, description="Candidates per retriever before fusion.")
    # Chroma's HNSW graph is approximate: on a 6,674-chunk index it returned on average 94.6 % of the exact
    # 30 nearest chunks, for some questions under a quarter (README, tenth session); exact search over the
    # stored vectors costs about 0.2 ms a question at that size.
    exact_search_chunks: int = Field(
        200_000, ge=0, le=10_000_000, description="Dense search is exact (the version's stored chunk vectors, read "
        "from Chroma once per index version) for an index of at most this many chunks; above it, Chroma's HNSW "
        "search answers (0: always).",
    )
    rrf_k: int = Field(60, ge=1, le=1000, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(1.0, ge=0, le=10, description="Weight of the dense ranking in RRF.")
    lexical_weight: float = Field(0.5, ge=0, le=10, description="Weight of the BM25 ranking in RRF.")
    rerank_candidates: int = Field(
        30, ge=1, le=500, description="Fused candidates the fitted reranker orders (0 of them skipped: see rerank)."
    )
    focus_k: int = Field(
        12, ge=0, le=200, description="Extra candidates from the documents a question names (meeting, year); 0 = off."
    )
    expand_documents: int = Field(
        2, ge=0, le=20, description="The first documents of the fused ranking whose other chunks also become "
        "candidates (up to focus_k), when short (see expand_chunks): a short page's passage that shares few words "
        "with the question is found with its page; 0 = off."
    )
    expand_chunks: int = Field(
        15, ge=1, le=500, description="A document of at most this many chunks is short (see expand_documents)."
    )
    rerank: bool = Field(
        True, description="Collection-scale retrieval: candidates also from the documents a question names and, "
        "for French, from its own words, ordered by the fitted reranker (assistant/data/rerank.json); false = "
        "hybrid search (dense + BM25 fused) alone.",
    )
    # --- answering ---------------------------------------------------------
    # Measured (fifty-eighth session, onnx-int8): every answerable question of the read sets has a best
    # passage at 0.283 or more with corpus-extra indexed, 0.237 or more with corpus/ alone; 0.20 keeps a margin
    # for other CPUs' embeddings and turns away off-topic questions whose best passage shares a word or two.
    min_relevance: float = Field(
        0.20, ge=-1, le=1, description="Abstain when the best passage's cosine similarity is below this."
    )
    term_match: float = Field(
        0.62, ge=0, le=1, description="Word-embedding similarity at which a question term counts as covered."
    )
    term_match_below: float = Field(
        0.17, gt=0, le=1, description="A question term's coverage by a word rises from 0 at term_match minus this "
        "similarity …",
    )
    term_match_above: float = Field(
        0.13, gt=0, le=1, description="… to 1 at term_match plus this (linearly in between).",
    )
    partial_coverage: float = Field(
        0.9, ge=0, le=1, description="An answer whose quotes cover less than this (IDF-weighted) share of the "
        "question's key terms is reported as partial (support), not supported.",
    )
    # 1, measured on the training sets (README, eleventh session): train-extra a-f +21 questions, 6 more of their
    # 190 unanswerable ones answered; the seed-page sets unchanged (4 is the smallest keys_per_missing that keeps
    # every floor).
    tolerate_missing: int = Field(
        1, ge=0, le=3, description="Key nouns a leading quote may leave uncovered when no quote covers them all, "
        "with at least keys_per_missing key nouns per missing one, in a question that is not a yes/no question, "
        "and none of them a figure, a name or the noun asked for; the answer names them (0: never)."
    )
    # 2.0 (used by more than about one passage in seven): the collection's own bodies, 'BIPM' (1.7 in the large
    # collection), 'CIPM' (0.8), 'SI' (0.9); measured on 64 sets (README, fifty-fourth session) +5 −1.
    common_name_weight: float = Field(
        2.0, ge=0, description="A name whose IDF weight is below this (one nearly every passage uses, as the "
        "collection's publisher) may be the key term a leading quote leaves out (see tolerate_missing); 0: never.",
    )
    keys_per_missing: int = Field(4, ge=1, le=20, description="Key nouns a question needs for each one a "
                                  "quote may leave out (see tolerate_missing).")
    evidence_scorer: Literal["prior", "fitted"] = Field(
        "prior", description="prior = the weights of assistant/data/evidence-prior.json (set by hand before the "
        "fitted core; better answers on every set measured, see README); fitted = assistant/data/evidence.json.",
    )
    answer_types: Literal["patterns", "model", "both"] = Field(
        "patterns", description="How a question's answer type (a date, a figure, a name …) is read: patterns = "
        "the question patterns of retrieve/query.py (NEEDS); model = the classifier fitted on "
        "assistant/data/answer_type_examples.tsv (python -m assistant.question.fit); both = the patterns, and "
        "the classifier when none matches.",
    )
    abstention: Literal["rules", "fitted", "hybrid"] = Field(
        "hybrid", description="hybrid = the coverage checks decide, and an abstention of theirs is answered when "
        "the calibrated model of assistant/data/abstain.json is confident (its fitted rescue probability, chosen "
        "to answer no more unanswerable questions than the rules on the training questions); rules = the checks "
        "alone (the model's probability is then only the support score); fitted = the model decides at its "
        "fitted threshold (fewer false abstentions, more answers to unanswerable questions: see README).",
    )
    max_answer_sentences: int = Field(4, ge=1, le=20, description="Sentences in an extractive answer.")
    # 0.8, measured on the training sets (README, seventeenth session): French questions +6 −2 (0.9: +3 −2; 0.7:
    # +6 −3); the seed-page sets unchanged. 0.6 since the twenty-eighth session, measured on all eleven training
    # sets: 0.8 / 0.7 / 0.6 / 0.5 / 0.4 → 1,213 / 1,214 / 1,215 / 1,215 / 1,215 of 1,499 (the plateau's largest
    # value, the least change).
    other_language_factor: float = Field(
        0.6, gt=0.0, le=1.0, description="A translated question's units in another language than the asker's "
        "rank by this share of their score (1: language does not matter).")
    # 0.8, measured on the training sets (README, eleventh session): 0.7 and 0.9 gave train-extra d/e/f
    # +1/+1/-2 and -4/-4/-4 questions.
    runner_up_share: float = Field(0.8, gt=0.0, le=1.0, description="Besides its leading sentence, an "
                                   "extractive answer quotes sentences that score at least this share of it.")
    # 0.75, a former literal measured on the training sets (README, twenty-sixth session): 0.7 +0 −0, 0.8 +1 −0
    # but one seed-page question lost on corpus/ alone, 0.85 and 0.9 +2 −1.
    min_coverage: float = Field(0.75, gt=0.0, le=1.0, description="The share of the question's terms (by weight) "
                                "a leading quote must cover to answer; also the coverage given to a question "
                                "whose referent or asked-for name answers it.")
    # 0.35, measured on the training sets (README, twenty-sixth session): the former literal 0.5 → 0.35 and 0.25
    # +1 −0 each, 0.65 +1 −4; the seed-page sets on corpus/ alone unchanged.
    alternative_share: float = Field(0.35, gt=0.0, le=1.0, description="When the leading quote leaves out a key "
                                     "term, another unit among the best alternative_depth that covers every "
                                     "key term leads instead if it scores at least this share of the best.")
    # 12, a former literal measured on the training sets (README, twenty-sixth session): 6 +1 −2, 30 +2 −1.
    alternative_depth: int = Field(12, ge=1, le=100, description="How many of the best units are tried for one that "
                                   "covers every key term (see alternative_share).")
    # 0.45, measured on the training sets (README, twenty-sixth session): the former literal 0.5 → 0.45 +1 −0
    # (0.35 +3 −0 and 0.4 +2 −0, but both answer a follow-up about one director with another director's e-mail,
    # which test_api's referent test forbids; 0.25 +3 −1, 0.65 +0 −2); the seed-page sets on corpus/ alone unchanged.
    referent_coverage: float = Field(0.45, gt=0.0, le=1.0, description="A follow-up that points back is answered "
                                     "by a quote about its referent: one whose context covers at least this share "
                                     "(by weight) of the earlier turn's terms, or three in four of them.")
    # 0.6, measured on the training sets (README, twenty-sixth session): +7 −0 (0.5: +9 −2; 0.7: +3 −0); the
    # seed-page sets on corpus/ alone +2 −0.
    complement_share: float = Field(0.6, gt=0.0, le=1.0, description="A sentence that says what the answer's "
                                    "other sentences leave out (a question word none of them covers) is quoted "
                                    "when it scores at least this share of the leading sentence.")
    # 10, measured on the training sets (README, fourth session): the section is also what the coverage check
    # reads; train-extra a/c/d/e +1.1/+0.7/+0.5/+0.5 points, b and the seed sets unchanged. 12 and 16 cut the
    # gold set's citation precision to its floor (0.88) or under it (0.872 at 16).
    short_section_units: int = Field(10, ge=0, le=50, description="An answer that quotes a short structured "
                                     "section (a resolution or decision: an opening, then listed premises and "
                                     "operative clauses) of at most this many sentences and items shows all of it "
                                     "(0: never).")
    # 3, measured on the training sets (README, twenty-fifth session): 2 gained 2 questions, 3 to 10 gained 4 and
    # lengthened more answers the larger it was.
    short_list_items: int = Field(3, ge=0, le=50, description="A quoted item of a list whose lead ends with a colon "
                                  "('elected the following:') is shown with the whole list when it has at most this "
                                  "many items (0: never); two or more quoted items always show the whole list.")
    short_table_rows: int = Field(10, ge=0, le=500, description="A quoted row of a table of at most this many rows "
                                  "(besides the one naming its columns) is shown with the whole table, as a table's "
                                  "first row quoted alone is; a longer table shows the rows quoted, under its first "
                                  "row (0: never whole).")
    operative_units: int = Field(3, ge=0, le=20, description="An answer that quotes only premises of a structured "
                                 "section ('considering …', 'recalling …') goes on with up to this many of the "
                                 "section's operative clauses that follow them ('decides …'; 0: never).")
    # 1, measured on the training sets (README, eleventh session): train-extra a–f +7 questions of 879, the
    # seed-page sets unchanged or up; 2 gained one more question of train-extra-f for longer answers.
    # 2 since the fifty-eighth session, measured on the 67 read sets (8,261 questions): 1 → 2 +5 −0 (answers
    # 176 → 177 words on the mean, citation precision unchanged), 3 one more (+1 −0, 178 words); seed sets
    # unchanged either way.
    follow_sentences: int = Field(2, ge=0, le=5, description="An answer led by a loose sentence also quotes up "
                                  "to this many sentences that follow it in its paragraph (0: never).")
    # 40, measured on the training sets (README, twentieth session).
    followup_answer_words: int = Field(40, ge=0, le=200, description="A follow-up that points back ('What does "
                                       "that one do?') is searched with this many leading words of the answer it "
                                       "follows, which name what it points at (0: the earlier question only).")
    max_question_chars: int = Field(2000, ge=10, le=100_000, description="Longer questions are refused.")
    who_to_ask: str = Field(
        "For anything the documents do not cover, please contact the BIPM through the contact page of its website.",
        description="Line added to abstentions: where a person can ask instead.",
    )
    who_to_ask_fr: str = Field(
        "Pour toute question que les documents ne couvrent pas, veuillez contacter le BIPM via la page de contact "
        "de son site web.",
        description="The same line for a question asked in French (empty: who_to_ask).",
    )
    # --- LLM backends (optional) ------------------------------------------
    llm_provider: Literal["extractive", "ollama", "openai"] = Field(
        "extractive", description="Answerer backend."
    )
    llm_model: str = Field("llama3.1", description="Model name for the LLM backend.")
    llm_base_url: str | None = Field(None, description="Base URL of the Ollama/OpenAI-compatible server.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the LLM server (never logged).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before an LLM call gives up.")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries with backoff for LLM calls.")
    # --- UI ----------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the chat UI listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the chat UI.")
    auth: str | None = Field(None, description="'user:password' to require a login in the UI.")
    feedback_path: Path | None = Field(None, description="JSONL file for UI feedback; default in index_dir.")
    # --- query log (opt-in) --------------------------------------------------
    query_log: bool = Field(
        False, description="Keep a JSONL log of the questions asked through the CLI, chat and HTTP API "
                           "(queries.jsonl in index_dir: question, support, cited spans, stamp, timings, "
                           "feedback; never IP addresses or user names).",
    )
    query_log_max_mb: float = Field(
        10.0, gt=0, le=10_000, description="Size at which queries.jsonl is rotated to queries.jsonl.1."
    )
    query_log_keep: int = Field(
        3, ge=0, le=100, description="Rotated query-log files kept (queries.jsonl.1 … .N); older ones are deleted."
    )
    # --- safety (hostile documents and requests) ----------------------------
    instruction_flag: float = Field(
        0.5, gt=0, le=1, description="A chunk whose instruction score (classifier probability, or share of "
        "sentences with a role marker / 'ignore previous instructions') reaches this is reported at ingest "
        "and down-weighted in retrieval.",
    )
    instruction_penalty: float = Field(
        0.25, ge=0, le=1, description="Factor on the fused retrieval score of a chunk flagged as instructions.",
    )
    max_unpacked_mb: float = Field(
        64.0, gt=0, description="A .docx whose parts decompress to more than this (declared or actual) is skipped: "
        "zip bombs.",
    )
    max_text_chars: int = Field(
        5_000_000, ge=1000, description="Text extracted from one file is cut at this many characters.",
    )
    extract_seconds: float = Field(
        60.0, gt=0, description="Time budget to extract the text of one PDF/DOCX/HTML file; slower files are skipped.",
    )
    max_request_kb: int = Field(
        256, ge=1, description="HTTP request bodies larger than this are refused (413) before they are parsed.",
    )
    login_failures: int = Field(
        5, ge=1, le=1000, description="Wrong passwords a client may try before it is locked out for a while.",
    )
    login_lockout_seconds: float = Field(
        30.0, ge=0, description="How long a client is refused after too many wrong passwords (doubles each time).",
    )

    @field_validator("chroma_url", "llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("auth")
    @classmethod
    def _auth_pair(cls, value: str | None) -> str | None:
        if value and ":" not in value:
            raise ValueError("must look like 'user:password'")
        return value or None

    @property
    def feedback_file(self) -> Path:
        return self.feedback_path or self.index_dir / "feedback.jsonl"

    @property
    def query_log_file(self) -> Path:
        return self.index_dir / "queries.jsonl"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides (CLI flags); None values are ignored."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "settings"
        raise SettingsError(
            f"Bad setting {key} (env ASSISTANT_{key.upper()}): {first['msg']}; got {first.get('input')!r}"
        ) from None
