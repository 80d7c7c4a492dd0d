//go:build tools

// Package tools pins the kubelet a real lab node runs. Same Kubernetes version and replaces as
// ../kubernetes (a unit test keeps them equal); a module of its own so that adding the kubelet
// does not change the control plane's go.sum and with it that cache entry.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubelet"
)
