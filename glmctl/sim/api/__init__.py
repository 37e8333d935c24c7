"""The simulated API server's request handling, one module per concern.

``base`` (shared state, parsed targets, sending and reading bodies), ``faults`` (the
injection gate and ``/_sim/faults``), ``auth`` (authentication, impersonation, RBAC, access
reviews), ``discovery`` (``/version``, ``/api``, ``/apis``, ``/openapi``), ``crud`` (get,
list, create, update, patch, delete), ``watch``, ``logs`` (``pods/log``) and ``protobuf``
(the envelope kubectl sends for some bodies). ``glmctl/sim/server.py`` routes a request
through the gates to the concern.
"""
