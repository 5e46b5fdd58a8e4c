"""Command-line parsers of ``python -m analysis <command>`` (argparse only; the work is elsewhere)."""
