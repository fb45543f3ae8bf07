// Package bench measures notification delivery of our registry (default,
// Distribution-compatible mode and with the opt-in extensions) against CNCF
// Distribution in one run: delivery rate to a slow receiver, drain time of a
// backlog after an outage, resident memory with many pending events, and push
// throughput with a dead endpoint. Every registry and the fake receiver run
// as child processes on loopback (harness/process); load comes from
// load/. Speed targets are reported, never asserted.
package bench
