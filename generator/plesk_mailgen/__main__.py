"""``python -m plesk_mailgen`` runs the CLI."""

from .cli import main

main()
