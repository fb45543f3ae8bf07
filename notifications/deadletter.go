package notifications

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// DeadLetterRecord is one line of a dead-letter log: events an endpoint
// gave up on, why, and after how many attempts.
type DeadLetterRecord struct {
	Time     time.Time `json:"time"`
	Endpoint string    `json:"endpoint"`
	URL      string    `json:"url"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	Events   []Event   `json:"events"`
}

// deadLetterLog appends records to a JSON-lines file, one write and one
// fsync per record: dead letters are rare, and each must survive a crash.
type deadLetterLog struct {
	mu   sync.Mutex
	path string
	fail func() error // injected write failure (tests), nil in production
}

func (l *deadLetterLog) append(rec DeadLetterRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		if err := l.fail(); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	var size int64 = -1
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	_, werr := f.Write(line)
	if werr != nil && size >= 0 {
		// A disk that filled up mid-line: cut the partial line off, so
		// the record written on a later try is not glued to it.
		_ = f.Truncate(size)
	}
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

// ReadDeadLetters reads a dead-letter log, e.g. to replay it with
// Notifier.Requeue. A damaged line (a crash mid-write) is reported with
// its line number; the records before and after it are still returned.
func ReadDeadLetters(r io.Reader) ([]DeadLetterRecord, error) {
	var recs []DeadLetterRecord
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec DeadLetterRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			errs = append(errs, fmt.Errorf("dead-letter log line %d: %w", line, err))
			continue
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return recs, errors.Join(errs...)
}
