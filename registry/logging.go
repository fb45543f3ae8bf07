package registry

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// requestID is the client's X-Request-Id when it sent a sane one, else a new UUID.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && printable(id) {
		return id
	}
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	start  time.Time
}

func newStatusRecorder(w http.ResponseWriter) *statusRecorder {
	return &statusRecorder{ResponseWriter: w, start: time.Now()}
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (reg *Registry) logRequest(r *http.Request, id string, rec *statusRecorder) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	reg.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("request_id", id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", time.Since(rec.start)),
		slog.String("remote", r.RemoteAddr),
	)
}

// Logging wraps any handler with the same per-request log line the
// Registry writes with WithLogger, for servers that mount other handlers
// beside it.
func Logging(log *slog.Logger, next http.Handler) http.Handler {
	reg := &Registry{log: log}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID(r)
		r.Header.Set("X-Request-Id", id) // a Registry inside reuses it
		rec := newStatusRecorder(w)
		defer reg.logRequest(r, id, rec)
		next.ServeHTTP(rec, r)
	})
}
