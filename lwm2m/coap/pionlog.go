package coap

import (
	"fmt"

	"github.com/pion/logging"
	"github.com/rs/zerolog"
)

// pionLogger routes pion/dtls logs to zerolog. One instance serves every
// session: pion's default factory allocates a logger per connection, which
// a server with tens of thousands of sessions pays for in memory. pion's
// warnings and errors are about single datagrams and handshakes (the
// engine reports what matters), so they log at debug level.
type pionLogger struct{ log zerolog.Logger }

func (l *pionLogger) NewLogger(string) logging.LeveledLogger { return l }

func (l *pionLogger) Trace(msg string)                  {}
func (l *pionLogger) Tracef(string, ...any)             {}
func (l *pionLogger) Debug(msg string)                  { l.log.Trace().Msg("dtls: " + msg) }
func (l *pionLogger) Debugf(format string, args ...any) { l.Debug(fmt.Sprintf(format, args...)) }
func (l *pionLogger) Info(msg string)                   { l.log.Trace().Msg("dtls: " + msg) }
func (l *pionLogger) Infof(format string, args ...any)  { l.Info(fmt.Sprintf(format, args...)) }
func (l *pionLogger) Warn(msg string)                   { l.log.Debug().Msg("dtls: " + msg) }
func (l *pionLogger) Warnf(format string, args ...any)  { l.Warn(fmt.Sprintf(format, args...)) }
func (l *pionLogger) Error(msg string)                  { l.log.Debug().Msg("dtls: " + msg) }
func (l *pionLogger) Errorf(format string, args ...any) { l.Error(fmt.Sprintf(format, args...)) }
