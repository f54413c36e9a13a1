package matchmakertest_test

// This file holds fakeTB, a testing.TB that records failures instead of failing the test, so
// that the kit's own tests can check that an assertion fails when it should, and how it says so.

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeTB records Error, Errorf, Fatal and Fatalf calls. The methods it does not override
// (Cleanup, Name, TempDir, Log, ...) go to the real test it wraps. Fatal ends the calling
// goroutine, as testing.T does, so run code that may call it with run.
type fakeTB struct {
	testing.TB // the real test

	mu     sync.Mutex
	errors []string
	fatals []string
}

func newFakeTB(t *testing.T) *fakeTB { return &fakeTB{TB: t} }

func (f *fakeTB) Helper() {}

func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprintln(args...)) }

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprintln(args...)) }

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fail() { f.Errorf("Fail called") }

func (f *fakeTB) FailNow() { f.Fatalf("FailNow called") }

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errors)+len(f.fatals) > 0
}

// messages returns everything reported, errors then fatal errors, one string.
func (f *fakeTB) messages() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(append(append([]string(nil), f.errors...), f.fatals...), "\n")
}

// run calls fn with f on a goroutine of its own, so that a Fatal ends only fn, and reports
// whether fn returned normally.
func (f *fakeTB) run(fn func(tb testing.TB)) (returned bool) {
	done := make(chan bool)
	go func() {
		ok := false
		defer func() { done <- ok }()
		fn(f)
		ok = true
	}()
	return <-done
}
