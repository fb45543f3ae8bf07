//go:build !linux

package notifications

import bolt "go.etcd.io/bbolt"

// releaseMapped is Linux-only (see mapped_linux.go); elsewhere the kernel
// alone decides when the queue file's mapped pages leave the process.
func releaseMapped(*bolt.DB) error { return nil }
