package scenarios

import (
	"embed"
	"io/fs"
	"path"

	"github.com/hookbench/hookbench/harness/model"
)

// files is the catalog: one scenario file each (harness show NAME prints
// one, harness schema their keys).
//
//go:embed *.yaml
var files embed.FS

// Files returns the catalog's scenario files by file name.
func Files() (map[string][]byte, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out[n] = b
	}
	return out, nil
}

// decodeAll decodes every embedded file; a file's scenario must carry the
// file's name.
func decodeAll() ([]model.Scenario, error) {
	fsys, err := Files()
	if err != nil {
		return nil, err
	}
	var out []model.Scenario
	for name, b := range fsys {
		s, err := model.DecodeFile(name, b)
		if err != nil {
			return nil, err
		}
		if want := name[:len(name)-len(path.Ext(name))]; s.Name != want {
			return nil, &model.FileError{File: name, Problems: []model.Problem{{Line: 1, Path: "name", Msg: "must be the file's name, " + want}}}
		}
		out = append(out, s)
	}
	return out, nil
}
