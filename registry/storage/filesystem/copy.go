package filesystem

import (
	"hash"
	"io"
	"sync"
)

// Upload bodies are copied by copyHashing: what each read returns is
// written at once (a streamed PATCH reaches the disk as it arrives) and
// hashed. A chunk stays small enough to be in the CPU's cache from the read
// to the write and the hash (1 MiB buffers cost 64 MiB pushes 2.5x the CPU).
//
// Past pipelineAfter bytes the hash moves to a second goroutine, fed whole
// chunks through a channel while this one goes on reading and writing: a
// large push then takes about as long as the slower of the two instead of
// their sum. Smaller bodies (the common 1 MiB layer) never start it.
const (
	copyChunk     = 128 << 10
	pipelineAfter = 4 << 20
	pipeChunk     = 256 << 10
	pipeDepth     = 4 // chunks in flight between the reader and the hasher
)

var (
	copyBufs = sync.Pool{New: func() any { b := make([]byte, copyChunk); return &b }}
	pipeBufs = sync.Pool{New: func() any { b := make([]byte, pipeChunk); return &b }}
)

// copyHashing copies r to w (nil: only hash) and feeds h exactly the bytes
// w accepted, also when it fails part way: the count returned is what was
// both written and hashed.
func copyHashing(w io.Writer, h hash.Hash, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for n < pipelineAfter {
		nr, rerr := r.Read(buf)
		if nr > 0 {
			nw, werr := write(w, buf[:nr])
			h.Write(buf[:nw])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
	m, err := copyPipelined(w, h, r)
	return n + m, err
}

// write writes all of p to w (nil: nothing to write) and says how much of
// it was written.
func write(w io.Writer, p []byte) (int, error) {
	if w == nil {
		return len(p), nil
	}
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

// copyPipelined is copyHashing with the hash on a second goroutine. It
// returns only once that goroutine has hashed everything written.
func copyPipelined(w io.Writer, h hash.Hash, r io.Reader) (int64, error) {
	type chunk struct {
		buf *[]byte
		n   int
	}
	full := make(chan chunk, pipeDepth)
	free := make(chan *[]byte, pipeDepth)
	for range pipeDepth {
		free <- pipeBufs.Get().(*[]byte)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range full {
			h.Write((*c.buf)[:c.n])
			free <- c.buf
		}
	}()
	var n int64
	var err error
	for eof := false; !eof && err == nil; {
		bp := <-free
		buf, fill := *bp, 0
		for fill < len(buf) {
			nr, rerr := r.Read(buf[fill:])
			if nr > 0 {
				nw, werr := write(w, buf[fill:fill+nr])
				fill += nw
				if werr != nil {
					err = werr
					break
				}
			}
			if rerr == io.EOF {
				eof = true
				break
			}
			if rerr != nil {
				err = rerr
				break
			}
		}
		n += int64(fill)
		full <- chunk{bp, fill}
	}
	close(full)
	<-done
	for range pipeDepth {
		pipeBufs.Put(<-free)
	}
	return n, err
}
