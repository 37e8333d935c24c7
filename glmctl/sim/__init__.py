"""The simulated cluster: a Kubernetes-API-compatible HTTP server on loopback.

It shares no code with glmctl's client side (``cluster/``, ``steps/``, ``repo/``): selector
parsing, patch logic and Flux rules are written again here on purpose, so that a
misunderstanding on one side is caught by the other (and by the real kubectl).
"""
