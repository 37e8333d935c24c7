"""The only package that talks to Kubernetes. Importing it is cheap: ``kubernetes`` loads
only when a :class:`client.Cluster` connects (commands use ``Cluster.from_options``).

* ``resources`` — :class:`ResourceType` values (KUSTOMIZATION, HELMRELEASE, POD, JOB, ...)
  and ``for_kind(apiVersion, kind)``.
* ``client`` — :class:`Cluster`: ``from_options(GlobalOptions)`` (``--kubeconfig``,
  ``--context``, ``--as``, ``--timeout``), ``connect``, ``get``/``get_or_none``,
  ``list``/``list_with_version`` (pagination), ``watch`` (raises ``WatchExpired`` on 410),
  ``patch_merge``/``patch_json``, ``create``,
  ``delete`` (propagation, uid/resourceVersion preconditions, dry run), ``pod_logs``,
  ``can_i`` (SelfSubjectAccessReview, ``as_user``/``as_groups`` impersonation),
  ``is_served``/``resolve``/``served_resources`` (discovery), ``server_version``,
  ``context_name``, ``user_name``, ``request_count``. Errors are ``glmctl.errors`` types.
* ``flux`` — pure functions on object dicts: ``readiness``, ``is_suspended``,
  ``depends_on``, ``source_ref``, ``reconcile_request_patch``, ``reconcile_handled``,
  ``suspend_patch``, ``is_terminal_failure``.
* ``jobs`` — ``job_state(job)``: the one reading of a Job's state (pure).
* ``helm`` — ``read_release(cluster, name, namespace)`` from Helm's release Secrets.
* ``events`` — ``events_for(cluster, obj)``: the Events about an object, oldest first.
* ``kubeconfig`` — how the kubeconfig and context are chosen (kubectl's rules).
"""
