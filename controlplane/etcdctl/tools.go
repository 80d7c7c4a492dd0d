//go:build tools

// Package tools pins the etcdctl this module builds (the same version as the lab's etcd server).
package tools

import _ "go.etcd.io/etcd/etcdctl/v3"
