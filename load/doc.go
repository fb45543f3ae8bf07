// Package load drives a registry with vegeta and records, for every
// request that succeeds, the events it owes each endpoint with everything
// those events must say (Entry), so that reconciliation can compare what
// receivers got field by field (Entry.Diff, Match).
//
// Operations (Profile.Op, and Entry.Op of what they owe), after
// Distribution's semantics (shared/compat); seeding pushes a config, a
// layer, an empty config and a base manifest per repository (Op "seed"):
//
//	blob-upload-monolithic   POST, PUT ?digest= + blob     push blob (PUT)
//	blob-upload-chunked      POST, PATCH x Chunks, PUT     push blob (PUT)
//	blob-upload-single-post  POST ?digest= + blob          push blob (POST); without
//	                         Target.SingleRequestUpload: 202, then PUT (declared)
//	blob-mount               upload to <prefix>-src,       push blob in src, then
//	                         POST ?mount=&from=            mount (fromRepository, POST)
//	manifest-push-by-tag     PUT /manifests/<tag>          push manifest with tag
//	manifest-push-by-digest  PUT /manifests/<digest>       push manifest, no tag
//	manifest-push-tags       PUT <digest>?tag=a&tag=b&tag=c  one push per tag; with
//	                         Target.NoTagQuery one push without a tag (declared)
//	index-push               PUT an image index by tag      push (index media type,
//	                                                        references: its manifests)
//	artifact-push            PUT by digest, subject = base  push (references: config
//	                                                        and layer, not the subject)
//	manifest-delete          push by tag, DELETE <digest>  push, delete manifest,
//	                                                        delete tag (digest "")
//	tag-delete               push by tag, DELETE <tag>     push, delete tag
//	blob-delete              upload, DELETE /blobs/<d>     push blob, delete blob
//	blob-pull-get/-head      GET or HEAD the layer         pull blob
//	manifest-pull-get/-head  GET or HEAD base by digest    pull manifest, no tag
//
// "mixed" runs them by Profile.Mix weights. The older manifest-push,
// blob-push, pull and delete act on what seeding made and owe the same
// content. Every request carries a user agent naming operation and hit,
// so an event nobody owes still names the operation that caused it.
//
// Checked per event: action, target repository, digest, tag, mediaType,
// size, length, url, fromRepository and references (exactly, when
// Target.IncludeReferences, else none), request method, useragent and
// host, actor name (the Basic auth user, "" without auth; unchecked for
// other schemes), source.addr when Target.SourceAddr is set; id,
// timestamp and request.id for presence. Never checked: request.addr and
// source.instanceID (NeverChecked).
package load
