package notifications

import "context"

// ignoreFilter drops events whose target media type or action is ignored,
// before they are queued or counted. Unlike Distribution before v3.0.x,
// ignore.actions applies on its own, with no media types configured.
type ignoreFilter struct {
	mediaTypes map[string]bool // ignoredmediatypes and ignore.mediatypes combined
	actions    map[string]bool
	next       Sink
}

func newIgnoreFilter(mediaTypeLists [][]string, actions []string, next Sink) Sink {
	f := &ignoreFilter{mediaTypes: map[string]bool{}, actions: map[string]bool{}, next: next}
	for _, list := range mediaTypeLists {
		for _, mt := range list {
			f.mediaTypes[mt] = true
		}
	}
	for _, a := range actions {
		f.actions[a] = true
	}
	if len(f.mediaTypes) == 0 && len(f.actions) == 0 {
		return next // nothing to filter: no stage
	}
	return f
}

func (f *ignoreFilter) ignored(e *Event) bool {
	return f.mediaTypes[e.Target.MediaType] || f.actions[e.Action]
}

func (f *ignoreFilter) Write(ctx context.Context, events ...Event) error {
	if len(events) == 1 { // the usual case: no copy
		if f.ignored(&events[0]) {
			return nil
		}
		return f.next.Write(ctx, events...)
	}
	kept := make([]Event, 0, len(events))
	for i := range events {
		if !f.ignored(&events[i]) {
			kept = append(kept, events[i])
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return f.next.Write(ctx, kept...)
}

func (f *ignoreFilter) Close() error { return f.next.Close() }
