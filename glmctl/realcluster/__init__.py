"""The real engine: a real Kubernetes control plane on loopback, brought to life by a scenario.

etcd, kube-apiserver and kube-controller-manager are the real programs, built from their Go
modules by ``make real-cluster`` (``harness/``); glmctl only starts them. What a cluster
would also run and cannot be had here as a real program (a kubelet, helm-controller) is
played by the simulator's own controllers acting through the API, never by writing to etcd.
Go is needed to build the programs, never to use glmctl.
"""
