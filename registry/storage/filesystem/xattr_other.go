//go:build !linux

package filesystem

import (
	"errors"
	"os"
)

// Elsewhere hash states are kept in files beside the uploads.
var errNoXattr = errors.New("filesystem: no extended attributes here")

func fgetxattr(*os.File, string, []byte) (int, error) { return 0, errNoXattr }
func fsetxattr(*os.File, string, []byte) error        { return errNoXattr }
func fremovexattr(*os.File, string) error             { return errNoXattr }
func getxattr(string, string, []byte) (int, error)    { return 0, errNoXattr }
func removexattr(string, string) error                { return errNoXattr }
func noXattr(err error) bool                          { return errors.Is(err, errNoXattr) }
