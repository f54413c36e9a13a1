package main

// This file holds how errors reach HTTP clients: the status each of the library's errors maps
// to, and the JSON body that carries the error's message and, for bad input, each field's
// problem.

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/seed-04d22514/matchmaker"
)

// retryAfter is what a client refused by a limit is told to wait, in seconds.
const retryAfter = "1"

// errorBody is the JSON body of every error response.
type errorBody struct {
	// Code names the kind of error: InvalidInput, NotFound, InvalidState, LimitExceeded, Closed,
	// BodyTooLarge or Internal.
	Code string `json:"code"`
	// Message is the error's text, such as the library's "matchmaker: invalid StartMatchmaking:
	// Players[0].PlayerId: is required".
	Message string `json:"message"`
	// Problems lists, for bad input, each field's path and what is wrong with it.
	Problems []problem `json:"problems,omitempty"`
}

// problem is one matchmaker.FieldError in JSON.
type problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// httpStatus maps an error returned by the Matchmaker to the HTTP status that reports it, and
// the code its body carries. The typed errors all match their sentinels with errors.Is.
func httpStatus(err error) (status int, code string) {
	switch {
	case errors.Is(err, matchmaker.ErrInvalidInput):
		return http.StatusBadRequest, "InvalidInput"
	case errors.Is(err, matchmaker.ErrNotFound):
		return http.StatusNotFound, "NotFound"
	case errors.Is(err, matchmaker.ErrInvalidState):
		return http.StatusConflict, "InvalidState"
	case errors.Is(err, matchmaker.ErrLimit):
		// A bound of the Matchmaker (WithMaxTickets, WithMaxWatchers, ...) is full: the client
		// may retry once others have left.
		return http.StatusTooManyRequests, "LimitExceeded"
	case errors.Is(err, matchmaker.ErrClosed):
		return http.StatusServiceUnavailable, "Closed"
	}
	return http.StatusInternalServerError, "Internal"
}

// fail writes err as an error response.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := httpStatus(err)
	body := errorBody{Code: code, Message: err.Error()}
	var invalid *matchmaker.ValidationError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			body.Problems = append(body.Problems, problem{Path: p.Path, Message: p.Message})
		}
	}
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", retryAfter)
	case http.StatusInternalServerError:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Message = "internal error" // the log has the detail; the client gets no internals
	}
	s.writeJSON(w, status, body)
}

// badBody writes the response to a body that is not the JSON the route expects: 413 when it is
// too large, else 400 naming the field when encoding/json knows it.
func (s *server) badBody(w http.ResponseWriter, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Code: "BodyTooLarge", Message: err.Error()})
		return
	}
	body := errorBody{Code: "InvalidInput", Message: "invalid request body: " + err.Error()}
	if p, ok := fieldOf(err); ok {
		body.Problems = []problem{p}
	}
	s.writeJSON(w, http.StatusBadRequest, body)
}

// fieldOf names the field of a JSON type error. encoding/json gives its path without list
// indexes ("Players.PlayerId"); errors from attribute values carry no path at all.
func fieldOf(err error) (problem, bool) {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || typeErr.Field == "" {
		return problem{}, false
	}
	return problem{Path: typeErr.Field, Message: "is a JSON " + typeErr.Value + "; want " + typeErr.Type.String()}, true
}
