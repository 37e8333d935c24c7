"""``python -m glmctl`` runs the same entry point as the console script."""

from glmctl.cli.main import run

run()
