package model

import (
	"reflect"
	"time"

	"github.com/hookbench/hookbench/config"
)

// DeliverySettings is an endpoint's opt-in delivery settings beyond
// Distribution's (our registry only). The zero value sets nothing, so
// Distribution-compatible scenarios keep their exact config.
type DeliverySettings struct {
	// DiskQueue puts the endpoint's queue in a bbolt file beside the
	// registry's storage (so it survives kill -9 and restarts).
	DiskQueue      bool          `yaml:"diskQueue,omitempty"`
	BatchMaxEvents int           `yaml:"batchMaxEvents,omitempty"`
	BatchMaxWait   time.Duration `yaml:"batchMaxWait,omitempty"`
	Concurrency    int           `yaml:"concurrency,omitempty"`
	Secrets        []string      `yaml:"secrets,omitempty"` // "whsec_..." Standard Webhooks signing secrets
	MaxAttempts    int           `yaml:"maxAttempts,omitempty"`
	MaxAge         time.Duration `yaml:"maxAge,omitempty"`
	RetryBackoff   time.Duration `yaml:"retryBackoff,omitempty"`
	MaxBackoff     time.Duration `yaml:"maxBackoff,omitempty"`
	// DeadLetter writes given-up events to DeadLetterFile(name) in the storage directory.
	DeadLetter bool `yaml:"deadLetter,omitempty"`
	On4xx      bool `yaml:"on4xx,omitempty"`
}

// IsZero reports Distribution's behaviour: no setting of ours.
func (d DeliverySettings) IsZero() bool { return reflect.ValueOf(d).IsZero() }

// DeadLetterFile is the dead-letter log's file name, in the storage directory.
func DeadLetterFile(endpoint string) string { return "deadletter-" + endpoint + ".jsonl" }

// QueueFile is the disk queue's file name, in the storage directory.
func QueueFile(endpoint string) string { return "queue-" + endpoint + ".db" }

// apply sets d's keys on the registry's endpoint config; paths are under
// the template's {{.StorageDir}}.
func (d DeliverySettings) apply(e *config.Endpoint) {
	if d.DiskQueue {
		e.Queue = config.Queue{Kind: "disk", Path: storagePath(QueueFile(e.Name))}
	}
	e.Batch = config.Batch{MaxEvents: d.BatchMaxEvents, MaxWait: d.BatchMaxWait}
	e.Concurrency = d.Concurrency
	e.Signing.Secrets = d.Secrets
	e.Retry = config.Retry{MaxAttempts: d.MaxAttempts, MaxAge: d.MaxAge, Backoff: d.RetryBackoff, MaxBackoff: d.MaxBackoff}
	e.DeadLetter.On4xx = d.On4xx
	if d.DeadLetter {
		e.DeadLetter.Path = storagePath(DeadLetterFile(e.Name))
	}
}

func storagePath(file string) string { return "{{.StorageDir}}/" + file }
