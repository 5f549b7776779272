// Package logging builds the structured JSON logger every ztfbridge command
// uses. Its records carry the field names Cloud Logging reads from a
// container's or VM agent's output: severity, message and time.
package logging

import (
	"io"
	"log/slog"
)

// New returns a JSON logger writing to w at level: a slog.Level, or a
// *slog.LevelVar that a --log-level flag sets.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: cloudLoggingNames,
	}))
}

// cloudLoggingNames renames slog's top-level keys to Cloud Logging's.
func cloudLoggingNames(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		a.Key = "severity"
		if l, ok := a.Value.Any().(slog.Level); ok && l == slog.LevelWarn {
			a.Value = slog.StringValue("WARNING")
		}
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}
