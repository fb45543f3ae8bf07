package registry

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// errorCode is an error code of the distribution spec with the status it
// is answered with.
type errorCode struct {
	Code   string
	Status int
}

// The distribution-spec error codes (and Distribution's statuses for them).
var (
	errBlobUnknown         = errorCode{"BLOB_UNKNOWN", http.StatusNotFound}
	errBlobUploadInvalid   = errorCode{"BLOB_UPLOAD_INVALID", http.StatusBadRequest}
	errBlobUploadUnknown   = errorCode{"BLOB_UPLOAD_UNKNOWN", http.StatusNotFound}
	errDigestInvalid       = errorCode{"DIGEST_INVALID", http.StatusBadRequest}
	errManifestBlobUnknown = errorCode{"MANIFEST_BLOB_UNKNOWN", http.StatusBadRequest}
	errManifestInvalid     = errorCode{"MANIFEST_INVALID", http.StatusBadRequest}
	errManifestUnknown     = errorCode{"MANIFEST_UNKNOWN", http.StatusNotFound}
	errNameInvalid         = errorCode{"NAME_INVALID", http.StatusBadRequest}
	errNameUnknown         = errorCode{"NAME_UNKNOWN", http.StatusNotFound}
	errSizeInvalid         = errorCode{"SIZE_INVALID", http.StatusBadRequest}
	errTooLarge            = errorCode{"SIZE_INVALID", http.StatusRequestEntityTooLarge}
	errUnauthorized        = errorCode{"UNAUTHORIZED", http.StatusUnauthorized}
	errUnsupported         = errorCode{"UNSUPPORTED", http.StatusMethodNotAllowed}
	errRangeInvalid        = errorCode{"BLOB_UPLOAD_INVALID", http.StatusRequestedRangeNotSatisfiable}
	errPaginationInvalid   = errorCode{"PAGINATION_NUMBER_INVALID", http.StatusBadRequest}
	errNotFound            = errorCode{"NOT_FOUND", http.StatusNotFound}
	errInternal            = errorCode{"UNKNOWN", http.StatusInternalServerError}
	errUnavailable         = errorCode{"UNAVAILABLE", http.StatusServiceUnavailable}
)

// apiError is one entry of the spec's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// writeError answers with the spec's {"errors":[...]} body.
func writeError(w http.ResponseWriter, code errorCode, message string, detail any) {
	body, err := json.Marshal(struct {
		Errors []apiError `json:"errors"`
	}{[]apiError{{Code: code.Code, Message: message, Detail: detail}}})
	if err != nil { // detail did not marshal; drop it rather than fail
		body, _ = json.Marshal(struct {
			Errors []apiError `json:"errors"`
		}{[]apiError{{Code: code.Code, Message: message}}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code.Status)
	w.Write(body)
}
