// Package endpoint is a flaky webhook receiver for testing container-registry
// notification pipelines. It speaks CNCF Distribution's envelope format
// (POST {"events":[...]}, Content-Type
// application/vnd.docker.distribution.events.v2+json or application/json),
// breaks on purpose according to a runtime-switchable fault Profile, and
// keeps an exact ledger of every delivery attempt so that a registry's own
// counters can be checked against an independent witness.
//
// A Server has two listeners: the receiver (POST anywhere, e.g. /callback)
// and the admin API (its own port):
//
//	GET  /ledger?id=&repository=&action=&outcome=&since=RFC3339  -> []Delivery (JSON array)
//	GET  /stats                                                  -> Stats
//	GET  /fault                                                  -> current Profile
//	PUT  /fault   (body: Profile JSON)                           -> 204; 400 names the bad key
//	POST /reset   (clear ledger and counters, keep the profile)  -> 204
//	GET  /healthz                                                -> 200 "ok"
//
// # Profile JSON
//
// Every key is optional; {} answers 200 to everything. Durations are Go
// duration strings ("250ms", "2s") or integer nanoseconds.
//
//	{
//	  "status": 503,              // fixed answer (default 200)
//	  "sequence": [500,500,200],  // answers cycled per delivery, repeating; 0 = no
//	                              // fault (200, or forward in proxy mode)
//	  "errorRate": 0.3,           // fraction of deliveries answered errorStatus ...
//	  "errorStatus": 500,         // ... (default 500), drawn from a PRNG seeded
//	  "seed": 42,                 // with seed: same seed, same answers, same order
//	  "failFirst": 3,             // the first N deliveries get failStatus ...
//	  "failStatus": 500,          // ... (default 500), then the rest applies
//	  "latency": "200ms",         // or {"fixed":"200ms"} | {"min":"10ms","max":"90ms"}
//	                              // | {"median":"20ms","sigma":1.5} (lognormal long tail)
//	                              // plus optional "seed" for the random forms
//	  "hang": true,               // never answer; held until the client gives up
//	  "reset": true,              // close the TCP connection with RST, no status
//	  "refuse": true,             // stop listening (connection refused); false/absent
//	                              // listens again on the same port
//	  "flap": "500ms",            // alternate: up for the period, down (refusing) for the period
//	  "rules": [                  // first rule matching any event of a delivery wins and
//	    {"repository": "slow/*",  // its fault keys replace the top-level ones; fields are
//	     "action": "push",        // path.Match patterns, empty = any
//	     "mediaType": "application/vnd.oci.image.manifest.v1+json",
//	     "hang": true}
//	  ],
//	  "location": "http://elsewhere/in",    // Location header of 3xx answers
//	  "retryAfter": "1",                    // Retry-After header of 429 and 503 answers
//	  "authorization": "Bearer s3cret",     // required Authorization header, else 401
//	  "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // Standard Webhooks key, else 401
//	  "signatureTolerance": "5m",           // max |now - webhook-timestamp| (default 5m)
//	  "duplicate": 0.1,           // proxy mode: forward this fraction twice (seeded)
//	  "reorder": 0.1              // proxy mode: answer 200 at once, forward after the next one
//	}
//
// Precedence for one delivery: bad request (400) -> authorization and
// signature (401) -> the fault of the first matching rule, or the top-level
// fault: latency, then hang, then reset, then failFirst, sequence, errorRate,
// status. A status chosen by failFirst/sequence/errorRate/status is answered by
// the fake; otherwise it answers 200, or in proxy mode forwards the delivery
// to the real receiver and answers with its status (502 if it cannot be
// reached).
package endpoint
