"""Score the assistant on a question file: ``assistant eval QUESTIONS.jsonl`` (also ``python -m evals``).

Modules: ``questions`` (format, loading, line-by-line checks), ``textmatch`` (matching rules), ``metrics``
(pure metric functions), ``score`` (runs questions through ``bot.ask`` / ``bot.retrieve``), ``report``
(JSON / Markdown / PNG, comparison, floors), ``run`` (one run end to end) and ``cli``.
"""
