"""The local lab: a real control plane (etcd, kube-apiserver, scheduler, controllers) and kwok."""
