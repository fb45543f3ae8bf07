package app

import (
	"io"
	"log/slog"
	"os"

	"github.com/hookbench/hookbench/config"
)

// NewLogger builds the slog logger cfg describes (level debug/info/warn/
// error, formatter text or json), writing to w (stderr when nil).
func NewLogger(cfg config.Log, w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	var level slog.Level
	switch cfg.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Formatter == "json" || cfg.Formatter == "logstash" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
