package server

import (
	"fmt"
	"sync"

	"github.com/lesismal/nbio/logging"
	"github.com/rs/zerolog"
)

// nbio logs through a package-level logger of its own. Programs route it
// to zerolog once at start-up with UseNBIOLogger; tests silence it with
// QuietNBIO. (This is the one global we cannot avoid: it is nbio's.)
var nbioOnce sync.Once

// UseNBIOLogger sends nbio's own log lines to log (component=nbio); its
// info lines (engine start and stop) go out at debug level. Call it once
// from main.
func UseNBIOLogger(log zerolog.Logger) {
	nbioOnce.Do(func() {
		logging.SetLogger(nbioLogger{log.With().Str("component", "nbio").Logger()})
	})
}

// QuietNBIO keeps only nbio's errors, on stderr (for tests).
func QuietNBIO() {
	nbioOnce.Do(func() { logging.SetLevel(logging.LevelError) })
}

type nbioLogger struct{ log zerolog.Logger }

func (l nbioLogger) Debug(format string, v ...any) { l.log.Debug().Msg(fmt.Sprintf(format, v...)) }
func (l nbioLogger) Info(format string, v ...any)  { l.log.Debug().Msg(fmt.Sprintf(format, v...)) }
func (l nbioLogger) Warn(format string, v ...any)  { l.log.Warn().Msg(fmt.Sprintf(format, v...)) }
func (l nbioLogger) Error(format string, v ...any) { l.log.Error().Msg(fmt.Sprintf(format, v...)) }
