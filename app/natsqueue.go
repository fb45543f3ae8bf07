package app

import (
	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
)

// natsQueue is queue.nats as the notifier takes it (nil when absent).
func natsQueue(q *config.NATSQueue) *notifications.NATS {
	if q == nil {
		return nil
	}
	return &notifications.NATS{URLs: q.URLs, Stream: q.Stream, SubjectPrefix: q.SubjectPrefix,
		Replicas: q.Replicas, AckWait: q.AckWait, Username: q.Username, Password: q.Password,
		Token: q.Token, CredentialsFile: q.CredentialsFile}
}
