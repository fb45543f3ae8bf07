package notifications

import (
	"context"
	"errors"
)

// Sink is one stage of the pipeline: it accepts events and passes them on
// to the stage it wraps. Write may block (the retrying and HTTP stages do)
// until the events are handled or ctx is done. Stages are used by one
// writer at a time unless they say otherwise.
type Sink interface {
	Write(ctx context.Context, events ...Event) error
	Close() error
}

// errClosed is returned by a stage written to after Close.
var errClosed = errors.New("notifications: sink closed")

// broadcaster fans every write out to all endpoint sinks. Its endpoint
// sinks begin with the queue's non-blocking Write, so one slow endpoint
// never delays another or the caller.
type broadcaster struct {
	sinks []Sink
}

func (b *broadcaster) Write(ctx context.Context, events ...Event) error {
	var errs []error
	for _, s := range b.sinks {
		if err := s.Write(ctx, events...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (b *broadcaster) Close() error {
	var errs []error
	for _, s := range b.sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
