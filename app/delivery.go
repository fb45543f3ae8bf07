package app

import (
	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
)

// deliveryOptions turns each endpoint's opt-in delivery keys (batch,
// concurrency, signing, retry, deadletter, queue) into the notifier's
// WithDelivery; endpoints without any keep Distribution's behaviour and
// get no option at all.
func deliveryOptions(n config.Notifications) []notifications.Option {
	var opts []notifications.Option
	for _, ep := range n.Endpoints {
		d := Delivery(ep)
		if ep.Disabled || isDistributionDefault(d) {
			continue
		}
		opts = append(opts, notifications.WithDelivery(ep.Name, d))
	}
	return opts
}

// Delivery is an endpoint's opt-in delivery settings as the notifier
// takes them (also what `registry notifications replay` delivers with).
func Delivery(ep config.Endpoint) notifications.Delivery {
	return notifications.Delivery{
		Batch:       notifications.Batch{MaxEvents: ep.Batch.MaxEvents, MaxWait: ep.Batch.MaxWait},
		Concurrency: ep.Concurrency,
		Signing:     notifications.Signing{Secrets: ep.Signing.Secrets},
		Retry: notifications.Retry{MaxAttempts: ep.Retry.MaxAttempts, MaxAge: ep.Retry.MaxAge,
			Backoff: ep.Retry.Backoff, MaxBackoff: ep.Retry.MaxBackoff},
		DeadLetter: notifications.DeadLetter{Path: ep.DeadLetter.Path, On4xx: ep.DeadLetter.On4xx},
		Queue:      notifications.Queue{Kind: ep.Queue.Kind, Path: ep.Queue.Path, NATS: natsQueue(ep.Queue.NATS)},
	}
}

func isDistributionDefault(d notifications.Delivery) bool {
	return d.Batch == (notifications.Batch{}) && d.Concurrency == 0 && len(d.Signing.Secrets) == 0 &&
		d.Retry == (notifications.Retry{}) && d.DeadLetter == (notifications.DeadLetter{}) &&
		(d.Queue == (notifications.Queue{}) || d.Queue == notifications.Queue{Kind: "memory"})
}
