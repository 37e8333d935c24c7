"""Runbooks: the model (:mod:`.model`), the loader that validates a runbook before anything
runs (:mod:`.loader`), the engine that runs it (:mod:`.engine`) and its results
(:mod:`.result`). The format is documented in ``docs/runbooks.md``.
"""
