"""Ways in: the command line (cli), the Gradio chat (ui) and the HTTP API (http)."""
