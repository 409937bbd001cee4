"""`python -m ingest [PATH...]` is the same as `assistant ingest`."""

from assistant.interfaces.cli import main

if __name__ == "__main__":
    main(["ingest", *__import__("sys").argv[1:]])
