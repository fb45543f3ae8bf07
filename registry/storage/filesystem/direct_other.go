//go:build !linux

package filesystem

import "errors"

var errDirectRefused = errors.New("filesystem: no O_DIRECT on this system")

func setDirect(int, bool) error { return errDirectRefused }

func networked(string) bool { return false }
