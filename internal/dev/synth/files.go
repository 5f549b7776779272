package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// WriteDir writes the next count packets of g into dir (created if
// needed), one file each named <candid>.avro as ZTF names them. It returns
// how many files and bytes it wrote; it stops with ctx's error when ctx is
// done. Existing files of the same name are overwritten.
func (g *Generator) WriteDir(ctx context.Context, dir string, count int) (files int, size int64, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, fmt.Errorf("synth: %w", err)
	}
	for files < count {
		if err := ctx.Err(); err != nil {
			return files, size, err
		}
		p, err := g.Next()
		if err != nil {
			return files, size, err
		}
		name := filepath.Join(dir, strconv.FormatInt(p.Candid, 10)+".avro")
		if err := os.WriteFile(name, p.Data, 0o644); err != nil {
			return files, size, fmt.Errorf("synth: %w", err)
		}
		files++
		size += int64(len(p.Data))
	}
	return files, size, nil
}
